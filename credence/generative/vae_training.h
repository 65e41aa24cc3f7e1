// Training a VariationalAutoencoder: Adam on the encoder's and the decoder's parameters, maximising
// the ELBO (SGVB; Kingma & Welling 2013) or, with importance_samples K > 1, the importance-weighted
// bound (IWAE; Burda et al. 2015), over shuffled minibatches. With dynamic binarisation every
// epoch draws each pixel afresh as a Bernoulli variable of its grey value (Burda et al.'s MNIST
// protocol); otherwise the rows are used as they are.
#pragma once

#include "credence/generative/variational_autoencoder.h"

#include <iosfwd>
#include <vector>

namespace credence::generative {

struct VaeTrainOptions {
  int64_t epochs = 100;
  int64_t batch_size = 100;
  double learning_rate = 1e-3;
  int64_t importance_samples = 1;  // 1: the ELBO; K > 1: the importance-weighted bound with K samples
  bool dynamic_binarisation = false;
  std::ostream* progress = nullptr;  // one line per tenth of the epochs: the bound and its KL part
};

struct VaeTrainingHistory {
  std::vector<double> bound;  // per epoch: the mean training bound per row (nats)
  std::vector<double> kl;     // per epoch: the mean KL(q(z | x) || p(z)) per row
  double seconds = 0.0;
};

// Test scores of a trained VAE, per row in nats: the ELBO (one sample per row) and the
// importance-weighted log-likelihood estimate with K samples, their means over the rows and the
// standard errors of those means.
struct VaeScores {
  int64_t rows = 0, importance_samples = 0;
  double elbo = 0.0, elbo_standard_error = 0.0;
  double log_likelihood = 0.0, log_likelihood_standard_error = 0.0;
};
// Rows are scored `rows_per_pass` at a time (in evaluation mode, without gradients).
VaeScores score_vae(VariationalAutoencoder& vae, const at::Tensor& rows, int64_t importance_samples, at::Generator& generator,
                    int64_t rows_per_pass = 100);

// Throws std::invalid_argument for bad options or rows that do not fit the model, and
// inference::TrainingDiverged naming the epoch and batch when the bound becomes NaN or infinite.
VaeTrainingHistory train_vae(VariationalAutoencoder& vae, const at::Tensor& rows, const VaeTrainOptions& options,
                             at::Generator& generator);

}  // namespace credence::generative

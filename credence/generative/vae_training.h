// Training a VariationalAutoencoder: the shared loop of bound_training.h maximising the ELBO (SGVB;
// Kingma & Welling 2013) or, with importance_samples K > 1, the importance-weighted bound (IWAE;
// Burda et al. 2015); and its test scores.
#pragma once

#include "credence/generative/bound_training.h"
#include "credence/generative/variational_autoencoder.h"

#include <vector>

namespace credence::generative {

struct VaeTrainOptions : BoundTrainOptions {
  int64_t importance_samples = 1;  // 1: the ELBO; K > 1: the importance-weighted bound with K samples
};

// Test scores of a trained VAE, per row in nats: the ELBO (one sample per row) and the
// importance-weighted log-likelihood estimate with K samples, their means over the rows and the
// standard errors of those means.
struct VaeScores {
  int64_t rows = 0, importance_samples = 0;
  double elbo = 0.0, elbo_standard_error = 0.0;
  double log_likelihood = 0.0, log_likelihood_standard_error = 0.0;
  at::Tensor elbo_per_row, log_likelihood_per_row;  // [rows], float64
};
// Rows are scored `rows_per_pass` at a time (in evaluation mode, without gradients).
VaeScores score_vae(VariationalAutoencoder& vae, const at::Tensor& rows, int64_t importance_samples, at::Generator& generator,
                    int64_t rows_per_pass = 100);

// Throws as maximise_bound does, and std::invalid_argument for importance_samples < 1.
BoundTrainingHistory train_vae(VariationalAutoencoder& vae, const at::Tensor& rows, const VaeTrainOptions& options,
                             at::Generator& generator);

}  // namespace credence::generative

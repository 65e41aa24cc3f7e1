// Training an Autoencoder on the shared loop of bound_training.h (the objective: the reconstruction
// log-likelihood per row), and its test score.
#pragma once

#include "credence/generative/autoencoder.h"
#include "credence/generative/bound_training.h"

namespace credence::generative {

// Throws as maximise_bound does.
BoundTrainingHistory train_autoencoder(Autoencoder& autoencoder, const at::Tensor& rows, const BoundTrainOptions& options,
                                       at::Generator& generator);

// The reconstruction log-likelihood per row in nats (minus the reconstruction loss): its mean over
// the rows, the standard error of that mean and the values [rows] (float64). Not a likelihood of
// the data: an auto-encoder defines no density over x.
struct ReconstructionScores {
  int64_t rows = 0;
  double reconstruction_log_likelihood = 0.0, standard_error = 0.0;
  at::Tensor per_row;
};
// Rows are scored `rows_per_pass` at a time (evaluation mode, no gradients). Throws
// std::runtime_error when a score is not finite.
ReconstructionScores score_autoencoder(Autoencoder& autoencoder, const at::Tensor& rows, int64_t rows_per_pass = 500);

}  // namespace credence::generative

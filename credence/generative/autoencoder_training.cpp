// The auto-encoder's training and score.
#include "credence/generative/autoencoder_training.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace credence::generative {

BoundTrainingHistory train_autoencoder(Autoencoder& autoencoder, const at::Tensor& rows, const BoundTrainOptions& options,
                                       at::Generator& generator) {
  const auto objective = [&](const at::Tensor& x) -> BoundTerms { return {autoencoder.reconstruction_log_likelihood(x), {}}; };
  return maximise_bound({autoencoder.encoder, autoencoder.decoder}, rows, options, generator, objective,
                        "reconstruction log-likelihood");
}

ReconstructionScores score_autoencoder(Autoencoder& autoencoder, const at::Tensor& rows_in, int64_t rows_per_pass) {
  if (rows_in.dim() < 2 || rows_in.size(0) == 0) throw std::invalid_argument("score_autoencoder: no rows");
  const auto rows = in_network_dtype(autoencoder.encoder, rows_in);
  at::NoGradGuard no_grad;
  autoencoder.encoder->eval();
  autoencoder.decoder->eval();
  std::vector<at::Tensor> values;
  const int64_t n = rows.size(0), step = std::max<int64_t>(1, rows_per_pass);
  for (int64_t start = 0; start < n; start += step) {
    values.push_back(autoencoder.reconstruction_log_likelihood(rows.slice(0, start, std::min(n, start + step))).to(at::kDouble));
  }
  ReconstructionScores scores;
  scores.rows = n;
  scores.per_row = at::cat(values);
  scores.reconstruction_log_likelihood = scores.per_row.mean().item<double>();
  scores.standard_error = n > 1 ? scores.per_row.std().item<double>() / std::sqrt(static_cast<double>(n)) : 0.0;
  if (!std::isfinite(scores.reconstruction_log_likelihood)) {
    throw std::runtime_error("the auto-encoder's reconstruction score is not finite");
  }
  return scores;
}

}  // namespace credence::generative

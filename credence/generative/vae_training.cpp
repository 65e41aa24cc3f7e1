// The VAE's training loop.
#include "credence/generative/vae_training.h"

#include <cmath>
#include <stdexcept>

namespace credence::generative {

BoundTrainingHistory train_vae(VariationalAutoencoder& vae, const at::Tensor& rows, const VaeTrainOptions& options,
                               at::Generator& generator) {
  if (options.importance_samples < 1) {
    throw std::invalid_argument("--importance-samples: expected at least 1, got " + std::to_string(options.importance_samples));
  }
  const int64_t k = options.importance_samples;
  const auto objective = [&](const at::Tensor& x) -> BoundTerms {
    if (k == 1) {
      auto e = vae.elbo(x, generator);
      return {e.value, e.kl};
    }
    auto bound = vae.importance_weighted(x, k, generator, k);
    return {bound.value, bound.kl};
  };
  return maximise_bound({vae.encoder, vae.decoder}, rows, options, generator, objective, k == 1 ? "elbo" : "iwae bound");
}

VaeScores score_vae(VariationalAutoencoder& vae, const at::Tensor& rows_in, int64_t importance_samples, at::Generator& generator,
                    int64_t rows_per_pass) {
  if (importance_samples < 1) {
    throw std::invalid_argument("--importance-samples: expected at least 1, got " + std::to_string(importance_samples));
  }
  if (rows_in.dim() < 2 || rows_in.size(0) == 0) throw std::invalid_argument("score_vae: no rows");
  const auto rows = in_network_dtype(vae.encoder, rows_in);
  at::NoGradGuard no_grad;
  vae.encoder->eval();
  vae.decoder->eval();
  std::vector<at::Tensor> elbo, log_likelihood;
  const int64_t n = rows.size(0), step = std::max<int64_t>(1, rows_per_pass);
  for (int64_t start = 0; start < n; start += step) {
    const auto x = rows.slice(0, start, std::min(n, start + step));
    elbo.push_back(vae.elbo(x, generator).value.to(at::kDouble));
    log_likelihood.push_back(vae.importance_weighted_bound(x, importance_samples, generator).to(at::kDouble));
  }
  const auto e = at::cat(elbo), l = at::cat(log_likelihood);
  const double root_n = std::sqrt(static_cast<double>(n));
  VaeScores scores;
  scores.rows = n;
  scores.importance_samples = importance_samples;
  scores.elbo = e.mean().item<double>();
  scores.log_likelihood = l.mean().item<double>();
  scores.elbo_standard_error = n > 1 ? e.std().item<double>() / root_n : 0.0;
  scores.log_likelihood_standard_error = n > 1 ? l.std().item<double>() / root_n : 0.0;
  scores.elbo_per_row = e;
  scores.log_likelihood_per_row = l;
  if (!std::isfinite(scores.elbo) || !std::isfinite(scores.log_likelihood)) {
    throw std::runtime_error("the VAE's scores are not finite (ELBO " + std::to_string(scores.elbo) + ", log-likelihood " +
                             std::to_string(scores.log_likelihood) + ")");
  }
  return scores;
}

}  // namespace credence::generative

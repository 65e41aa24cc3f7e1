// The VAE's training loop.
#include "credence/generative/vae_training.h"

#include "credence/inference/trainer.h"

#include <torch/optim/adam.h>

#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

namespace credence::generative {

namespace {

// The rows in the encoder's own dtype (images are read as float32, a test may write float64).
at::Tensor in_network_dtype(const VariationalAutoencoder& vae, const at::Tensor& rows) {
  const auto parameters = vae.encoder->parameters();
  return parameters.empty() ? rows : rows.to(parameters.front().scalar_type());
}

}  // namespace

VaeTrainingHistory train_vae(VariationalAutoencoder& vae, const at::Tensor& rows_in, const VaeTrainOptions& options,
                             at::Generator& generator) {
  if (options.epochs < 1) throw std::invalid_argument("--epochs: expected a positive number of epochs");
  if (options.batch_size < 1) throw std::invalid_argument("--batch-size: expected a positive batch size");
  if (!(options.learning_rate > 0.0) || !std::isfinite(options.learning_rate)) {
    throw std::invalid_argument("--lr: expected a positive learning rate");
  }
  if (options.importance_samples < 1) {
    throw std::invalid_argument("--importance-samples: expected at least 1, got " + std::to_string(options.importance_samples));
  }
  if (rows_in.dim() < 2 || rows_in.size(0) == 0) throw std::invalid_argument("train_vae: no training rows");
  const auto started = std::chrono::steady_clock::now();
  std::vector<at::Tensor> parameters = vae.encoder->parameters();
  const auto rows = in_network_dtype(vae, rows_in);
  for (const auto& p : vae.decoder->parameters()) parameters.push_back(p);
  torch::optim::Adam adam(parameters, torch::optim::AdamOptions(options.learning_rate));
  const int64_t n = rows.size(0), batch = std::min(options.batch_size, n), batches = (n + batch - 1) / batch;
  VaeTrainingHistory history;
  vae.encoder->train();
  vae.decoder->train();
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    auto order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
    double bound_sum = 0.0, kl_sum = 0.0;
    for (int64_t b = 0; b < batches; ++b) {
      auto x = rows.index_select(0, order.slice(0, b * batch, std::min(n, (b + 1) * batch)));
      if (options.dynamic_binarisation) x = at::bernoulli(x.clamp(0.0, 1.0), generator);
      adam.zero_grad();
      at::Tensor bound, kl;
      if (options.importance_samples == 1) {
        auto e = vae.elbo(x, generator);
        bound = e.value;
        kl = e.kl.detach();
      } else {
        bound = vae.importance_weighted_bound(x, options.importance_samples, generator, options.importance_samples);
        at::NoGradGuard no_grad;
        auto [mean, log_variance] = vae.encode(x);
        kl = gaussian_kl_per_row(mean, log_variance);
      }
      const auto loss = -bound.mean();
      const double value = -loss.item<double>();
      if (!std::isfinite(value)) {
        throw inference::TrainingDiverged("training diverged at epoch " + std::to_string(epoch) + ", batch " +
                                          std::to_string(b + 1) + ": the bound is " + (std::isnan(value) ? "NaN" : "infinite") +
                                          " (try a smaller --lr)");
      }
      loss.backward();
      adam.step();
      bound_sum += value * static_cast<double>(x.size(0));
      kl_sum += kl.sum().item<double>();
    }
    history.bound.push_back(bound_sum / static_cast<double>(n));
    history.kl.push_back(kl_sum / static_cast<double>(n));
    if (options.progress && (epoch == options.epochs || epoch % std::max<int64_t>(1, options.epochs / 10) == 0)) {
      *options.progress << "epoch " << epoch << "/" << options.epochs << " "
                        << (options.importance_samples == 1 ? "elbo " : "iwae bound ") << history.bound.back() << " kl "
                        << history.kl.back() << "\n"
                        << std::flush;
    }
  }
  vae.encoder->eval();
  vae.decoder->eval();
  history.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return history;
}

VaeScores score_vae(VariationalAutoencoder& vae, const at::Tensor& rows_in, int64_t importance_samples, at::Generator& generator,
                    int64_t rows_per_pass) {
  if (importance_samples < 1) {
    throw std::invalid_argument("--importance-samples: expected at least 1, got " + std::to_string(importance_samples));
  }
  if (rows_in.dim() < 2 || rows_in.size(0) == 0) throw std::invalid_argument("score_vae: no rows");
  const auto rows = in_network_dtype(vae, rows_in);
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
  if (!std::isfinite(scores.elbo) || !std::isfinite(scores.log_likelihood)) {
    throw std::runtime_error("the VAE's scores are not finite (ELBO " + std::to_string(scores.elbo) + ", log-likelihood " +
                             std::to_string(scores.log_likelihood) + ")");
  }
  return scores;
}

}  // namespace credence::generative

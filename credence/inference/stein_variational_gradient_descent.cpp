// SVGD with the RBF kernel and Adam.
#include "credence/inference/stein_variational_gradient_descent.h"

#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>

namespace credence::inference {

void check_svgd_options(const SvgdOptions& o) {
  if (o.particles() < 1) throw std::invalid_argument("--particles: expected at least one particle, got " + std::to_string(o.particles()));
  if (o.epochs() < 1) throw std::invalid_argument("--epochs: expected a positive number of epochs");
  if (o.batch_size() < 1) throw std::invalid_argument("--batch-size: expected a positive batch size");
  if (!(o.learning_rate() > 0.0) || !std::isfinite(o.learning_rate())) throw std::invalid_argument("--lr: expected a positive step");
}

at::Tensor stein_direction(const at::Tensor& x, const at::Tensor& gradients) {
  const int64_t p = x.size(0);
  auto squared = x.pow(2).sum(1);
  auto distances = (squared.unsqueeze(1) + squared.unsqueeze(0) - 2.0 * at::mm(x, x.t())).clamp_min(0.0);
  double h = 1.0;
  if (p > 1) {
    auto off_diagonal = distances.masked_select(~at::eye(p, x.options().dtype(at::kBool)));
    h = off_diagonal.median().item<double>() / std::log(static_cast<double>(p) + 1.0);
    if (!(h > 0.0)) h = 1.0;
  }
  auto kernel = at::exp(-distances / h);
  // sum_j grad_{x_j} k(x_j, x_i) = (2 / h) (x_i sum_j k_ij - sum_j k_ij x_j).
  auto repulsion = (2.0 / h) * (x * kernel.sum(1, true) - at::mm(kernel, x));
  return (at::mm(kernel, gradients) + repulsion) / static_cast<double>(p);
}

SvgdResult run_svgd(const BatchedLogDensity& log_density, int64_t rows, const at::Tensor& initial_particles,
                    const SvgdOptions& options, at::Generator& generator) {
  check_svgd_options(options);
  if (initial_particles.dim() != 2 || initial_particles.size(0) != options.particles()) {
    throw std::invalid_argument("run_svgd: expected initial particles [particles, D]");
  }
  const auto started = std::chrono::steady_clock::now();
  auto x = initial_particles.to(at::kDouble).clone();
  auto first = at::zeros_like(x), second = at::zeros_like(x);
  const double beta1 = 0.9, beta2 = 0.999;
  const int64_t batch = std::min(options.batch_size(), rows);
  const int64_t batches = (rows + batch - 1) / batch;
  SvgdResult result;
  int64_t k = 0;
  for (int64_t epoch = 0; epoch < options.epochs(); ++epoch) {
    // One batch of all rows: the full data, no permutation (undefined rows mean all of them).
    auto order = batches > 1 ? at::randperm(rows, generator, at::TensorOptions().dtype(at::kLong)) : at::Tensor();
    for (int64_t b = 0; b < batches; ++b) {
      auto index = batches > 1 ? order.slice(0, b * batch, std::min(rows, (b + 1) * batch)) : at::Tensor();
      at::Tensor gradients;
      auto logp = log_density(x, gradients, index);
      ++result.gradient_evaluations;
      if (!at::isfinite(gradients).all().item<bool>()) {
        throw std::runtime_error("--method svgd: the log density became non-finite in epoch " + std::to_string(epoch + 1) +
                                 " (lower --lr)");
      }
      auto phi = stein_direction(x, gradients);
      ++k;
      first.mul_(beta1).add_(phi, 1.0 - beta1);
      second.mul_(beta2).addcmul_(phi, phi, 1.0 - beta2);
      const double c1 = 1.0 - std::pow(beta1, static_cast<double>(k));
      const double c2 = 1.0 - std::pow(beta2, static_cast<double>(k));
      x += options.learning_rate() * (first / c1) / (at::sqrt(second / c2) + 1e-8);
    }
    if (options.progress() && (epoch + 1) % std::max<int64_t>(1, options.epochs() / 10) == 0) {
      *options.progress() << "  svgd epoch " << (epoch + 1) << "/" << options.epochs() << "\n";
    }
  }
  result.particles = x;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace credence::inference

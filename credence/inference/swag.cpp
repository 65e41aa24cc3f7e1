// SWA-Gaussian.
#include "credence/inference/swag.h"

#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <string>

namespace credence::inference {

void check_swag_options(const SwagOptions& o) {
  if (o.pretrain_epochs() < 0) throw std::invalid_argument("--swag-pretrain-epochs: expected 0 or more epochs");
  if (o.epochs() < 2) throw std::invalid_argument("--swag-epochs: expected at least 2 snapshot epochs, got " + std::to_string(o.epochs()));
  if (o.rank() < 2) throw std::invalid_argument("--swag-rank: expected at least 2 deviations, got " + std::to_string(o.rank()));
  if (o.batch_size() < 1) throw std::invalid_argument("--batch-size: expected a positive batch size");
  if (!(o.learning_rate() > 0.0) || !std::isfinite(o.learning_rate())) throw std::invalid_argument("--lr: expected a positive step");
  if (o.samples() < 1) throw std::invalid_argument("--stored-samples: expected at least one sample, got " + std::to_string(o.samples()));
}

SwagMoments::SwagMoments(int64_t rank) : rank_(rank) {
  if (rank < 1) throw std::invalid_argument("SwagMoments: the rank must be at least 1");
}

void SwagMoments::add(const at::Tensor& snapshot_in) {
  const auto snapshot = snapshot_in.to(at::kDouble).flatten();
  if (count_ == 0) {
    mean_ = snapshot.clone();
    second_moment_ = snapshot.pow(2);
  } else {
    if (snapshot.numel() != mean_.numel()) throw std::invalid_argument("SwagMoments: snapshots of different sizes");
    const double n = static_cast<double>(count_);
    mean_ = (n * mean_ + snapshot) / (n + 1.0);
    second_moment_ = (n * second_moment_ + snapshot.pow(2)) / (n + 1.0);
  }
  ++count_;
  deviations_.push_back(snapshot - mean_);
  if (static_cast<int64_t>(deviations_.size()) > rank_) deviations_.erase(deviations_.begin());
}

at::Tensor SwagMoments::variance() const { return (second_moment_ - mean_.pow(2)).clamp_min(0.0); }

at::Tensor SwagMoments::deviations() const { return at::stack(deviations_, 1); }

at::Tensor SwagMoments::sample(int64_t count, at::Generator& generator) const {
  if (count_ == 0) throw std::invalid_argument("SwagMoments: no snapshots to sample from");
  const int64_t d = mean_.numel(), k = static_cast<int64_t>(deviations_.size());
  auto draws = mean_.unsqueeze(0) +
               at::normal(0.0, 1.0, {count, d}, generator, mean_.options()) * at::sqrt(0.5 * variance()).unsqueeze(0);
  if (k >= 2) {
    const auto z = at::normal(0.0, 1.0, {count, k}, generator, mean_.options());
    draws = draws + at::matmul(z, deviations().t()) / std::sqrt(2.0 * static_cast<double>(k - 1));
  }
  return draws;
}

SwagResult run_swag(const MinibatchLogDensity& log_density, int64_t rows, const at::Tensor& initial, const SwagOptions& options,
                    at::Generator& generator) {
  check_swag_options(options);
  const auto started = std::chrono::steady_clock::now();
  const int64_t batch = std::min(options.batch_size(), rows);
  const int64_t batches = (rows + batch - 1) / batch;
  const double base = options.learning_rate() / static_cast<double>(rows);
  constexpr double kMomentum = 0.9;
  auto position = initial.to(at::kDouble).clone();
  auto velocity = at::zeros_like(position);
  SwagResult result;
  result.moments = SwagMoments(options.rank());
  const int64_t total_epochs = options.pretrain_epochs() + options.epochs();
  for (int64_t epoch = 0; epoch < total_epochs; ++epoch) {
    const bool pretraining = epoch < options.pretrain_epochs();
    // Pretraining anneals from the base step to half of it; the snapshot epochs keep half of it.
    const double step = pretraining ? base * (0.75 + 0.25 * std::cos(M_PI * epoch / options.pretrain_epochs())) : 0.5 * base;
    auto order = batches > 1 ? at::randperm(rows, generator, at::TensorOptions().dtype(at::kLong)) : at::Tensor();
    for (int64_t b = 0; b < batches; ++b) {
      auto index = batches > 1 ? order.slice(0, b * batch, std::min(rows, (b + 1) * batch)) : at::Tensor();
      at::Tensor gradient;
      const double logp = log_density(position, gradient, index);
      ++result.gradient_evaluations;
      if (!std::isfinite(logp) || !at::isfinite(gradient).all().item<bool>()) {
        throw std::runtime_error("--method swag: the log density became non-finite in epoch " + std::to_string(epoch + 1) +
                                 " (lower --lr)");
      }
      velocity = kMomentum * velocity + (1.0 - kMomentum) * step * gradient;
      position += velocity;
    }
    if (!pretraining) result.moments.add(position);
    if (options.progress() && (epoch + 1) % std::max<int64_t>(1, total_epochs / 10) == 0) {
      *options.progress() << "  swag epoch " << (epoch + 1) << "/" << total_epochs << (pretraining ? " (pretraining)" : "") << "\n";
    }
  }
  result.samples = result.moments.sample(options.samples(), generator);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace credence::inference

// SWA-Gaussian (Maddox et al. 2019, "A Simple Baseline for Bayesian Uncertainty in Deep Learning"):
// stochastic gradient descent with momentum on the log posterior, first to a solution
// (pretraining), then at a constant step size, taking a snapshot of the weights after every epoch.
// The snapshots' mean is the SWA solution; the posterior is the Gaussian with that mean and the
// covariance 0.5 diag(variance) + 0.5 D D^T / (K - 1), where the variance is the snapshots' (second
// moment minus the squared mean) and D holds the last K deviations of a snapshot from the running
// mean. Samples theta = mean + sqrt(diag / 2) z1 + D z2 / sqrt(2 (K - 1)), z1 and z2 standard normal.
#pragma once

#include "credence/inference/stochastic_gradient_mcmc.h"

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <vector>

namespace credence::inference {

struct SwagOptions {
  // Epochs of SGD before the first snapshot (from the starting network to a solution).
  TORCH_ARG(int64_t, pretrain_epochs) = 200;
  // Epochs at the constant step, one snapshot after each.
  TORCH_ARG(int64_t, epochs) = 50;
  // K: the deviations kept for the low-rank part (Maddox et al. use 20).
  TORCH_ARG(int64_t, rank) = 20;
  TORCH_ARG(int64_t, batch_size) = 32;
  // The step on the scale of the mean per-row log-likelihood, as SGLD's --lr: the step on log p is
  // learning_rate / N. Momentum 0.9 with the step scaled by 0.1, so that the terminal velocity moves
  // as far per step as plain SGD at this rate. Pretraining anneals from it to half of it (cosine);
  // the snapshot epochs keep half of it.
  TORCH_ARG(double, learning_rate) = 0.05;
  // Draws of the Gaussian stored as the model's members.
  TORCH_ARG(int64_t, samples) = 30;
  TORCH_ARG(SamplerProgress, progress) = nullptr;
};

// Throws std::invalid_argument naming the option (--swag-epochs, ...) when a setting is out of range.
void check_swag_options(const SwagOptions& options);

// The snapshots' moments and the last K deviations.
class SwagMoments {
 public:
  explicit SwagMoments(int64_t rank);
  // Adds a snapshot [D]: updates the running mean and second moment and keeps theta - mean (the
  // mean after the update, as Maddox et al.'s algorithm 1), the oldest dropped beyond `rank`.
  void add(const at::Tensor& snapshot);
  int64_t count() const { return count_; }
  const at::Tensor& mean() const { return mean_; }
  // Second moment minus the squared mean, clamped at zero (rounding), [D].
  at::Tensor variance() const;
  // The kept deviations as columns, [D, k] with k = min(count, rank).
  at::Tensor deviations() const;
  // `count` draws [count, D] of N(mean, 0.5 diag(variance) + 0.5 D D^T / (k - 1)) (the low-rank part
  // needs k >= 2; with fewer snapshots only the diagonal part is drawn).
  at::Tensor sample(int64_t count, at::Generator& generator) const;

 private:
  int64_t rank_, count_ = 0;
  at::Tensor mean_, second_moment_;
  std::vector<at::Tensor> deviations_;
};

struct SwagResult {
  SwagMoments moments{1};
  at::Tensor samples;  // [samples, D] float64
  int64_t gradient_evaluations = 0;
  double seconds = 0.0;
};

SwagResult run_swag(const MinibatchLogDensity& log_density, int64_t rows, const at::Tensor& initial, const SwagOptions& options,
                    at::Generator& generator);

}  // namespace credence::inference

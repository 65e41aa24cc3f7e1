// Stein variational gradient descent (Liu & Wang 2016): P particles moved along the kernelised
// Stein direction with the RBF kernel and the median-heuristic bandwidth, with Adam steps.
#pragma once

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <iosfwd>

namespace credence::inference {

// A pointer alias, because TORCH_ARG spells its getter as `const TYPE&` textually.
using SamplerProgress = std::ostream*;

// Every particle's log p estimate [P] and its gradient [P, D] from the rows (log-likelihood scaled
// by N / rows), positions [P, D].
using BatchedLogDensity = std::function<at::Tensor(const at::Tensor& positions, at::Tensor& gradients, const at::Tensor& rows)>;

struct SvgdOptions {
  TORCH_ARG(int64_t, particles) = 20;
  TORCH_ARG(int64_t, epochs) = 500;
  TORCH_ARG(int64_t, batch_size) = 32;
  // Adam's step on the particles.
  TORCH_ARG(double, learning_rate) = 1e-2;
  TORCH_ARG(SamplerProgress, progress) = nullptr;
};

struct SvgdResult {
  at::Tensor particles;  // [P, D] float64
  int64_t gradient_evaluations = 0;  // per particle
  double seconds = 0.0;
};

void check_svgd_options(const SvgdOptions& options);

// The Stein direction phi [P, D] for positions [P, D] and gradients of log p [P, D]:
// phi_i = (1/P) sum_j k(x_j, x_i) grad_j + grad_{x_j} k(x_j, x_i), k = exp(-|x - x'|^2 / h),
// h = median squared distance / log(P + 1).
at::Tensor stein_direction(const at::Tensor& positions, const at::Tensor& gradients);

SvgdResult run_svgd(const BatchedLogDensity& log_density, int64_t rows, const at::Tensor& initial_particles,
                    const SvgdOptions& options, at::Generator& generator);

}  // namespace credence::inference

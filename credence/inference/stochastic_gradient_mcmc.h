// Stochastic-gradient MCMC on minibatches with a cyclical step size (cSG-MCMC, Zhang et al. 2020):
// Langevin dynamics (SGLD, Welling & Teh 2011), Langevin dynamics with an RMSprop diagonal
// preconditioner (pSGLD, Li et al. 2016), Hamiltonian dynamics with friction (SGHMC, Chen et al.
// 2014), or SGHMC with the same preconditioner as its inverse mass (pSGHMC; the scale adaptation of
// Springenberg et al. 2016, with pSGLD's running mean). Each cycle explores (no injected noise) and then samples; samples are taken at the end of
// each cycle's sampling phase.
#pragma once

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace credence::inference {

// A pointer alias, because TORCH_ARG spells its getter as `const TYPE&` textually.
using SamplerProgress = std::ostream*;

enum class SgMcmcKind { sgld, psgld, sghmc, psghmc };

// Whether the kind scales its steps by the RMSprop preconditioner (psgld, psghmc).
bool is_preconditioned(SgMcmcKind kind);

// An unbiased estimate of log p and its gradient from the rows (int64 indices; log-likelihood scaled
// by N / rows).
using MinibatchLogDensity = std::function<double(const at::Tensor& position, at::Tensor& gradient, const at::Tensor& rows)>;

struct SgMcmcOptions {
  TORCH_ARG(SgMcmcKind, kind) = SgMcmcKind::sgld;
  TORCH_ARG(int64_t, cycles) = 10;
  TORCH_ARG(int64_t, epochs_per_cycle) = 50;
  TORCH_ARG(int64_t, batch_size) = 32;
  // The peak step, cosine-annealed within each cycle; 0 means the kind's default
  // (default_learning_rate). The step on log p is learning_rate / N, on the scale of the mean
  // per-row log-likelihood, so that it behaves as an SGD learning rate for sgld and sghmc and as an
  // RMSprop learning rate (a step in the parameters' own units) for psgld and psghmc.
  TORCH_ARG(double, learning_rate) = 0.0;
  // The first part of each cycle is optimisation without noise (Zhang et al.'s beta).
  TORCH_ARG(double, exploration_fraction) = 0.5;
  // Samples per cycle: the state after each of the cycle's last epochs.
  TORCH_ARG(int64_t, samples_per_cycle) = 5;
  // SGHMC and pSGHMC: the friction alpha (1 - momentum). The step is eta = alpha * step, so that the
  // terminal velocity (eta / alpha) * gradient equals SGLD's drift; the noise is sqrt(2 alpha eta).
  TORCH_ARG(double, friction) = 0.1;
  // psgld and psghmc: the decay of the running mean of squared per-row gradients (Li et al.'s
  // alpha) and the floor added to its square root (their lambda).
  TORCH_ARG(double, rms_decay) = 0.99;
  TORCH_ARG(double, rms_floor) = 1e-5;
  TORCH_ARG(SamplerProgress, progress) = nullptr;
};

struct SgMcmcResult {
  at::Tensor samples;  // [cycles * samples_per_cycle, D] float64
  int64_t gradient_evaluations = 0;
  double seconds = 0.0;
};

std::string to_string(SgMcmcKind kind);
// The --method names of the kinds, in the enum's order.
const std::vector<std::string>& sg_mcmc_method_names();
bool is_sg_mcmc_method(const std::string& method);
// The kind a --method name (sgld, psgld, sghmc, psghmc) names; throws std::invalid_argument otherwise.
SgMcmcKind sg_mcmc_kind(const std::string& method);
// The peak step a kind uses when none is given: 0.05 for sgld and sghmc, 3e-3 for psgld, 1e-2 for psghmc.
double default_learning_rate(SgMcmcKind kind);
// The options' peak step: learning_rate, or the kind's default when it is 0.
double peak_learning_rate(const SgMcmcOptions& options);

// Throws std::invalid_argument naming the option (--cycles, ...) when a setting is out of range.
void check_sg_mcmc_options(const SgMcmcOptions& options);

// The cyclical step size at step k of cycle_steps per cycle (peak `peak`): peak/2 (cos(pi r) + 1),
// r = (k mod cycle_steps) / cycle_steps.
double cyclical_step(double peak, int64_t k, int64_t cycle_steps);

SgMcmcResult run_sg_mcmc(const MinibatchLogDensity& log_density, int64_t rows, const at::Tensor& initial,
                         const SgMcmcOptions& options, at::Generator& generator);

}  // namespace credence::inference

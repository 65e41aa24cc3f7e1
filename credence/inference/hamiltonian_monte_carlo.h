// Hamiltonian Monte Carlo with the No-U-Turn sampler (Hoffman & Gelman 2014): leapfrog
// integration, multinomial sampling along the trajectory, dual-averaging step-size adaptation and
// a diagonal mass matrix estimated in warm-up windows. Works on any log density of a flat vector.
#pragma once

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <iosfwd>

namespace credence::inference {

// log p(position) up to a constant; writes d log p / d position into `gradient`.
using LogDensityWithGradient = std::function<double(const at::Tensor& position, at::Tensor& gradient)>;

// A point of phase space with its log density and gradient.
struct PhasePoint {
  at::Tensor position, momentum, gradient;
  double log_density = 0.0;
};

// One leapfrog step of size `step` for H = -log p(q) + 0.5 p' M^-1 p (M^-1 diagonal: `inverse_mass`).
void leapfrog(PhasePoint& point, double step, const at::Tensor& inverse_mass, const LogDensityWithGradient& log_density);
// -log p(q) + 0.5 p' M^-1 p.
double hamiltonian(const PhasePoint& point, const at::Tensor& inverse_mass);

using SamplerProgress = std::ostream*;

struct NutsOptions {
  TORCH_ARG(int64_t, warmup) = 500;
  TORCH_ARG(int64_t, draws) = 500;
  // At most 2^max_tree_depth - 1 leapfrog steps per transition.
  TORCH_ARG(int64_t, max_tree_depth) = 10;
  // Dual averaging's target for the mean acceptance statistic.
  TORCH_ARG(double, target_accept) = 0.8;
  // Estimate a diagonal mass matrix (the draws' variances) in doubling windows of the warm-up.
  TORCH_ARG(bool, adapt_mass_matrix) = true;
  // A transition whose energy error exceeds this is divergent (Stan's 1000).
  TORCH_ARG(double, divergence_threshold) = 1000.0;
  TORCH_ARG(SamplerProgress, progress) = nullptr;
};

struct NutsChain {
  at::Tensor draws;            // [draws, D] float64, after warm-up
  at::Tensor log_densities;    // [draws]
  int64_t divergent = 0;       // divergent transitions after warm-up
  int64_t warmup_divergent = 0;
  int64_t gradient_evaluations = 0;  // warm-up and sampling
  int64_t max_depth_hits = 0;  // transitions after warm-up that stopped at max_tree_depth
  double step_size = 0.0;      // after adaptation
  double mean_accept = 0.0;    // mean acceptance statistic after warm-up
  double mean_tree_depth = 0.0;
  at::Tensor inverse_mass;     // [D]
  double seconds = 0.0;
};

// One chain from `initial` [D] (float64). Randomness (momenta, directions, proposals) comes from
// `generator`.
NutsChain run_nuts_chain(const LogDensityWithGradient& log_density, const at::Tensor& initial, const NutsOptions& options,
                         at::Generator& generator);

}  // namespace credence::inference

#include "credence/inference/mcmc_diagnostics.h"
#include "credence/inference/network_log_density.h"

#include <string>
#include <vector>

namespace credence::inference {

struct HmcOptions {
  TORCH_ARG(int64_t, chains) = 4;
  TORCH_ARG(NutsOptions, nuts) = {};
  // Each chain starts from a short full-batch Adam run on -log posterior from the network's own
  // initialisation (seeded per chain); 0 steps: from that initialisation itself.
  TORCH_ARG(int64_t, initial_training_steps) = 500;
  TORCH_ARG(double, initial_learning_rate) = 1e-2;
  // Full-batch HMC is refused above this many sampled parameters.
  TORCH_ARG(int64_t, max_parameters) = 50000;
  // Above this fraction of divergent transitions after warm-up the run fails (below it they are reported).
  TORCH_ARG(double, max_divergent_fraction) = 0.25;
  // Posterior samples kept (evenly spaced over all chains' draws) as the model's members.
  TORCH_ARG(int64_t, stored_samples) = 100;
};

struct HmcResult {
  at::Tensor draws;  // [chains, draws, D] float64
  std::vector<NutsChain> chains;
  std::vector<GroupDiagnostics> diagnostics;  // per parameter group, then "outputs" (function space)
  int64_t divergent = 0;
  int64_t gradient_evaluations = 0;
  double seconds = 0.0;
  std::vector<std::string> warnings;  // R-hat above 1.1, divergences, tree depth limit
  // The diagnostics as printable lines.
  std::string report() const;
};

// Throws std::invalid_argument for zero chains or draws and for a network above max_parameters;
// std::runtime_error when too many transitions diverge.
void check_hmc_options(const HmcOptions& options, int64_t parameters);

// Several NUTS chains from `initial_positions` [chains, D] on the full-batch density, with their diagnostics.
HmcResult sample_network_posterior(NetworkLogDensity& density, const at::Tensor& initial_positions, const HmcOptions& options,
                                   at::Generator& generator);

// Adam on -log p over `steps` steps from `position` (full batch, or minibatches of `batch_size` rows when > 0).
at::Tensor maximise_log_density(NetworkLogDensity& density, at::Tensor position, int64_t steps, double learning_rate,
                                at::Generator& generator, int64_t batch_size = 0);

}  // namespace credence::inference

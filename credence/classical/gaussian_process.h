// Exact Gaussian process regression (Rasmussen & Williams 2006, ch. 2 and 5): the posterior
// over functions under a kernel expression, its log marginal likelihood and gradient, the
// hyper-parameters by bounded L-BFGS with restarts, and a Cholesky factorisation with jitter
// escalation. Predictions split into the latent function's posterior variance (epistemic)
// and the kernel's white noise (aleatoric).
#pragma once

#include "credence/classical/column_scaling.h"
#include "credence/classical/kernel.h"
#include "credence/classical/regression_prediction.h"

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace credence::classical {

// Thrown when a kernel matrix stays indefinite with the largest jitter allowed.
class NotPositiveDefinite : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CholeskyFactor {
  at::Tensor factor;    // lower-triangular L with L L^T = K + jitter I
  double jitter = 0.0;  // added to the diagonal (absolute)
};

// Tries K itself, then K + j I for j = 1e-10, 1e-9, ... times the mean diagonal of K, up to
// max_relative_jitter times it. Throws NotPositiveDefinite naming the jitters tried.
CholeskyFactor cholesky_with_jitter(const at::Tensor& matrix, double max_relative_jitter = 1e-4);

struct LogMarginalLikelihood {
  double value = 0.0;   // ln p(y | X, theta) (R&W 2.30)
  at::Tensor gradient;  // d value / d log theta, the kernel's free parameters [p] (R&W 5.9)
  double jitter = 0.0;
};

// ln N(y | 0, K(x) + jitter I) and, when `with_gradient`, its gradient with respect to the
// kernel's free log-parameters: 1/2 tr((a a^T - K^-1) dK/dlog theta) with a = K^-1 y (the
// kernel's gram_gradient_contraction). x [n, d], y [n], float64.
LogMarginalLikelihood log_marginal_likelihood(const Kernel& kernel, const at::Tensor& x, const at::Tensor& y,
                                              bool with_gradient = true, double max_relative_jitter = 1e-4);

struct GaussianProcessOptions {
  // Maximise the log marginal likelihood over the free log hyper-parameters; off: condition on the kernel as given.
  TORCH_ARG(bool, optimise) = true;
  // Further L-BFGS starts, drawn log-uniformly within the bounds (scikit-learn's n_restarts_optimizer);
  // unbounded, within a factor e^5 of the given values.
  TORCH_ARG(int64_t, restarts) = 0;
  TORCH_ARG(int64_t, max_iter) = 200;  // L-BFGS iterations per start
  // Every hyper-parameter stays within [lower_bound, upper_bound] (scikit-learn's default box,
  // in the units the model sees: standardised ones when normalise_* is on). 0 and infinity: unbounded.
  TORCH_ARG(double, lower_bound) = 1e-5;
  TORCH_ARG(double, upper_bound) = 1e5;
  // Unbounded only: a hyper-parameter that ends beyond [1 / limit, limit] has run away, and the fit throws.
  TORCH_ARG(double, divergence_limit) = 1e10;
  TORCH_ARG(double, max_jitter) = 1e-4;  // relative to the mean diagonal
  // Standardise the inputs (per column) and the target before fitting; predictions come back in original units.
  TORCH_ARG(bool, normalise_inputs) = false;
  TORCH_ARG(bool, normalise_target) = false;
};

// Thrown when an unbounded hyper-parameter runs away (to zero or infinity).
class HyperparameterDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Names the free parameters of `kernel` whose log values lie on (within 1e-8 of) a bound of
// [log lower, log upper]: "rbf.length_scale[2] at its upper bound 1e+05".
std::vector<std::string> parameters_at_bounds(const Kernel& kernel, double lower, double upper);

struct GaussianProcessRegression {
  Kernel kernel;              // with the fitted hyper-parameters, bound to the inputs' width
  at::Tensor train_inputs;    // [n, d], as the kernel sees them (standardised when asked)
  at::Tensor train_targets;   // [n], likewise
  at::Tensor weights;         // K^-1 y [n]
  at::Tensor cholesky;        // L of K + jitter I [n, n]
  ColumnScaling input_scaling;   // identity unless normalise_inputs
  ColumnScaling target_scaling;  // one column; identity unless normalise_target
  double jitter = 0.0;
  double log_marginal_likelihood = 0.0;  // of the targets as the kernel sees them
  int64_t n_iter = 0;         // L-BFGS iterations, all starts together
  int64_t n_evaluations = 0;  // likelihood and gradient evaluations, all starts together
  bool converged = true;      // the best start's optimiser met its tolerance
  std::vector<double> start_log_marginal_likelihoods;  // the optimum reached from each start (NaN: failed)

  // x [n, d], y [n]. Throws std::invalid_argument for bad shapes, NaN or a constant target
  // (with normalise_target), NotPositiveDefinite, HyperparameterDiverged.
  static GaussianProcessRegression fit(const at::Tensor& x, const at::Tensor& y, const Kernel& kernel,
                                       const GaussianProcessOptions& options, at::Generator& generator);

  // The posterior given training data already in the kernel's units and a known jitter (a
  // loaded model): recomputes the factor and the weights.
  static GaussianProcessRegression posterior(const Kernel& kernel, const at::Tensor& train_inputs, const at::Tensor& train_targets,
                                             double jitter, const ColumnScaling& input_scaling, const ColumnScaling& target_scaling);

  int64_t n_features() const { return train_inputs.size(1); }
  // The log marginal likelihood of the targets in original units (differs by -n ln scale).
  double log_marginal_likelihood_original_units() const;
  // Predictive distribution of y at x [m, d] (original units): epistemic = the latent
  // function's posterior variance, aleatoric = the kernel's white noise at x.
  RegressionPrediction predict(const at::Tensor& x) const;
};

}  // namespace credence::classical

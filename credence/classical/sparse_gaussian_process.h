// Sparse variational Gaussian process regression with M inducing points, for data too large
// for the exact model's O(n^3): Titsias's (2009) collapsed bound, maximised over the
// hyper-parameters and the inducing inputs by L-BFGS on the full data (O(n M^2) per step), or
// Hensman et al.'s (2013) uncollapsed bound on minibatches (natural-gradient steps on q, Adam
// on the rest; O(B M^2 + M^3) per step). Both end in the whitened posterior q(v) = N(m, S S^T)
// over v = L^-1 u, K_uu = L L^T, that is optimal for the final hyper-parameters and inputs.
#pragma once

#include "credence/classical/column_scaling.h"
#include "credence/classical/kernel.h"
#include "credence/classical/regression_prediction.h"

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <string>

namespace credence::classical {

struct SparseGaussianProcessOptions {
  explicit SparseGaussianProcessOptions(int64_t n_inducing) : n_inducing_(n_inducing) {}
  TORCH_ARG(int64_t, n_inducing);
  // Given inducing inputs [M, d] (in the units the kernel sees); undefined: k-means centres of the inputs.
  TORCH_ARG(at::Tensor, inducing_inputs);
  TORCH_ARG(bool, optimise) = true;            // the hyper-parameters
  TORCH_ARG(bool, optimise_inducing) = true;   // the inducing inputs
  // 0: Titsias's collapsed bound on all rows with L-BFGS; B > 0: Hensman's bound on minibatches of B rows with Adam.
  TORCH_ARG(int64_t, batch_size) = 0;
  TORCH_ARG(int64_t, max_iter) = 200;     // L-BFGS iterations (collapsed)
  TORCH_ARG(int64_t, epochs) = 50;        // passes over the data (minibatches)
  TORCH_ARG(double, learning_rate) = 0.01;  // Adam on the hyper-parameters and inducing inputs (minibatches)
  TORCH_ARG(double, natural_step) = 0.1;    // natural-gradient step on q(v) (minibatches)
  TORCH_ARG(double, lower_bound) = 1e-5;  // on every hyper-parameter, as for the exact GP; 0 and infinity: none
  TORCH_ARG(double, upper_bound) = 1e5;
  TORCH_ARG(double, max_jitter) = 1e-4;   // K_uu's jitter, relative to its mean diagonal
  TORCH_ARG(bool, normalise_inputs) = false;
  TORCH_ARG(bool, normalise_target) = false;
};

// Titsias's bound F = ln N(y | 0, Q + L) - tr(L^-1 (K - Q)) / 2, Q = K_fu K_uu^-1 K_uf, with L the
// kernel's noise diagonal at x. Differentiable in the kernel's log-parameters (`log_parameters`,
// which may require grad; undefined: the kernel's own) and in z. Equals the exact log marginal
// likelihood when z = x. Returns a 0-d tensor.
at::Tensor collapsed_bound(const Kernel& kernel, const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                           const at::Tensor& log_parameters = {}, double max_jitter = 1e-4);

// Hensman's bound estimated on a batch of rows: (n / B) sum_batch E_q[ln N(y_i | f_i, L_i)] - KL(q(v) || N(0, I)),
// with q(v) = N(q_mean, q_sqrt q_sqrt^T). The mean over a partition of the data into equal
// batches is the full-data bound. Differentiable in every argument. Returns a 0-d tensor.
at::Tensor uncollapsed_bound(const Kernel& kernel, const at::Tensor& x_batch, const at::Tensor& y_batch, int64_t n_total,
                             const at::Tensor& z, const at::Tensor& q_mean, const at::Tensor& q_sqrt,
                             const at::Tensor& log_parameters = {}, double max_jitter = 1e-4);

struct SparseGaussianProcessRegression {
  Kernel kernel;
  at::Tensor inducing_inputs;  // z [M, d], in the kernel's units
  at::Tensor q_mean;           // m [M], whitened
  at::Tensor q_sqrt;           // S [M, M], whitened: q(v) = N(m, S S^T)
  at::Tensor inducing_cholesky;  // L of K_uu + jitter I
  ColumnScaling input_scaling;
  ColumnScaling target_scaling;
  double jitter = 0.0;
  double bound = 0.0;  // the evidence lower bound at the end (of the targets as the kernel sees them)
  std::string method;  // "collapsed" or "minibatch"
  int64_t n_iter = 0;  // L-BFGS iterations or Adam steps
  bool converged = true;

  // Throws std::invalid_argument for bad shapes, fewer distinct rows than inducing points, or a
  // kernel without white noise (the bound divides by the noise variance); NotPositiveDefinite.
  static SparseGaussianProcessRegression fit(const at::Tensor& x, const at::Tensor& y, const Kernel& kernel,
                                             const SparseGaussianProcessOptions& options, at::Generator& generator);
  // A loaded model: recomputes the inducing factor with the stored jitter.
  static SparseGaussianProcessRegression posterior(const Kernel& kernel, const at::Tensor& inducing_inputs, const at::Tensor& q_mean,
                                                   const at::Tensor& q_sqrt, double jitter, const ColumnScaling& input_scaling,
                                                   const ColumnScaling& target_scaling);

  int64_t n_features() const { return inducing_inputs.size(1); }
  int64_t n_inducing() const { return inducing_inputs.size(0); }
  RegressionPrediction predict(const at::Tensor& x) const;  // original units
};

}  // namespace credence::classical

// Bayesian linear regression on a fixed design matrix (Bishop 3.3-3.5): Gaussian posterior
// over the weights, predictive variance split into noise and weight uncertainty, the log
// evidence, and the precisions alpha, beta set by evidence maximisation with optional
// Gamma hyper-priors (the same updates as scikit-learn's BayesianRidge).
#pragma once

#include "credence/classical/regression_prediction.h"

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <vector>

namespace credence::classical {

// Names follow Bishop: alpha is the precision of the weight prior N(0, alpha^-1 I), beta
// the precision of the observation noise. scikit-learn calls them lambda_ and alpha_.
struct BayesianLinearRegressionOptions {
  // Centre the design and the target, which gives the intercept a flat prior
  // (scikit-learn's fit_intercept). Off: the basis must carry its own bias column.
  TORCH_ARG(bool, fit_intercept) = true;
  // Maximise the evidence over alpha and beta; off: keep alpha_init and beta_init.
  TORCH_ARG(bool, optimise_precisions) = true;
  TORCH_ARG(double, alpha_init) = 1.0;
  // 0: 1 / var(t), scikit-learn's starting point.
  TORCH_ARG(double, beta_init) = 0.0;
  // Gamma(shape, rate) hyper-priors on alpha and beta; scikit-learn's lambda_1, lambda_2,
  // alpha_1, alpha_2. All zero gives plain evidence maximisation (type-II maximum likelihood).
  TORCH_ARG(double, alpha_shape) = 1e-6;
  TORCH_ARG(double, alpha_rate) = 1e-6;
  TORCH_ARG(double, beta_shape) = 1e-6;
  TORCH_ARG(double, beta_rate) = 1e-6;
  TORCH_ARG(int64_t, max_iter) = 300;
  // Stop when the summed absolute change of the posterior mean falls below tol (scikit-learn's rule).
  TORCH_ARG(double, tol) = 1e-3;
};

struct BayesianLinearRegression {
  at::Tensor weights_mean;        // m_N [p]
  at::Tensor weights_covariance;  // S_N [p, p]
  at::Tensor x_offset;            // [p] column means subtracted before the weights apply (zeros without intercept)
  double y_offset = 0.0;          // target mean added back (0 without intercept)
  double alpha = 1.0;
  double beta = 1.0;
  double effective_parameters = 0.0;  // gamma = sum lambda_i / (alpha + lambda_i)
  double log_evidence = 0.0;          // ln p(t | alpha, beta), Bishop (3.86), of the (centred) problem
  double training_rmse = 0.0;
  int64_t n_iter = 0;
  bool converged = false;

  // phi: [n, p] design matrix, t: [n] targets. Throws std::invalid_argument for NaN,
  // mismatched shapes or a constant target, std::runtime_error if the fit is not finite.
  static BayesianLinearRegression fit(const at::Tensor& phi, const at::Tensor& t,
                                      const BayesianLinearRegressionOptions& options = {});

  double intercept() const;
  RegressionPrediction predict(const at::Tensor& phi) const;
};

}  // namespace credence::classical

// Automatic relevance determination (Bishop 7.2.2, MacKay 1994): Bayesian linear regression
// with one prior precision per weight, so that irrelevant inputs are switched off; the
// same updates, defaults and pruning rule as scikit-learn's ARDRegression.
#pragma once

#include "credence/classical/bayesian_linear_regression.h"

#include <ATen/ATen.h>
#include <torch/arg.h>

namespace credence::classical {

struct ArdRegressionOptions {
  TORCH_ARG(bool, fit_intercept) = true;
  // Gamma(shape, rate) hyper-priors on each weight precision alpha_i and on the noise precision beta.
  TORCH_ARG(double, alpha_shape) = 1e-6;
  TORCH_ARG(double, alpha_rate) = 1e-6;
  TORCH_ARG(double, beta_shape) = 1e-6;
  TORCH_ARG(double, beta_rate) = 1e-6;
  // A weight whose precision reaches this is pruned (fixed at zero) for good.
  TORCH_ARG(double, threshold) = 1e4;
  TORCH_ARG(int64_t, max_iter) = 300;
  TORCH_ARG(double, tol) = 1e-3;
};

struct ArdRegression {
  at::Tensor weights_mean;        // [p], zero for pruned weights
  at::Tensor weight_precisions;   // alpha_i [p] (scikit-learn's lambda_)
  at::Tensor kept;                // int64 indices of the weights that survive pruning [r]
  at::Tensor weights_covariance;  // posterior covariance of the kept weights [r, r]
  at::Tensor x_offset;            // [p]
  double y_offset = 0.0;
  double beta = 1.0;  // noise precision (scikit-learn's alpha_)
  int64_t n_iter = 0;
  bool converged = false;

  static ArdRegression fit(const at::Tensor& phi, const at::Tensor& t, const ArdRegressionOptions& options = {});
  double intercept() const;
  RegressionPrediction predict(const at::Tensor& phi) const;
};

}  // namespace credence::classical

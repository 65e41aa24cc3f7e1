// Bayesian logistic regression (Bishop 4.5; MacKay 1992): binary (logistic sigmoid) or
// multiclass (softmax), a Gaussian prior N(0, alpha^-1 I) on the weights and a flat one on
// the intercepts, the Laplace approximation around the MAP found by Newton's method, the
// prior precision by evidence maximisation, and the predictive distribution by the probit
// approximation or by Monte Carlo over the Laplace posterior.
#pragma once

#include "credence/classical/column_scaling.h"

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <string>
#include <vector>

namespace credence::classical {

enum class LogisticPredictive { probit, monte_carlo };
LogisticPredictive logistic_predictive_from_string(const std::string& name);
std::string to_string(LogisticPredictive predictive);

struct BayesianLogisticRegressionOptions {
  // The prior precision of the weights (scikit-learn's 1 / C); the start of the evidence iteration.
  TORCH_ARG(double, alpha) = 1.0;
  // Maximise the Laplace evidence over alpha: MacKay's fixed point alpha = gamma / |w|^2 to start,
  // then a golden-section search on ln alpha for the evidence's maximum itself.
  TORCH_ARG(bool, optimise_alpha) = true;
  TORCH_ARG(bool, fit_intercept) = true;
  TORCH_ARG(int64_t, max_iter) = 100;        // Newton steps per MAP
  TORCH_ARG(int64_t, max_evidence_iter) = 200;
  TORCH_ARG(double, evidence_tol) = 1e-6;    // width of the final bracket on ln alpha
  // The range searched. An evidence still rising at an end means the data does not bound alpha
  // (separable classes at the low end), and the fit throws saying so.
  TORCH_ARG(double, min_alpha) = 1e-6;
  TORCH_ARG(double, max_alpha) = 1e6;
  TORCH_ARG(bool, normalise_inputs) = false;  // standardise the features first (then alpha acts on unit-scale weights)
};

struct BayesianLogisticRegression {
  int64_t n_classes = 2;
  bool fit_intercept = true;
  // One weight row per class, or a single row (class 1 against class 0) when there are two.
  at::Tensor weights;     // [K', d] with K' = 1 for two classes, else K
  at::Tensor intercepts;  // [K'] (zeros without an intercept)
  // The Laplace covariance over theta = [W | b] flattened row by row ([K' (d + 1)] or [K' d]).
  at::Tensor covariance;
  ColumnScaling input_scaling;
  double alpha = 1.0;
  double log_evidence = 0.0;  // Laplace approximation of ln p(labels | alpha), up to the flat intercept prior's constant
  double effective_parameters = 0.0;  // gamma = M - alpha tr(Sigma_ww)
  std::vector<double> alpha_history;  // every alpha at which a MAP was found, in order
  int64_t n_iter = 0;                 // Newton steps, all MAPs together
  bool converged = true;

  // x [n, d], labels [n] int64 in 0..n_classes-1. Throws std::invalid_argument for bad shapes,
  // labels out of range, or fewer than two classes present.
  static BayesianLogisticRegression fit(const at::Tensor& x, const at::Tensor& labels, int64_t n_classes,
                                        const BayesianLogisticRegressionOptions& options = {});

  int64_t n_features() const { return weights.size(1); }
  // The logits' Gaussian under the Laplace posterior: mean [n, K'] and covariance [n, K', K'].
  // For the softmax the common shift of all logits, which changes no probability, is projected out.
  std::pair<at::Tensor, at::Tensor> logit_distribution(const at::Tensor& x) const;
  at::Tensor map_probabilities(const at::Tensor& x) const;     // [n, K], plug-in MAP
  // The probit approximation (Bishop 4.153; for the softmax, each logit scaled by
  // (1 + pi sigma_k^2 / 8)^-1/2, Gibbs 1997), [n, K].
  at::Tensor probit_probabilities(const at::Tensor& x) const;
  // Class probabilities under `samples` draws of theta from the Laplace posterior, [S, n, K].
  at::Tensor sample_probabilities(const at::Tensor& x, int64_t samples, at::Generator& generator) const;
  // The same in two steps, so that rows can be taken in chunks under one set of draws: `samples`
  // draws of theta [S, K, d], and the class probabilities of rows x under them [S, n, K].
  at::Tensor sample_parameters(int64_t samples, at::Generator& generator) const;
  at::Tensor probabilities_under(const at::Tensor& x, const at::Tensor& parameter_draws) const;
};

}  // namespace credence::classical

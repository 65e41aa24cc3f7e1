// The Laplace approximation of a trained deterministic network (MacKay 1992; Daxberger et al. 2021,
// "Laplace Redux"): a Gaussian N(theta_map, (H + delta I)^-1) over the weights of its dense layers,
// H the generalised Gauss-Newton of the likelihood (full, diagonal or Kronecker-factored), delta a
// scalar prior precision chosen by the Laplace marginal likelihood or given.
#pragma once

#include "credence/inference/gaussian_likelihood.h"
#include "credence/inference/kronecker_factors.h"
#include "credence/nn/network.h"

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace credence::inference {

// Which weights get the Gaussian: the final dense layer, every dense layer, or `automatic`: every
// layer when the whole network has at most max_full_parameters weights, else the last layer.
enum class LaplaceSubset { automatic, all, last_layer };
// The Hessian's structure: the whole GGN, its diagonal, or per layer a Kronecker product G (x) A.
enum class HessianStructure { full, diag, kfac };
// glm: the network linearised at theta_map, f(x) ~ N(f_map(x), J Sigma J^T); mc: weights drawn from
// the posterior and pushed through the network.
enum class LaplacePredictive { glm, mc };

LaplaceSubset laplace_subset_from_string(const std::string& name);  // "auto", "all", "last-layer"
std::string to_string(LaplaceSubset subset);
HessianStructure hessian_structure_from_string(const std::string& name);  // "full", "diag", "kfac"
std::string to_string(HessianStructure structure);
LaplacePredictive laplace_predictive_from_string(const std::string& name);  // "glm", "mc"
std::string to_string(LaplacePredictive predictive);

struct LaplaceOptions {
  TORCH_ARG(LaplaceSubset, subset) = LaplaceSubset::automatic;
  TORCH_ARG(HessianStructure, hessian) = HessianStructure::full;
  // > 0: this prior precision; 0: the one that maximises the Laplace marginal likelihood.
  TORCH_ARG(double, prior_precision) = 0.0;
  TORCH_ARG(LaplacePredictive, predictive) = LaplacePredictive::glm;
  // A full Hessian over more weights than this is refused (its P x P covariance and eigendecomposition).
  TORCH_ARG(int64_t, max_full_parameters) = 5000;
  // Rows per pass when the Hessian is accumulated over the data.
  TORCH_ARG(int64_t, batch_rows) = 256;
};

// The likelihood's Hessian in output space, per row: the GGN's Lambda(x) = d^2 (-log p(y | f)) / df^2
// (its expectation over y where the exact one depends on y).
struct OutputHessian {
  enum class Kind { gaussian, heteroscedastic_gaussian, categorical } kind = Kind::gaussian;
  double noise_variance = 1.0;  // gaussian: Lambda = 1 / sigma^2
  // From a regression likelihood (fixed or homoscedastic: its noise variance; heteroscedastic: the
  // Fisher of N(m, exp(s)) in (m, s), diag(exp(-s), 1/2)).
  static OutputHessian gaussian(const GaussianLikelihood& likelihood);
  // Softmax cross-entropy at temperature 1: diag(p) - p p^T.
  static OutputHessian categorical();
  // outputs [B, K] -> Lambda [B, K, K] (in outputs' dtype).
  at::Tensor operator()(const at::Tensor& outputs) const;
};

// The fitted posterior: everything the predictive needs beside the network's MAP weights.
struct LaplacePosterior {
  LaplaceSubset subset = LaplaceSubset::last_layer;  // never automatic once fitted
  HessianStructure hessian = HessianStructure::full;
  LaplacePredictive predictive = LaplacePredictive::glm;
  double prior_precision = 1.0;
  bool prior_precision_fitted = false;  // chosen by the marginal likelihood
  double log_marginal_likelihood = 0.0;  // at prior_precision
  int64_t rows = 0;                      // training rows the Hessian summed over
  std::vector<int64_t> layers;           // the network's layer indices of the dense layers covered
  // The weights covered: per layer in `layers`, W (out x in) then b, row-major, i.e. [W | b] row by row.
  int64_t parameter_count = 0;
  at::Tensor covariance;  // full: Sigma [P, P], float64
  at::Tensor variance;    // diag: the diagonal of Sigma [P], float64
  std::vector<KroneckerFactors> factors;  // kfac: one per layer in `layers`
};

// The dense layers of `net` whose weights `subset` covers (layer indices). Throws
// std::invalid_argument naming the layer when the network has weights Laplace cannot cover here
// (a layer with parameters that is not a deterministic dense layer) or no dense layer at the end.
std::vector<int64_t> laplace_layers(nn::Network& net, LaplaceSubset subset, int64_t max_full_parameters);

// The covered weights of `net` as one vector [P] (the layout of LaplacePosterior), and back.
at::Tensor flat_parameters(nn::Network& net, const std::vector<int64_t>& layers);
void set_flat_parameters(nn::Network& net, const std::vector<int64_t>& layers, const at::Tensor& flat);

// One pass with the pieces of the Jacobian: outputs [B, K] and, per covered layer, the layer's
// input with a column of ones for its bias, inputs [B, in(+1)], and the outputs' gradients with
// respect to the layer's pre-activation, output_gradients [B, K, out]. The Jacobian of output k with
// respect to that layer's [W | b] is output_gradients[b, k] (x) inputs[b].
struct LayerJacobians {
  at::Tensor outputs;
  std::vector<at::Tensor> inputs, output_gradients;
};
LayerJacobians layer_jacobians(nn::Network& net, const std::vector<int64_t>& layers, const at::Tensor& x);
// The Jacobian of the outputs with respect to the covered weights, [B, K, P].
at::Tensor jacobian(const LayerJacobians& pieces);

// log p(D) ~ log p(D | theta) - delta/2 |theta|^2 + P/2 log delta - 1/2 log det(H + delta I) with H's
// eigenvalues `hessian_eigenvalues` (the Gaussian prior N(0, I / delta) and its normaliser included).
double laplace_log_marginal_likelihood(double log_likelihood, double squared_norm, const at::Tensor& hessian_eigenvalues,
                                       double prior_precision);
// The prior precision in [1e-4, 1e6] that maximises `log_evidence`: a grid in log delta, refined by
// golden-section search around its best point.
double maximise_log_evidence(const std::function<double(double prior_precision)>& log_evidence);

// Fits the posterior on the rows (x, targets) for a network trained on them: `targets` as the
// likelihood takes them (standardised regression targets; int64 labels for categorical).
// `log_likelihood(outputs, targets)` is the summed log density of a batch.
LaplacePosterior fit_laplace(nn::Network& net, const OutputHessian& output_hessian,
                             const std::function<double(const at::Tensor& outputs, const at::Tensor& targets)>& log_likelihood,
                             const at::Tensor& x, const at::Tensor& targets, const LaplaceOptions& options);

}  // namespace credence::inference

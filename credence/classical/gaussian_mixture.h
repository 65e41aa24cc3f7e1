// Gaussian mixture fitted by expectation-maximisation (Bishop 9.2): full, diagonal or
// spherical covariances with a floor, k-means++ or random starts, restarts, BIC and AIC.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <string>
#include <vector>

namespace credence::classical {

enum class CovarianceType { full, diag, spherical };
CovarianceType covariance_type_from_string(const std::string& name);
std::string to_string(CovarianceType type);

// How the first responsibilities are set: hard labels from k-means (k-means++ seeds) or
// uniform random responsibilities, as scikit-learn's init_params "kmeans" and "random".
enum class MixtureInit { kmeans, random };
MixtureInit mixture_init_from_string(const std::string& name);
std::string to_string(MixtureInit init);

struct GaussianMixtureOptions {
  explicit GaussianMixtureOptions(int64_t n_components) : n_components_(n_components) {}
  TORCH_ARG(int64_t, n_components);
  TORCH_ARG(CovarianceType, covariance_type) = CovarianceType::full;
  // Added to every covariance diagonal in the M-step, so that no component collapses onto a point.
  TORCH_ARG(double, reg_covar) = 1e-6;
  TORCH_ARG(int64_t, max_iter) = 100;
  // Stop when the average log-likelihood changes by less than tol.
  TORCH_ARG(double, tol) = 1e-3;
  TORCH_ARG(int64_t, n_init) = 1;
  TORCH_ARG(MixtureInit, init) = MixtureInit::kmeans;
};

struct GaussianMixture {
  CovarianceType covariance_type = CovarianceType::full;
  at::Tensor weights;      // [k]
  at::Tensor means;        // [k, d]
  at::Tensor covariances;  // full [k, d, d], diag [k, d], spherical [k]
  bool converged = false;
  int64_t n_iter = 0;
  // Average log-likelihood of the training data before each M-step; never decreases
  // (up to round-off and the covariance floor).
  std::vector<double> log_likelihood_history;

  // Validates shapes and positive definiteness of given parameters.
  static GaussianMixture from_parameters(const at::Tensor& weights, const at::Tensor& means, const at::Tensor& covariances,
                                         CovarianceType type);
  // EM from k-means or random starts; the best of n_init runs by final average log-likelihood.
  static GaussianMixture fit(const at::Tensor& x, const GaussianMixtureOptions& options, at::Generator& generator);
  // EM from the parameters of `start` (options.n_components and covariance_type must agree).
  static GaussianMixture fit_from(const at::Tensor& x, const GaussianMixture& start, const GaussianMixtureOptions& options);
  // One M-step: the parameters that maximise the expected complete-data log-likelihood under `responsibilities` [n, k].
  static GaussianMixture from_responsibilities(const at::Tensor& x, const at::Tensor& responsibilities, CovarianceType type,
                                               double reg_covar);

  int64_t n_components() const { return weights.size(0); }
  int64_t n_features() const { return means.size(1); }
  // ln(w_k N(x_n | mu_k, Sigma_k)) [n, k]
  at::Tensor weighted_log_prob(const at::Tensor& x) const;
  at::Tensor log_likelihood(const at::Tensor& x) const;    // ln p(x_n) [n]
  at::Tensor responsibilities(const at::Tensor& x) const;  // p(k | x_n) [n, k]
  at::Tensor predict(const at::Tensor& x) const;           // most responsible component, int64 [n]
  double average_log_likelihood(const at::Tensor& x) const;
  int64_t n_parameters() const;
  double bic(const at::Tensor& x) const;
  double aic(const at::Tensor& x) const;
};

}  // namespace credence::classical

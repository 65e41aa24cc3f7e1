// Probabilistic PCA (Tipping & Bishop 1999; Bishop 12.2): x = W z + mu + noise with
// z ~ N(0, I) and isotropic noise sigma^2, fitted in closed form from the eigen-decomposition
// of the sample covariance or by EM; density of new data, posterior over z, reconstruction.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <string>
#include <vector>

namespace credence::classical {

enum class PpcaMethod { closed_form, em };
PpcaMethod ppca_method_from_string(const std::string& name);
std::string to_string(PpcaMethod method);

struct ProbabilisticPCAOptions {
  explicit ProbabilisticPCAOptions(int64_t n_components) : n_components_(n_components) {}
  TORCH_ARG(int64_t, n_components);
  TORCH_ARG(PpcaMethod, method) = PpcaMethod::closed_form;
  // Divide the scatter matrix by n - 1 instead of n: not the maximum-likelihood fit, but the
  // model that scikit-learn's PCA.score evaluates.
  TORCH_ARG(bool, unbiased) = false;
  TORCH_ARG(int64_t, max_iter) = 10000;
  // EM stops when the average log-likelihood changes by less than tol.
  TORCH_ARG(double, tol) = 1e-12;
};

struct ProbabilisticPCA {
  at::Tensor mean;            // mu [d]
  at::Tensor weights;         // W [d, q]
  double noise_variance = 0;  // sigma^2
  int64_t n_iter = 0;         // EM iterations (0 for the closed form)
  bool converged = true;
  std::vector<double> log_likelihood_history;  // EM: average training log-likelihood per iteration

  // Throws std::invalid_argument when q is not in 1..d-1 or n <= q, for NaN or constant data,
  // and std::runtime_error when sigma^2 is zero (the data lies in a q-dimensional subspace).
  static ProbabilisticPCA fit(const at::Tensor& x, const ProbabilisticPCAOptions& options, at::Generator& generator);

  int64_t n_components() const { return weights.size(1); }
  int64_t n_features() const { return weights.size(0); }
  at::Tensor covariance() const;                          // C = W W^T + sigma^2 I [d, d]
  at::Tensor log_likelihood(const at::Tensor& x) const;   // ln N(x_n | mu, C) [n]
  double average_log_likelihood(const at::Tensor& x) const;
  at::Tensor latent_mean(const at::Tensor& x) const;      // E[z | x_n] = M^-1 W^T (x_n - mu) [n, q]
  at::Tensor latent_covariance() const;                   // sigma^2 M^-1 [q, q], the same for every x
  // The orthogonal projection onto the principal subspace, W (W^T W)^-1 M E[z | x] + mu,
  // which (unlike W E[z | x] + mu) does not shrink towards the mean.
  at::Tensor reconstruct(const at::Tensor& x) const;
  // The orthonormal basis of the principal subspace, sorted by decreasing variance [q, d].
  at::Tensor principal_axes() const;
};

}  // namespace credence::classical

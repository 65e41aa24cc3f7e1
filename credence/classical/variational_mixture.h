// Variational Bayesian Gaussian mixture (Bishop 10.2): a Gaussian-Wishart prior on each
// component's mean and precision, and on the weights either a Dirichlet distribution or a
// truncated Dirichlet process (stick-breaking, Blei & Jordan 2006). Components that the
// data does not need keep their prior mass only, so their weights fall towards zero.
#pragma once

#include "credence/classical/gaussian_mixture.h"

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/arg.h>

#include <string>
#include <vector>

namespace credence::classical {

enum class WeightPrior { dirichlet_distribution, dirichlet_process };
WeightPrior weight_prior_from_string(const std::string& name);
std::string to_string(WeightPrior prior);

// Defaults follow scikit-learn's BayesianGaussianMixture: a zero value below means "from the data".
struct VariationalGaussianMixtureOptions {
  explicit VariationalGaussianMixtureOptions(int64_t n_components) : n_components_(n_components) {}
  TORCH_ARG(int64_t, n_components);
  TORCH_ARG(WeightPrior, weight_prior) = WeightPrior::dirichlet_process;
  // alpha_0 of the Dirichlet, or gamma_0 of the sticks' Beta(1, gamma_0); 0: 1 / n_components.
  TORCH_ARG(double, weight_concentration) = 0.0;
  // beta_0 of the Gaussian-Wishart prior.
  TORCH_ARG(double, mean_precision) = 1.0;
  // nu_0; 0: the number of features (the smallest proper value).
  TORCH_ARG(double, degrees_of_freedom) = 0.0;
  // Added to the diagonal of the prior scale W_0^-1 (the data covariance), once, so that the
  // prior stays proper on nearly singular data without breaking the bound's monotonicity.
  TORCH_ARG(double, reg_covar) = 1e-6;
  TORCH_ARG(int64_t, max_iter) = 500;
  // Stop when the evidence lower bound per data point changes by less than tol.
  TORCH_ARG(double, tol) = 1e-6;
  TORCH_ARG(int64_t, n_init) = 1;
  TORCH_ARG(MixtureInit, init) = MixtureInit::kmeans;
};

struct VariationalGaussianMixture {
  // The prior.
  WeightPrior weight_prior = WeightPrior::dirichlet_process;
  double weight_concentration_prior = 1.0;
  double mean_precision_prior = 1.0;
  at::Tensor mean_prior;  // m_0 [d]
  double degrees_of_freedom_prior = 1.0;
  at::Tensor scale_inverse_prior;  // W_0^-1 [d, d]
  // The variational posterior q(pi) q(mu, Lambda).
  at::Tensor weight_concentration;  // Dirichlet: alpha_k [k]; process: [k, 2] Beta(a_k, b_k) of the sticks
  at::Tensor mean_precision;        // beta_k [k]
  at::Tensor means;                 // m_k [k, d]
  at::Tensor degrees_of_freedom;    // nu_k [k]
  at::Tensor scale_inverse;         // W_k^-1 [k, d, d]
  std::vector<double> elbo_history;  // evidence lower bound per data point after each iteration; never decreases
  bool converged = false;
  int64_t n_iter = 0;

  static VariationalGaussianMixture fit(const at::Tensor& x, const VariationalGaussianMixtureOptions& options,
                                        at::Generator& generator);

  int64_t n_components() const { return means.size(0); }
  int64_t n_features() const { return means.size(1); }
  // E[pi_k] under q (for the process, the expected stick lengths), [k].
  at::Tensor weights() const;
  // Components whose expected weight is at least `threshold`; the rest are reported unused.
  std::vector<int64_t> used_components(double threshold = 0.01) const;
  // The posterior predictive density (Bishop 10.81): a mixture of Student-t distributions
  // with weights E[pi] renormalised over the k components. ln p(x_n | data) [n].
  at::Tensor log_likelihood(const at::Tensor& x) const;
  // The components' shares of that predictive density [n, k].
  at::Tensor responsibilities(const at::Tensor& x) const;
  at::Tensor predict(const at::Tensor& x) const;
  double average_log_likelihood(const at::Tensor& x) const;
  // The expected covariance of each component, E[Lambda_k]^-1 = W_k^-1 / nu_k [k, d, d].
  at::Tensor covariances() const;

  // The evidence lower bound per data point of `x` after an E-step with the current q; for tests.
  double elbo(const at::Tensor& x) const;
};

}  // namespace credence::classical

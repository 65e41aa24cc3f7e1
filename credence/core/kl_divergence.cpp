// Closed-form and Monte Carlo KL divergences.
#include "credence/core/kl_divergence.h"

#include "credence/core/gaussian.h"

#include <cmath>

namespace credence::core {

at::Tensor kl_gaussian_closed_form(const at::Tensor& mu, const at::Tensor& sigma, double prior_sigma) {
  auto variance_ratio = (sigma * sigma + mu * mu) / (2.0 * prior_sigma * prior_sigma);
  return (std::log(prior_sigma) - at::log(sigma) + variance_ratio - 0.5).sum();
}

at::Tensor kl_monte_carlo(const at::Tensor& w, const at::Tensor& mu, const at::Tensor& sigma,
                          const PriorOptions& prior) {
  return (gaussian_log_density(w, mu, sigma) - prior_log_density(prior, w)).sum();
}

}  // namespace credence::core

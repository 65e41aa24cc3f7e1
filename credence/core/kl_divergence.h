// KL(q || p) between a diagonal Gaussian posterior q and a weight prior p.
#pragma once

#include "credence/core/prior.h"

#include <ATen/ATen.h>

namespace credence::core {

// Closed form for a Gaussian prior N(0, prior_sigma^2), summed over all elements:
// sum log(prior_sigma / sigma) + (sigma^2 + mu^2) / (2 prior_sigma^2) - 1/2.
at::Tensor kl_gaussian_closed_form(const at::Tensor& mu, const at::Tensor& sigma, double prior_sigma);

// Single-sample Monte Carlo estimate sum log q(w) - log p(w) at a sample w ~ q.
at::Tensor kl_monte_carlo(const at::Tensor& w, const at::Tensor& mu, const at::Tensor& sigma,
                          const PriorOptions& prior);
// Its terms, element-wise: log q(w) - log p(w).
at::Tensor kl_monte_carlo_terms(const at::Tensor& w, const at::Tensor& mu, const at::Tensor& sigma,
                                const PriorOptions& prior);

}  // namespace credence::core

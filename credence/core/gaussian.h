// The diagonal Gaussian: its log density and the softplus parameterisation of sigma.
#pragma once

#include <ATen/ATen.h>

namespace credence::core {

// ln(2 pi), the normalising constant of every Gaussian log density.
inline constexpr double kLog2Pi = 1.8378770664093453;
// 0.5 ln(2 pi).
inline constexpr double kHalfLogTwoPi = 0.91893853320467274178;

// sigma = softplus(rho) = log(1 + exp(rho)), always positive, smooth in rho.
at::Tensor softplus(const at::Tensor& rho);
// rho such that softplus(rho) = sigma (sigma > 0).
double inverse_softplus(double sigma);

// Element-wise log N(x; mu, sigma^2).
at::Tensor gaussian_log_density(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& sigma);
at::Tensor gaussian_log_density(const at::Tensor& x, double mu, double sigma);

// Quantile of the standard normal distribution (probability in (0, 1)).
double standard_normal_quantile(double probability);

}  // namespace credence::core

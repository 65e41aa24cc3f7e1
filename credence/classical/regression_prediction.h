// The predictive distribution of the classical regressions (Bayesian linear regression, ARD,
// Gaussian processes): a Gaussian per row whose variance splits into noise and model uncertainty.
#pragma once

#include <ATen/ATen.h>

namespace credence::classical {

struct RegressionPrediction {
  at::Tensor mean;                // [n]
  at::Tensor aleatoric_variance;  // [n], the noise that more data would not remove
  at::Tensor epistemic_variance;  // [n], the model's uncertainty (weights, latent function) that it would
  at::Tensor variance() const { return aleatoric_variance + epistemic_variance; }
};

}  // namespace credence::classical

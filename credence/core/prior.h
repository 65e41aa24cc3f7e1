// Priors over weights: a zero-mean Gaussian or a scale mixture of two zero-mean Gaussians.
#pragma once

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <string>

namespace credence::core {

enum class PriorKind { gaussian, scale_mixture };

// Gaussian: N(0, sigma^2). Scale mixture (Blundell et al. 2015):
// pi N(0, sigma1^2) + (1 - pi) N(0, sigma2^2), with sigma1 > sigma2.
struct PriorOptions {
  TORCH_ARG(PriorKind, kind) = PriorKind::gaussian;
  TORCH_ARG(double, sigma) = 1.0;
  TORCH_ARG(double, pi) = 0.5;
  TORCH_ARG(double, sigma1) = 1.0;
  TORCH_ARG(double, sigma2) = 0.0024787521766663585;  // exp(-6)
};

// Throws std::invalid_argument naming the offending field.
void validate(const PriorOptions& prior);

// Element-wise log p(w), stable for any w (log-sum-exp for the mixture, no log(0)).
at::Tensor prior_log_density(const PriorOptions& prior, const at::Tensor& w);

PriorKind prior_kind_from_string(const std::string& name);
std::string to_string(PriorKind kind);

}  // namespace credence::core

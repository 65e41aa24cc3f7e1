// NetworkLogDensity: the log posterior density of a deterministic network's weights (and the noise's
// log-variance where it is learned) as a function of one flat vector, for the samplers.
#pragma once

#include "credence/inference/gaussian_likelihood.h"
#include "credence/nn/network.h"

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::inference {

struct NetworkLogDensityOptions {
  // Isotropic Gaussian prior N(0, prior_sigma^2) on every weight and bias. 1 suits standardised
  // inputs and targets (see docs/sampling.md).
  TORCH_ARG(double, prior_sigma) = 1.0;
  // Homoscedastic noise: the prior N(mean, sigma^2) on the log noise variance s (standardised
  // units). Centred at s = 0 (noise as large as the targets' spread); sigma 3 puts noise standard
  // deviations from e^-4.5 = 0.01 to 1 within 1.5 prior standard deviations.
  TORCH_ARG(double, log_noise_prior_mean) = 0.0;
  TORCH_ARG(double, log_noise_prior_sigma) = 3.0;
};

// A contiguous piece of the flat vector: one layer's weights or biases, or the noise.
struct ParameterGroup {
  std::string name;
  int64_t offset = 0;
  int64_t size = 0;
};

// The density works on a float64 copy of the network (the network passed in is not changed).
// Position layout: torch::nn::utils::parameters_to_vector(net->parameters()), then, for
// homoscedastic noise, the log noise variance.
class NetworkLogDensity {
 public:
  // Regression: rows x [N, ...], targets y [N]; the likelihood gives the noise model (and the fixed
  // noise variance, or the starting one for homoscedastic noise).
  NetworkLogDensity(const nn::Network& net, const GaussianLikelihood& likelihood, const at::Tensor& x, const at::Tensor& y,
                    const NetworkLogDensityOptions& options = {});
  // Classification with softmax cross-entropy: labels [N] int64.
  NetworkLogDensity(const nn::Network& net, const at::Tensor& x, const at::Tensor& labels,
                    const NetworkLogDensityOptions& options = {});

  int64_t dimension() const { return dimension_; }
  int64_t rows() const { return x_.size(0); }
  const std::vector<ParameterGroup>& groups() const { return groups_; }
  // The starting network (and noise) as a flat float64 vector.
  at::Tensor initial_position() const { return initial_position_.clone(); }
  // Another network of the same spec as a position (the noise at its starting value).
  at::Tensor position_of(const nn::Network& net) const;

  // log p(position | data) up to a constant, and its gradient written to `gradient` [D]. With `rows`
  // (int64 indices), the log-likelihood of those rows scaled by N / rows (an unbiased estimate).
  double log_density_and_gradient(const at::Tensor& position, at::Tensor& gradient, const at::Tensor& rows = {});
  double log_density(const at::Tensor& position);
  // Every particle of positions [P, D] at once: log p [P] and gradients [P, D] on the same rows. A
  // plain MLP (nn::dense_chain) runs as batched matrix products over the particles, its gradient
  // written out by hand (as it is for one position); any other network one particle after another
  // through autograd.
  at::Tensor log_density_and_gradient_batch(const at::Tensor& positions, at::Tensor& gradients, const at::Tensor& rows = {});
  bool batches_particles() const { return !dense_layers_.empty(); }

  // Network outputs on the rows x for a position: [N, output...].
  at::Tensor outputs(const at::Tensor& position);
  // A network of the original spec and dtype holding the position's weights.
  nn::Network network_at(const at::Tensor& position);
  // Regression: the likelihood holding the position's noise.
  GaussianLikelihood likelihood_at(const at::Tensor& position) const;

 private:
  void set_up(const nn::Network& net);
  at::Tensor log_likelihood(const at::Tensor& outputs, const at::Tensor& y, const at::Tensor& log_noise) const;
  at::Tensor checked(const at::Tensor& position) const;
  // The autograd path, for any network.
  at::Tensor evaluate(const at::Tensor& position, const at::Tensor& rows, bool with_gradient);
  // The hand-written path of a plain dense chain: log p [P] of positions q [P, D] (float64,
  // contiguous) and, when `gradients` is given, d log p / d q [P, D].
  at::Tensor dense_evaluate(const at::Tensor& q, const at::Tensor& rows, at::Tensor* gradients);

  bool classification_ = false;
  GaussianLikelihoodOptions likelihood_options_;
  GaussianLikelihood likelihood_{nullptr};  // regression: the noise model, with a heteroscedastic head's bounds
  NetworkLogDensityOptions options_;
  nn::Network net_ = nullptr;  // the float64 copy
  std::vector<at::Tensor> parameters_;
  at::ScalarType dtype_ = at::kFloat;
  at::Tensor x_, y_;
  int64_t network_size_ = 0;
  int64_t dimension_ = 0;
  std::vector<ParameterGroup> groups_;
  at::Tensor initial_position_;
  at::Tensor gradient_;
  struct DenseSlice {
    int64_t weight_offset = 0, bias_offset = -1, in = 0, out = 0;
  };
  std::vector<DenseSlice> dense_layers_;  // empty unless the network is a plain dense chain
  // dense_evaluate's buffers, kept from call to call: the first layer's product, and per layer its
  // output, its weight gradient's product and the derivative carried below it.
  struct DenseScratch {
    at::Tensor first;
    std::vector<at::Tensor> hidden, products, downs;
  };
  DenseScratch scratch_;
  bool tanh_ = false;
};

}  // namespace credence::inference

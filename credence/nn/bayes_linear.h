// BayesLinear: a fully connected layer with a diagonal Gaussian posterior over its weights.
#pragma once

#include "credence/core/prior.h"
#include "credence/nn/sampling_cost.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <string>

namespace credence::nn {

enum class Estimator {
  reparameterization,        // one weight sample per forward pass, shared by the minibatch
  local_reparameterization,  // pre-activations sampled per row: mean x mu, variance x^2 sigma^2
  flipout,                   // one weight perturbation decorrelated per row by random signs (Wen et al. 2018)
};
Estimator estimator_from_string(const std::string& name);
std::string to_string(Estimator estimator);

// Added to a sampled pre-activation's variance in training: keeps sqrt differentiable where the
// variance underflows to zero.
inline constexpr double kPreActivationVarianceFloor = 1e-16;

struct BayesLinearOptions {
  BayesLinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(core::PriorOptions, prior) = {};
  TORCH_ARG(Estimator, estimator) = Estimator::local_reparameterization;
  // Posterior standard deviation at initialisation (sigma = softplus(rho)).
  TORCH_ARG(double, initial_sigma) = 1e-2;
};

class BayesLinearImpl : public torch::nn::Cloneable<BayesLinearImpl> {
 public:
  BayesLinearImpl(int64_t in_features, int64_t out_features)
      : BayesLinearImpl(BayesLinearOptions(in_features, out_features)) {}
  explicit BayesLinearImpl(const BayesLinearOptions& options);

  void reset() override;
  // Redraws the means (as torch::nn::Linear does) from this layer's generator and sets every sigma to initial_sigma.
  void reset_parameters();

  // x: [B, in] -> [B, out]. One posterior sample (sampling mode) or the posterior mean.
  at::Tensor forward(const at::Tensor& x);

  // S Monte Carlo samples in one batched pass. x is [B, in] (the same input for every
  // sample) or [S, B, in]; the result is [S, B, out]. Each row's marginal distribution
  // is exact; the strategy per call is chosen by cost (sampling_cost.h) unless forced.
  at::Tensor forward_samples(const at::Tensor& x, int64_t samples,
                             c10::optional<SamplingStrategy> strategy = c10::nullopt);

  // Draws S weight matrices (and biases) once and keeps them: later forward_samples calls with
  // per-sample inputs [S, B, in] and the same S use them, so a prediction split into chunks of
  // rows draws its weights once rather than once per chunk, and sample s is the same function
  // for every row. release_weight_samples() drops them.
  void hold_weight_samples(int64_t samples);
  void release_weight_samples();
  bool holds_weight_samples() const { return held_weight_.defined(); }

  // KL(q || p) summed over weights and bias: closed form for a Gaussian prior, a
  // one-sample Monte Carlo estimate for the scale mixture (reusing the weights of the
  // last reparameterized forward pass when there is one, as Blundell et al. do).
  at::Tensor kl();

  at::Tensor weight_sigma() const;
  at::Tensor bias_sigma() const;

  // Sampling mode (default) draws from the posterior; otherwise the mean is used.
  void set_sampling(bool sampling) { sampling_ = sampling; }
  bool sampling() const { return sampling_; }
  void set_generator(c10::optional<at::Generator> generator) { generator_ = std::move(generator); }

  BayesLinearOptions options;
  at::Tensor weight_mu, weight_rho, bias_mu, bias_rho;

 private:
  at::Tensor normal(at::IntArrayRef sizes) const;
  at::Tensor random_signs(at::IntArrayRef sizes) const;
  at::Tensor effective_bias_mu() const;
  at::Tensor effective_bias_variance() const;

  bool sampling_ = true;
  c10::optional<at::Generator> generator_;
  at::Tensor last_weight_sample_, last_bias_sample_;
  at::Tensor held_weight_, held_bias_;  // [S, in, out] and [S, 1, out] while held
  // sigma of the last sampling forward pass, reused (with its graph) by the next kl().
  at::Tensor cached_weight_sigma_, cached_bias_sigma_;
  int64_t cached_rho_version_ = -1;
};
TORCH_MODULE(BayesLinear);

}  // namespace credence::nn

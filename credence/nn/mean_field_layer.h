// MeanFieldLayer: the machinery every Bayesian weight layer shares (Blundell et al. 2015): a
// diagonal Gaussian posterior w = mu + softplus(rho) eps over the weights and biases, the three
// gradient estimators, batched Monte Carlo sampling, the KL against the prior and the weights that
// pruning removed. A layer (dense, convolution, ...) adds only its operation, which must be linear
// in the weights: y = op(x, W) + b.
#pragma once

#include "credence/core/prior.h"
#include "credence/core/row_keyed_noise.h"
#include "credence/nn/layer.h"
#include "credence/nn/sampling_cost.h"

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <string>
#include <utility>
#include <vector>

namespace credence::nn {

// The estimator is a strategy of the shared machinery, not a copy of the layer.
enum class Estimator {
  reparameterization,        // one weight sample per forward pass, shared by the minibatch
  local_reparameterization,  // pre-activations sampled per row: mean op(x, mu), variance op(x^2, sigma^2)
  flipout,                   // one weight perturbation decorrelated per row by random signs (Wen et al. 2018)
};
Estimator estimator_from_string(const std::string& name);
std::string to_string(Estimator estimator);

// Added to a sampled pre-activation's variance in training: keeps sqrt differentiable where the
// variance underflows to zero.
inline constexpr double kPreActivationVarianceFloor = 1e-16;

struct MeanFieldOptions {
  TORCH_ARG(core::PriorOptions, prior) = {};
  TORCH_ARG(Estimator, estimator) = Estimator::local_reparameterization;
  // Posterior standard deviation at initialisation (sigma = softplus(rho)).
  TORCH_ARG(double, initial_sigma) = 1e-2;
};

class SpecFields;
// A Bayesian layer's spec fields "prior", "estimator" and "initial_sigma" (each optional, with the
// defaults above, or the layer's own default estimator; a bad value fails naming the layer), and the
// same written back into a spec.
MeanFieldOptions read_mean_field_fields(SpecFields& fields,
                                        Estimator default_estimator = Estimator::local_reparameterization);
void write_mean_field_fields(nlohmann::json& spec, const MeanFieldOptions& options);

// One posterior parameter: the means and rhos of a weight tensor or of a bias.
struct PosteriorParameter {
  at::Tensor mu, rho;
};

class MeanFieldLayer : public Layer {
 public:
  // One pass: a posterior sample drawn by the estimator (sampling mode) or the posterior mean.
  at::Tensor forward(const at::Tensor& x) override;
  // S samples; the strategy is chosen by cost (sampling_cost.h) unless given.
  SampleBatch forward_samples(const SampleBatch& x) override;
  SampleBatch forward_samples(const SampleBatch& x, SamplingStrategy strategy);

  bool is_bayesian() const override { return true; }
  bool is_stochastic() const override { return sampling_; }
  // KL(q || p) over the kept weights and biases: closed form for a Gaussian prior; for the scale
  // mixture a one-sample Monte Carlo estimate (reusing the weights of the last reparameterized or
  // Flipout pass, as Blundell et al. do, else a fresh sample).
  at::Tensor kl() override;
  void set_sampling(bool sampling) override { sampling_ = sampling; }
  bool sampling() const { return sampling_; }
  void set_generator(c10::optional<at::Generator> generator) override { generator_ = std::move(generator); }
  // Means as LibTorch initialises a layer's weights (uniform within 1/sqrt(fan-in)); every sigma at
  // initial_sigma.
  void reset_parameters() override;

  // Draws S weight samples once, where the cost model prefers them for `total_rows` rows of shape
  // `input`, and keeps them: later passes with the same S and input layout use them, so a prediction
  // in chunks draws its weights once and sample s is one function for every row. Where it prefers
  // pre-activation sampling (on the CPU), the noise is addressed by row instead (core/row_keyed_noise.h),
  // so that the draws do not depend on the chunks either.
  void hold_weight_samples(int64_t samples, int64_t total_rows, const Shape& input, bool shared_input) override;
  // The same whatever the cost.
  void hold_weight_samples(int64_t samples);
  void release_weight_samples() override;
  bool holds_weight_samples() const { return held_weights_.defined(); }
  int64_t held_elements() const override;

  at::Tensor weight_sigma() const;
  at::Tensor bias_sigma() const;  // undefined without a bias
  bool has_bias() const { return bias_mu.defined(); }
  // The weight's posterior parameter, then the bias's (if any).
  std::vector<PosteriorParameter> posterior_parameters() const;
  // Re-reads which weights pruning removed (mean 0, rho -infinity): they stay at zero in every pass
  // and the KL counts the kept weights only. Called after pruning and after loading parameters.
  void refresh_removed_weights();

  virtual MeanFieldOptions mean_field_options() const = 0;

  at::Tensor weight_mu, weight_rho, bias_mu, bias_rho;

 protected:
  // Registers weight_mu and weight_rho of `weight_shape`, and bias_mu and bias_rho of [bias_size]
  // (none when bias_size is 0), then initialises them. For the layer's reset().
  void register_posterior(at::IntArrayRef weight_shape, int64_t bias_size);

  // The layer's operation, linear in the weight: op(x, weight) + bias (bias may be undefined).
  virtual at::Tensor apply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const = 0;
  // The same with S weight samples [S, weight...] and biases [S, out] (undefined without a bias):
  // sample s uses weights[s]. Returns a per-sample [S*B, out...] batch.
  virtual at::Tensor apply_sampled_weights(const SampleBatch& x, const at::Tensor& weights,
                                           const at::Tensor& biases) const = 0;
  // Flipout's random signs: one per row and input feature (or channel) for the input, one per row
  // and output feature (or channel) for the output; sizes broadcastable against x and y.
  virtual std::vector<int64_t> input_sign_sizes(const at::Tensor& x) const = 0;
  virtual std::vector<int64_t> output_sign_sizes(const at::Tensor& y) const = 0;
  virtual ProductCost product_cost(const Shape& input) const = 0;
  // Flipout's pass with the posterior means (mu, b_mu) and one perturbation (delta, bias_delta): for
  // an operation linear in the weights, op(x, mu) + op(x * r, delta) * s with random signs r and s per
  // row. A layer whose operation is not linear in its weights (a recurrence) gives its own.
  virtual at::Tensor apply_flipout(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& b_mu,
                                   const at::Tensor& delta, const at::Tensor& bias_delta) const;
  at::Tensor random_signs(at::IntArrayRef sizes) const;
  // S weight samples [S, weight...] and biases [S, out]: those held for S samples, else fresh ones.
  std::pair<at::Tensor, at::Tensor> weight_samples(int64_t samples) const;
  // Inputs feeding one output: the initialisation bound is 1 / sqrt(fan_in).
  virtual int64_t fan_in() const = 0;

 private:
  at::Tensor normal(at::IntArrayRef sizes) const;
  // Noise [S, B, out...] for the pre-activations `mean` of batch x: by row while held, else fresh.
  at::Tensor pre_activation_noise(const SampleBatch& x, const at::Tensor& mean) const;
  at::Tensor kept_weight_mu() const;
  at::Tensor kept_bias_mu() const;
  at::Tensor bias_variance(const at::Tensor& bias_sigma) const;
  std::pair<at::Tensor, at::Tensor> draw_weight_samples(int64_t samples) const;

  bool sampling_ = true;
  c10::optional<at::Generator> generator_;
  // Pruned weights (true where removed); undefined when none are.
  at::Tensor weight_removed_, bias_removed_;
  // The weights of the last reparameterized or Flipout pass, for the scale mixture's KL.
  at::Tensor last_weight_sample_, last_bias_sample_;
  at::Tensor held_weights_, held_biases_;  // [S, weight...] and [S, out] while held
  bool held_for_shared_input_ = false;
  core::RowKeyedNoise held_noise_;  // pre-activation noise by row while held
  // sigma of the last sampling forward pass, reused (with its graph) by the next kl(): softplus and
  // its backward over every weight are a large share of a training step's element-wise work.
  at::Tensor cached_weight_sigma_, cached_bias_sigma_;
  int64_t cached_rho_version_ = -1;
};

}  // namespace credence::nn

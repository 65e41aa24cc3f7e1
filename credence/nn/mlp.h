// Mlp: a multilayer perceptron built from a spec, Bayesian (bbb), MC dropout or deterministic.
#pragma once

#include "credence/core/prior.h"
#include "credence/nn/bayes_linear.h"
#include "credence/nn/mc_dropout.h"

#include <ATen/ATen.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace credence::nn {

enum class Method { bbb, mcdropout, deterministic };
Method method_from_string(const std::string& name);
std::string to_string(Method method);

enum class Activation { relu, tanh };
Activation activation_from_string(const std::string& name);
std::string to_string(Activation activation);

struct MlpOptions {
  MlpOptions(int64_t input, std::vector<int64_t> hidden, int64_t output)
      : input_(input), hidden_(std::move(hidden)), output_(output) {}
  TORCH_ARG(int64_t, input);
  TORCH_ARG(std::vector<int64_t>, hidden);
  TORCH_ARG(int64_t, output);
  TORCH_ARG(Activation, activation) = Activation::relu;
  TORCH_ARG(Method, method) = Method::bbb;
  // bbb only.
  TORCH_ARG(core::PriorOptions, prior) = {};
  TORCH_ARG(Estimator, estimator) = Estimator::local_reparameterization;
  TORCH_ARG(double, initial_sigma) = 1e-2;
  // mcdropout only: dropout before every layer after the first.
  TORCH_ARG(double, dropout) = 0.05;
  // mcdropout only: dropout on the inputs, before the first layer (0: none, the default; Srivastava
  // et al. 2014 use 0.2 on MNIST pixels). With it the first layer's product is no longer shared by
  // the Monte Carlo samples.
  TORCH_ARG(double, input_dropout) = 0.0;
};

class MlpImpl : public torch::nn::Cloneable<MlpImpl> {
 public:
  explicit MlpImpl(const MlpOptions& options);
  void reset() override;

  // One stochastic pass (training): [B, input] -> [B, output].
  at::Tensor forward(const at::Tensor& x);
  // S Monte Carlo samples in one batched pass: [B, input] -> [S, B, output].
  // The first layer sees the same input for every sample and is computed once.
  at::Tensor forward_samples(const at::Tensor& x, int64_t samples);

  // bbb: before a prediction over `total_rows` rows in chunks, draws the S weight samples of
  // every layer after the first once, where the cost model (sampling_cost.h) says that one
  // product per sample beats sampling pre-activations for that many rows. The first layer
  // sees the same input for every sample and keeps its shared mean and variance products.
  void hold_weight_samples(int64_t samples, int64_t total_rows);
  void release_weight_samples();

  // Sum of the KL terms of the Bayesian layers (zero for the other methods).
  at::Tensor kl();

  // bbb: sample from the posterior (true) or use its mean (false).
  void set_sampling(bool sampling);
  // Routes every random draw of the network (initialisation, noise, masks) to `generator`.
  void set_generator(c10::optional<at::Generator> generator);
  // Redraws all weights from the network's generator.
  void reset_parameters();

  // True when predictions vary between samples (bbb in sampling mode, mcdropout with p > 0).
  bool is_stochastic() const;

  MlpOptions options;
  std::vector<BayesLinear> bayes_layers;
  std::vector<torch::nn::Linear> linear_layers;
  std::vector<McDropout> dropouts;
  McDropout input_dropout{nullptr};  // mcdropout with options.input_dropout() > 0

 private:
  size_t layer_count() const;
  at::Tensor apply_layer(size_t index, const at::Tensor& x);
  at::Tensor activate(const at::Tensor& x) const;
  c10::optional<at::Generator> generator_;
  bool sampling_ = true;
};
TORCH_MODULE(Mlp);

// Holds a network's weight samples for the lifetime of the guard (see hold_weight_samples).
class HeldWeightSamples {
 public:
  HeldWeightSamples(Mlp net, int64_t samples, int64_t total_rows) : net_(std::move(net)) {
    net_->hold_weight_samples(samples, total_rows);
  }
  ~HeldWeightSamples() { net_->release_weight_samples(); }
  HeldWeightSamples(const HeldWeightSamples&) = delete;
  HeldWeightSamples& operator=(const HeldWeightSamples&) = delete;

 private:
  Mlp net_;
};

}  // namespace credence::nn

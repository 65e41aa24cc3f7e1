// Network: an ordered list of typed layers built from a NetworkSpec by the layer registry. It is
// what every consumer takes: training (either step), batched Monte Carlo prediction, pruning, model
// files and inspect. A multilayer perceptron is one spec among others.
#pragma once

#include "credence/nn/layer.h"
#include "credence/nn/network_spec.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <vector>

namespace credence::nn {

class NetworkImpl : public torch::nn::Cloneable<NetworkImpl> {
 public:
  // The spec must be complete: an input shape, and layers whose shapes chain. Throws
  // std::invalid_argument naming the layer (index and type), the shapes and what was expected.
  explicit NetworkImpl(NetworkSpec spec);
  void reset() override;

  // One pass (training: every stochastic layer draws once): [B, input...] -> [B, output...].
  at::Tensor forward(const at::Tensor& x);
  // One pass through layers [begin, end) only: from begin 0, x is an input row batch; otherwise x
  // is layer begin's input [B, layer_input_shape(begin)...]. The input to the last dense layer (a
  // classifier's penultimate features) or a discriminator's body shared with another head.
  at::Tensor forward_layers(const at::Tensor& x, size_t begin, size_t end);
  // S Monte Carlo samples in one batched pass: [B, input...] -> [S, B, output...]. Layers before
  // the first stochastic one are computed once for all samples; from there rows are tiled [S*B, ...].
  // `first_row`: where x starts within a prediction held over more rows (hold_weight_samples).
  at::Tensor forward_samples(const at::Tensor& x, int64_t samples, int64_t first_row = 0);

  // Sum of the Bayesian layers' KL terms (zero without any).
  at::Tensor kl();
  // Sampling mode (default): posterior samples and dropout masks; otherwise the mean network.
  void set_sampling(bool sampling);
  void set_generator(c10::optional<at::Generator> generator);
  c10::optional<at::Generator> generator() const { return generator_; }
  // Redraws every parameter from the network's generator.
  void reset_parameters();
  // Before a prediction over `total_rows` rows in chunks: see Layer::hold_weight_samples.
  void hold_weight_samples(int64_t samples, int64_t total_rows);
  void release_weight_samples();
  // Values the layers hold for it (weight samples), for a memory budget.
  int64_t held_elements() const;
  // After parameters were changed outside training (pruning, loading): the Bayesian layers re-read
  // which weights are removed.
  void refresh_removed_weights();

  // Predictions vary between samples.
  bool is_stochastic() const;
  bool is_bayesian() const;
  // "bbb" (a Bayesian layer), "mcdropout" (dropout), else "deterministic".
  std::string method() const;

  // The complete spec (every field explicit), as model files store it.
  NetworkSpec spec() const;
  const Shape& input_shape() const { return spec_.input; }
  const Shape& output_shape() const { return shapes_.back(); }
  // The output shape of layer i (layer_output_shape(size() - 1) is the network's).
  const Shape& layer_output_shape(size_t i) const { return shapes_.at(i + 1); }
  const Shape& layer_input_shape(size_t i) const { return shapes_.at(i); }
  // The most values in one row at any point: the input, any layer's output or working values.
  int64_t widest_activation() const;
  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_.at(i); }
  const Layer& layer(size_t i) const { return *layers_.at(i); }

 private:
  NetworkSpec spec_;
  std::vector<std::shared_ptr<Layer>> layers_;
  std::vector<Shape> shapes_;  // the input, then every layer's output
  c10::optional<at::Generator> generator_;
  bool sampling_ = true;
};
TORCH_MODULE(Network);

// [B, features...] rows shaped for the network: x must be [B, input...] or flat [B, prod(input)]
// (a table or image row as the data modules give it), which is viewed as [B, input...]. Throws
// std::invalid_argument saying what the network takes otherwise.
at::Tensor shape_rows(const at::Tensor& x, const Shape& input);

// Holds a network's weight samples for the lifetime of the guard (see hold_weight_samples).
class HeldWeightSamples {
 public:
  HeldWeightSamples(Network net, int64_t samples, int64_t total_rows) : net_(std::move(net)) {
    net_->hold_weight_samples(samples, total_rows);
  }
  ~HeldWeightSamples() { net_->release_weight_samples(); }
  HeldWeightSamples(const HeldWeightSamples&) = delete;
  HeldWeightSamples& operator=(const HeldWeightSamples&) = delete;

 private:
  Network net_;
};

}  // namespace credence::nn

// Layer: what every layer of a Network provides: its spec, its output shape, the single pass, the
// Monte Carlo pass under the explicit sampling protocol (sample_batch.h) and, for a Bayesian layer,
// its KL term. A layer is a torch::nn::Module too (LayerModule below), so its parameters are the
// network's parameters.
#pragma once

#include "credence/nn/sample_batch.h"
#include "credence/nn/shape.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <nlohmann/json_fwd.hpp>
#include <torch/nn/cloneable.h>

#include <memory>
#include <string>

namespace credence::nn {

class Layer {
 public:
  virtual ~Layer() = default;

  // The spec's type name ("bayes_conv2d") and every field of the layer (defaults included), as the
  // registry reads them back: {"type": ..., ...}. Sizes that follow from the input (in_features,
  // in_channels) are not fields: the network derives them from the previous layer's output.
  virtual std::string type() const = 0;
  virtual nlohmann::json spec() const = 0;

  // One row's output shape for one row's input shape; throws std::invalid_argument saying what the
  // layer accepts when it does not accept `input`.
  virtual Shape output_shape(const Shape& input) const = 0;

  // One pass: [B, input...] -> [B, output...]. Stochastic layers draw one sample (training).
  virtual at::Tensor forward(const at::Tensor& x) = 0;
  // S Monte Carlo samples. A layer that treats rows independently and draws nothing maps the values
  // and keeps the layout (a shared batch is computed once); stochastic layers return per-sample batches.
  virtual SampleBatch forward_samples(const SampleBatch& x) { return x.with_values(forward(x.values)); }

  // A posterior over the layer's weights, with a KL term.
  virtual bool is_bayesian() const { return false; }
  // Passes differ from one another (a Bayesian layer in sampling mode, dropout with p > 0).
  virtual bool is_stochastic() const { return false; }
  // KL(q || p) of the layer's posterior; undefined for a layer that has none.
  virtual at::Tensor kl() { return at::Tensor(); }
  // Sampling mode (the default) draws from the posterior or the dropout masks; otherwise the mean is used.
  virtual void set_sampling(bool /*sampling*/) {}
  // Routes every random draw of the layer (initialisation, noise, masks) to `generator`.
  virtual void set_generator(c10::optional<at::Generator> /*generator*/) {}
  // Draws the parameters anew from the layer's generator.
  virtual void reset_parameters() {}
  // Before a prediction over `total_rows` rows in chunks, with inputs of one row's shape `input`
  // shared by all samples or given per sample: a Bayesian layer may draw its S weight samples once
  // (where that is cheaper than sampling pre-activations), so that every chunk sees the same S
  // functions; a layer that draws noise per row may address it by row (SampleBatch::first_row), so
  // that a row's draws do not depend on the chunks.
  virtual void hold_weight_samples(int64_t /*samples*/, int64_t /*total_rows*/, const Shape& /*input*/,
                                   bool /*shared_input*/) {}
  virtual void release_weight_samples() {}
  // Values held by hold_weight_samples (they count against a prediction's memory budget).
  virtual int64_t held_elements() const { return 0; }
  // Values one row holds inside the layer beyond its input and output (a recurrence's gates and
  // states), which count against a prediction's memory budget as activations do.
  virtual int64_t working_values(const Shape& /*input*/) const { return 0; }

  virtual torch::nn::Module& module() = 0;
  const torch::nn::Module& module() const { return const_cast<Layer*>(this)->module(); }
  std::shared_ptr<torch::nn::Module> module_ptr() { return module().shared_from_this(); }
};

// The base of a layer class: a LibTorch module (Cloneable, as the LibTorch frontend's own modules
// are) that is also a Layer (or a Layer with shared machinery, such as MeanFieldLayer).
template <typename Impl, typename Interface = Layer>
class LayerModule : public torch::nn::Cloneable<Impl>, public Interface {
 public:
  using Layer::module;
  torch::nn::Module& module() override { return *this; }
};

}  // namespace credence::nn

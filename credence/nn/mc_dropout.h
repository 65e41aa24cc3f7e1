// McDropout: inverted dropout that stays on at prediction time (Gal & Ghahramani 2016), element-wise
// or channel-wise (one mask value per row and channel of a feature map, Tompson et al. 2015) (spec
// type "mc_dropout"). The masks are the posterior samples.
#pragma once

#include "credence/core/row_keyed_noise.h"
#include "credence/nn/layer.h"

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include <string>

namespace credence::nn {

class SpecFields;

enum class DropoutKind { element, channel };
DropoutKind dropout_kind_from_string(const std::string& name);
std::string to_string(DropoutKind kind);

struct McDropoutOptions {
  /* implicit */ McDropoutOptions(double p = 0.05) : p_(p) {}
  // Probability of dropping a unit (or a channel).
  TORCH_ARG(double, p);
  TORCH_ARG(DropoutKind, kind) = DropoutKind::element;
};

class McDropoutImpl : public LayerModule<McDropoutImpl> {
 public:
  explicit McDropoutImpl(const McDropoutOptions& options = {});
  // From a spec's fields ("p", "kind": "element" | "channel").
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);
  void reset() override;

  std::string type() const override { return "mc_dropout"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  // Drops units with probability p and scales survivors by 1/(1-p), in training and in prediction alike.
  at::Tensor forward(const at::Tensor& x) override;
  // A shared batch [B, ...] becomes S masked copies [S*B, ...]; a per-sample batch gets one mask per row.
  SampleBatch forward_samples(const SampleBatch& x) override;

  bool is_stochastic() const override { return sampling_ && options.p() > 0.0; }
  // Off (sampling false): the identity, the mean network of inverted dropout.
  void set_sampling(bool sampling) override { sampling_ = sampling; }
  void set_generator(c10::optional<at::Generator> generator) override { generator_ = std::move(generator); }
  // For a prediction in chunks: the masks are addressed by row (core/row_keyed_noise.h), so that a
  // row's masks do not depend on the chunks (CPU generators; others draw per chunk).
  void hold_weight_samples(int64_t samples, int64_t total_rows, const Shape& input, bool shared_input) override;
  void release_weight_samples() override { held_masks_ = core::RowKeyedNoise(); }

  McDropoutOptions options;

 private:
  // A scaled Bernoulli mask of `sizes` (channel-wise masks have size 1 over the positions).
  at::Tensor mask(at::IntArrayRef sizes, const at::TensorOptions& tensor_options) const;
  // Masks [S*B, ...] (sizes) for the rows of x from the held row-addressed noise, or undefined.
  at::Tensor held_mask(const SampleBatch& x, at::IntArrayRef sizes) const;
  core::RowKeyedNoise held_masks_;
  c10::optional<at::Generator> generator_;
  bool sampling_ = true;
};
TORCH_MODULE(McDropout);

}  // namespace credence::nn

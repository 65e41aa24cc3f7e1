// Linear: a deterministic fully connected layer (spec type "linear"), as torch::nn::Linear, drawing
// its initial weights from the network's generator.
#pragma once

#include "credence/nn/layer.h"

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;
};

class LinearImpl : public LayerModule<LinearImpl> {
 public:
  LinearImpl(int64_t in_features, int64_t out_features) : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options);
  // From a spec's fields ("out_features", "bias") for an input [in_features].
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);

  void reset() override;
  void reset_parameters() override;
  void set_generator(c10::optional<at::Generator> generator) override { generator_ = std::move(generator); }

  std::string type() const override { return "linear"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  at::Tensor forward(const at::Tensor& x) override;

  LinearOptions options;
  at::Tensor weight, bias;

 private:
  c10::optional<at::Generator> generator_;
};
TORCH_MODULE(Linear);

}  // namespace credence::nn

// Flatten: a feature map [channels, ...] to flat features (spec type "flatten"), before dense layers.
#pragma once

#include "credence/nn/layer.h"

#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

class FlattenImpl : public LayerModule<FlattenImpl> {
 public:
  FlattenImpl() = default;
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);
  void reset() override {}

  std::string type() const override { return "flatten"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override { return {element_count(input)}; }
  at::Tensor forward(const at::Tensor& x) override { return x.flatten(1); }
};
TORCH_MODULE(Flatten);

}  // namespace credence::nn

// Unflatten: flat features to a feature map (spec type "unflatten", field "shape", e.g. [64, 7, 7]),
// the inverse of flatten: where a decoder or a generator turns a dense layer's output into the
// input of transposed convolutions.
#pragma once

#include "credence/nn/layer.h"

#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

class UnflattenImpl : public LayerModule<UnflattenImpl> {
 public:
  explicit UnflattenImpl(Shape shape = {1}) : shape_(std::move(shape)) {}
  // Throws (naming the layer) unless the input is [features] with as many features as the shape holds.
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);
  void reset() override {}

  std::string type() const override { return "unflatten"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  at::Tensor forward(const at::Tensor& x) override;

 private:
  Shape shape_;
};
TORCH_MODULE(Unflatten);

}  // namespace credence::nn

// Activation: an element-wise nonlinearity (spec types "relu", "tanh", "gelu", "sigmoid" and
// "leaky_relu", whose field "negative_slope" defaults to 0.2, the slope of DCGAN's discriminator).
#pragma once

#include "credence/nn/layer.h"

#include <torch/nn/pimpl.h>

#include <string>

namespace credence::nn {

class SpecFields;

enum class ActivationKind { relu, tanh, gelu, sigmoid, leaky_relu };
ActivationKind activation_kind_from_string(const std::string& name);
std::string to_string(ActivationKind kind);

class ActivationImpl : public LayerModule<ActivationImpl> {
 public:
  explicit ActivationImpl(ActivationKind kind = ActivationKind::relu, double negative_slope = kDefaultNegativeSlope)
      : kind_(kind), negative_slope_(negative_slope) {}
  // The spec's type names the function; only leaky_relu has a field.
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input, ActivationKind kind);
  static constexpr double kDefaultNegativeSlope = 0.2;
  void reset() override {}

  std::string type() const override { return to_string(kind_); }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override { return input; }
  at::Tensor forward(const at::Tensor& x) override;
  ActivationKind kind() const { return kind_; }
  double negative_slope() const { return negative_slope_; }

 private:
  ActivationKind kind_;
  double negative_slope_;
};
TORCH_MODULE(Activation);

}  // namespace credence::nn

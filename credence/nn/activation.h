// Activation: an element-wise nonlinearity (spec types "relu", "tanh", "gelu").
#pragma once

#include "credence/nn/layer.h"

#include <torch/nn/pimpl.h>

#include <string>

namespace credence::nn {

class SpecFields;

enum class ActivationKind { relu, tanh, gelu };
ActivationKind activation_kind_from_string(const std::string& name);
std::string to_string(ActivationKind kind);

class ActivationImpl : public LayerModule<ActivationImpl> {
 public:
  explicit ActivationImpl(ActivationKind kind = ActivationKind::relu) : kind_(kind) {}
  // The spec's type names the function; it has no fields.
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input, ActivationKind kind);
  void reset() override {}

  std::string type() const override { return to_string(kind_); }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override { return input; }
  at::Tensor forward(const at::Tensor& x) override;
  ActivationKind kind() const { return kind_; }

 private:
  ActivationKind kind_;
};
TORCH_MODULE(Activation);

}  // namespace credence::nn

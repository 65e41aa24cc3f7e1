// Activation: relu, tanh, gelu, sigmoid and leaky_relu.
#include "credence/nn/activation.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

ActivationKind activation_kind_from_string(const std::string& name) {
  if (name == "relu") return ActivationKind::relu;
  if (name == "tanh") return ActivationKind::tanh;
  if (name == "gelu") return ActivationKind::gelu;
  if (name == "sigmoid") return ActivationKind::sigmoid;
  if (name == "leaky_relu") return ActivationKind::leaky_relu;
  throw std::invalid_argument("unknown activation '" + name + "' (expected relu, tanh, gelu, sigmoid or leaky_relu)");
}

std::string to_string(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::relu: return "relu";
    case ActivationKind::tanh: return "tanh";
    case ActivationKind::gelu: return "gelu";
    case ActivationKind::sigmoid: return "sigmoid";
    case ActivationKind::leaky_relu: return "leaky_relu";
  }
  return "unknown";
}

std::shared_ptr<Layer> ActivationImpl::from_spec(SpecFields& fields, const Shape& /*input*/, ActivationKind kind) {
  if (kind != ActivationKind::leaky_relu) return std::make_shared<ActivationImpl>(kind);
  const double slope = fields.number_or("negative_slope", kDefaultNegativeSlope);
  if (!(slope >= 0.0 && slope < 1.0)) fields.fail("negative_slope must be in [0, 1), got " + std::to_string(slope));
  return std::make_shared<ActivationImpl>(kind, slope);
}

nlohmann::json ActivationImpl::spec() const {
  nlohmann::json j = {{"type", type()}};
  if (kind_ == ActivationKind::leaky_relu) j["negative_slope"] = negative_slope_;
  return j;
}

at::Tensor ActivationImpl::forward(const at::Tensor& x) {
  switch (kind_) {
    case ActivationKind::relu: return at::relu(x);
    case ActivationKind::tanh: return at::tanh(x);
    case ActivationKind::gelu: return at::gelu(x);
    case ActivationKind::sigmoid: return at::sigmoid(x);
    case ActivationKind::leaky_relu: return at::leaky_relu(x, negative_slope_);
  }
  return x;
}

}  // namespace credence::nn

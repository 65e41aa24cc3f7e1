// Activation: relu, tanh and gelu.
#include "credence/nn/activation.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

ActivationKind activation_kind_from_string(const std::string& name) {
  if (name == "relu") return ActivationKind::relu;
  if (name == "tanh") return ActivationKind::tanh;
  if (name == "gelu") return ActivationKind::gelu;
  throw std::invalid_argument("unknown activation '" + name + "' (expected relu, tanh or gelu)");
}

std::string to_string(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::relu: return "relu";
    case ActivationKind::tanh: return "tanh";
    case ActivationKind::gelu: return "gelu";
  }
  return "unknown";
}

std::shared_ptr<Layer> ActivationImpl::from_spec(SpecFields& /*fields*/, const Shape& /*input*/, ActivationKind kind) {
  return std::make_shared<ActivationImpl>(kind);
}

nlohmann::json ActivationImpl::spec() const { return {{"type", type()}}; }

at::Tensor ActivationImpl::forward(const at::Tensor& x) {
  switch (kind_) {
    case ActivationKind::relu: return at::relu(x);
    case ActivationKind::tanh: return at::tanh(x);
    case ActivationKind::gelu: return at::gelu(x);
  }
  return x;
}

}  // namespace credence::nn

// Linear: the deterministic dense layer.
#include "credence/nn/linear.h"

#include "credence/nn/bayes_linear.h"
#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

namespace credence::nn {

LinearImpl::LinearImpl(const LinearOptions& options_) : options(options_) { reset(); }

void LinearImpl::reset() {
  if (options.in_features() <= 0 || options.out_features() <= 0) {
    throw std::invalid_argument("Linear: in_features and out_features must be positive");
  }
  weight = register_parameter("weight", at::empty({options.out_features(), options.in_features()}));
  bias = options.bias() ? register_parameter("bias", at::empty({options.out_features()})) : at::Tensor();
  reset_parameters();
}

void LinearImpl::reset_parameters() {
  at::NoGradGuard no_grad;
  // As torch::nn::Linear: uniform within 1 / sqrt(fan-in), weights and bias alike.
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.in_features()));
  weight.uniform_(-bound, bound, generator_);
  if (bias.defined()) bias.uniform_(-bound, bound, generator_);
}

std::shared_ptr<Layer> LinearImpl::from_spec(SpecFields& fields, const Shape& input) {
  if (input.size() != 1) fields.fail("expects a flat input [features], got " + to_string(input) + " (put a flatten layer before it)");
  return std::make_shared<LinearImpl>(
      LinearOptions(input[0], fields.positive_integer("out_features")).bias(fields.boolean_or("bias", true)));
}

nlohmann::json LinearImpl::spec() const {
  return {{"type", type()}, {"out_features", options.out_features()}, {"bias", options.bias()}};
}

Shape LinearImpl::output_shape(const Shape& input) const {
  check_dense_input(input, options.in_features());
  return {options.out_features()};
}

at::Tensor LinearImpl::forward(const at::Tensor& x) { return at::linear(x, weight, bias); }

}  // namespace credence::nn

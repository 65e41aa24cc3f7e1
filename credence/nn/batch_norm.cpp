// BatchNorm1d and BatchNorm2d on at::batch_norm.
#include "credence/nn/batch_norm.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

namespace {

// The rows a type takes: batch_norm1d [features] or [channels, length]; batch_norm2d [channels, height, width].
bool takes(int64_t spatial, const Shape& input) {
  return spatial == 1 ? (input.size() == 1 || input.size() == 2) : input.size() == 3;
}

std::string expected(int64_t spatial) {
  return spatial == 1 ? "[features] or [channels, length]" : "[channels, height, width]";
}

}  // namespace

BatchNormImpl::BatchNormImpl(int64_t spatial, int64_t channels, double momentum, double eps)
    : spatial_(spatial), channels_(channels), momentum_(momentum), eps_(eps) {
  reset();
}

void BatchNormImpl::reset() {
  weight = register_parameter("weight", at::ones({channels_}));
  bias = register_parameter("bias", at::zeros({channels_}));
  running_mean = register_buffer("running_mean", at::zeros({channels_}));
  running_var = register_buffer("running_var", at::ones({channels_}));
}

void BatchNormImpl::reset_parameters() {
  at::NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
  running_mean.zero_();
  running_var.fill_(1.0);
}

std::shared_ptr<Layer> BatchNormImpl::from_spec(SpecFields& fields, const Shape& input, int64_t spatial) {
  if (!takes(spatial, input)) fields.fail("expects an input " + expected(spatial) + ", got " + to_string(input));
  const double momentum = fields.number_or("momentum", 0.1);
  const double eps = fields.number_or("eps", 1e-5);
  if (!(momentum > 0.0 && momentum <= 1.0)) fields.fail("momentum must be in (0, 1], got " + std::to_string(momentum));
  if (!(eps > 0.0)) fields.fail("eps must be positive, got " + std::to_string(eps));
  return std::make_shared<BatchNormImpl>(spatial, input[0], momentum, eps);
}

nlohmann::json BatchNormImpl::spec() const { return {{"type", type()}, {"momentum", momentum_}, {"eps", eps_}}; }

Shape BatchNormImpl::output_shape(const Shape& input) const {
  if (!takes(spatial_, input) || input[0] != channels_) {
    throw std::invalid_argument("expects an input " + expected(spatial_) + " with " + std::to_string(channels_) +
                                " channels, got " + to_string(input));
  }
  return input;
}

at::Tensor BatchNormImpl::forward(const at::Tensor& x) {
  if (is_training() && x.size(0) < 2 && x.dim() == 2) {
    throw std::invalid_argument(type() + ": a training minibatch of one row has no variance to normalise by");
  }
  return at::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum_, eps_,
                        /*cudnn_enabled=*/false);
}

}  // namespace credence::nn

// ConvTranspose2d on at::conv_transpose2d.
#include "credence/nn/conv_transpose.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

namespace credence::nn {

ConvTranspose2dImpl::ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, ConvolutionGeometry geometry,
                                         std::vector<int64_t> output_padding, bool bias)
    : in_channels_(in_channels), out_channels_(out_channels), geometry_(std::move(geometry)),
      output_padding_(std::move(output_padding)), has_bias_(bias) {
  reset();
}

void ConvTranspose2dImpl::reset() {
  std::vector<int64_t> shape{in_channels_, out_channels_};
  shape.insert(shape.end(), geometry_.kernel_size.begin(), geometry_.kernel_size.end());
  weight = register_parameter("weight", at::empty(shape));
  bias = has_bias_ ? register_parameter("bias", at::empty({out_channels_})) : at::Tensor();
  reset_parameters();
}

void ConvTranspose2dImpl::reset_parameters() {
  at::NoGradGuard no_grad;
  // As torch::nn::ConvTranspose2d: uniform within 1 / sqrt(fan-in), where the fan-in of a weight
  // [in, out, k, k] is counted as out * k * k.
  const double bound = 1.0 / std::sqrt(static_cast<double>(out_channels_ * geometry_.kernel_elements()));
  weight.uniform_(-bound, bound, generator_);
  if (bias.defined()) bias.uniform_(-bound, bound, generator_);
}

std::shared_ptr<Layer> ConvTranspose2dImpl::from_spec(SpecFields& fields, const Shape& input) {
  if (input.size() != 3) fields.fail("expects an input [channels, height, width], got " + to_string(input));
  auto geometry = ConvolutionGeometry::from_spec(fields, 2);
  const auto output_padding = fields.integers_or("output_padding", 2, 0, 0);
  for (size_t d = 0; d < 2; ++d) {
    if (output_padding[d] >= std::max(geometry.stride[d], geometry.dilation[d])) {
      fields.fail("output_padding must be below the stride or the dilation, got " + std::to_string(output_padding[d]));
    }
  }
  auto layer = std::make_shared<ConvTranspose2dImpl>(input[0], fields.positive_integer("out_channels"), std::move(geometry),
                                                     output_padding, fields.boolean_or("bias", true));
  try {
    layer->output_shape(input);
  } catch (const std::invalid_argument& e) {
    fields.fail(e.what());
  }
  return layer;
}

nlohmann::json ConvTranspose2dImpl::spec() const {
  nlohmann::json j = {{"type", type()}, {"out_channels", out_channels_}};
  geometry_.add_to_spec(j);
  j["output_padding"] = output_padding_;
  j["bias"] = has_bias_;
  return j;
}

Shape ConvTranspose2dImpl::output_shape(const Shape& input) const {
  if (input.size() != 3 || input[0] != in_channels_) {
    throw std::invalid_argument("expects an input [" + std::to_string(in_channels_) + ", height, width], got " +
                                to_string(input));
  }
  Shape out{out_channels_};
  for (size_t d = 0; d < 2; ++d) {
    const int64_t size = (input[d + 1] - 1) * geometry_.stride[d] - 2 * geometry_.padding[d] +
                         geometry_.dilation[d] * (geometry_.kernel_size[d] - 1) + output_padding_[d] + 1;
    if (size < 1) {
      throw std::invalid_argument("an input " + to_string(input) + " leaves no output (padding too large for the kernel)");
    }
    out.push_back(size);
  }
  return out;
}

at::Tensor ConvTranspose2dImpl::forward(const at::Tensor& x) {
  return at::conv_transpose2d(x, weight, bias, geometry_.stride, geometry_.padding, output_padding_, /*groups=*/1,
                              geometry_.dilation);
}

}  // namespace credence::nn

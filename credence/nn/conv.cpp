// Conv1d and Conv2d: the deterministic convolutions.
#include "credence/nn/conv.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

namespace credence::nn {

template <size_t D>
ConvImpl<D>::ConvImpl(const ConvOptions<D>& options_) : options(options_) {
  reset();
}

template <size_t D>
void ConvImpl<D>::reset() {
  if (options.in_channels() <= 0 || options.out_channels() <= 0) {
    throw std::invalid_argument(type() + ": in_channels and out_channels must be positive");
  }
  geometry_ = geometry_of(options);
  const auto weight_shape = geometry_.kernel_shape(options.out_channels(), options.in_channels());
  weight = this->register_parameter("weight", at::empty(weight_shape));
  bias = options.bias() ? this->register_parameter("bias", at::empty({options.out_channels()})) : at::Tensor();
  reset_parameters();
}

template <size_t D>
void ConvImpl<D>::reset_parameters() {
  at::NoGradGuard no_grad;
  // As torch::nn::Conv: uniform within 1 / sqrt(fan-in), weights and bias alike.
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.in_channels() * geometry_.kernel_elements()));
  weight.uniform_(-bound, bound, generator_);
  if (bias.defined()) bias.uniform_(-bound, bound, generator_);
}

template <size_t D>
std::shared_ptr<Layer> ConvImpl<D>::from_spec(SpecFields& fields, const Shape& input) {
  if (input.size() != D + 1) {
    fields.fail(std::string("expects an input ") + (D == 1 ? "[channels, length]" : "[channels, height, width]") +
                ", got " + to_string(input));
  }
  const auto geometry = ConvolutionGeometry::from_spec(fields, D);
  torch::ExpandingArray<D> kernel(geometry.kernel_size), stride(geometry.stride), padding(geometry.padding),
      dilation(geometry.dilation);
  return std::make_shared<ConvImpl<D>>(ConvOptions<D>(input[0], fields.positive_integer("out_channels"), kernel)
                                           .stride(stride)
                                           .padding(padding)
                                           .dilation(dilation)
                                           .bias(fields.boolean_or("bias", true)));
}

template <size_t D>
nlohmann::json ConvImpl<D>::spec() const {
  nlohmann::json j = {{"type", type()}, {"out_channels", options.out_channels()}};
  geometry_.add_to_spec(j);
  j["bias"] = options.bias();
  return j;
}

template <size_t D>
Shape ConvImpl<D>::output_shape(const Shape& input) const {
  return geometry_.output_shape(input, options.in_channels(), options.out_channels());
}

template <size_t D>
at::Tensor ConvImpl<D>::forward(const at::Tensor& x) {
  return geometry_.convolve(x, weight, bias);
}

template class ConvImpl<1>;
template class ConvImpl<2>;

}  // namespace credence::nn

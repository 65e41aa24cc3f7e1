// BayesConv1d and BayesConv2d: the convolution on the shared mean-field machinery.
#include "credence/nn/bayes_conv.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

std::vector<int64_t> channel_sign_sizes(const at::Tensor& t) {
  std::vector<int64_t> sizes(static_cast<size_t>(t.dim()), 1);
  sizes[0] = t.size(0);
  sizes[1] = t.size(1);
  return sizes;
}

template <size_t D>
BayesConvImpl<D>::BayesConvImpl(const BayesConvOptions<D>& options_) : options(options_) {
  reset();
}

template <size_t D>
void BayesConvImpl<D>::reset() {
  if (options.in_channels() <= 0 || options.out_channels() <= 0) {
    throw std::invalid_argument(type() + ": in_channels and out_channels must be positive");
  }
  geometry_ = geometry_of(options);
  const auto weight_shape = geometry_.kernel_shape(options.out_channels(), options.in_channels());
  this->register_posterior(weight_shape, options.bias() ? options.out_channels() : 0);
}

template <size_t D>
std::shared_ptr<Layer> BayesConvImpl<D>::from_spec(SpecFields& fields, const Shape& input) {
  if (input.size() != D + 1) {
    fields.fail(std::string("expects an input ") + (D == 1 ? "[channels, length]" : "[channels, height, width]") +
                ", got " + to_string(input));
  }
  const auto geometry = ConvolutionGeometry::from_spec(fields, D);
  torch::ExpandingArray<D> kernel(geometry.kernel_size), stride(geometry.stride), padding(geometry.padding),
      dilation(geometry.dilation);
  const auto out_channels = fields.positive_integer("out_channels");
  const bool bias = fields.boolean_or("bias", true);
  const auto mean_field = read_mean_field_fields(fields);
  const auto options = BayesConvOptions<D>(input[0], out_channels, kernel)
                           .stride(stride)
                           .padding(padding)
                           .dilation(dilation)
                           .bias(bias)
                           .prior(mean_field.prior())
                           .estimator(mean_field.estimator())
                           .initial_sigma(mean_field.initial_sigma());
  return std::make_shared<BayesConvImpl<D>>(options);
}

template <size_t D>
nlohmann::json BayesConvImpl<D>::spec() const {
  nlohmann::json j = {{"type", type()}, {"out_channels", options.out_channels()}};
  geometry_.add_to_spec(j);
  j["bias"] = options.bias();
  write_mean_field_fields(j, mean_field_options());
  return j;
}

template <size_t D>
Shape BayesConvImpl<D>::output_shape(const Shape& input) const {
  return geometry_.output_shape(input, options.in_channels(), options.out_channels());
}

template <size_t D>
MeanFieldOptions BayesConvImpl<D>::mean_field_options() const {
  return MeanFieldOptions().prior(options.prior()).estimator(options.estimator()).initial_sigma(options.initial_sigma());
}

template <size_t D>
at::Tensor BayesConvImpl<D>::apply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const {
  return geometry_.convolve(x, weight, bias);
}

template <size_t D>
at::Tensor BayesConvImpl<D>::apply_sampled_weights(const SampleBatch& x, const at::Tensor& weights,
                                                   const at::Tensor& biases) const {
  return geometry_.convolve_sampled_weights(x, weights, biases);
}

template <size_t D>
std::vector<int64_t> BayesConvImpl<D>::input_sign_sizes(const at::Tensor& x) const {
  return channel_sign_sizes(x);
}

template <size_t D>
std::vector<int64_t> BayesConvImpl<D>::output_sign_sizes(const at::Tensor& y) const {
  return channel_sign_sizes(y);
}

template <size_t D>
ProductCost BayesConvImpl<D>::product_cost(const Shape& input) const {
  const auto out = output_shape(input);
  const double positions = static_cast<double>(element_count(out)) / static_cast<double>(out[0]);
  const int64_t per_output_channel = options.in_channels() * geometry_.kernel_elements();
  return {positions * static_cast<double>(options.out_channels() * per_output_channel),
          static_cast<double>(element_count(out)),
          options.out_channels() * (per_output_channel + (options.bias() ? 1 : 0))};
}

template <size_t D>
int64_t BayesConvImpl<D>::fan_in() const {
  return options.in_channels() * geometry_.kernel_elements();
}

template class BayesConvImpl<1>;
template class BayesConvImpl<2>;

}  // namespace credence::nn

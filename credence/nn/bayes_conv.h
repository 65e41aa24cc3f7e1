// BayesConv1d and BayesConv2d: convolutions with a diagonal Gaussian posterior over every kernel
// weight and bias (spec types "bayes_conv1d", "bayes_conv2d"). Local reparameterization samples the
// output activations from the mean convolution conv(x, mu) and the variance convolution
// conv(x^2, sigma^2) (Kingma et al. 2015); Flipout flips signs per row and channel.
#pragma once

#include "credence/core/prior.h"
#include "credence/nn/convolution.h"
#include "credence/nn/mean_field_layer.h"

#include <torch/expanding_array.h>
#include <torch/nn/pimpl.h>

namespace credence::nn {

template <size_t D>
struct BayesConvOptions {
  BayesConvOptions(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(torch::ExpandingArray<D>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<D>, stride) = 1;
  TORCH_ARG(torch::ExpandingArray<D>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<D>, dilation) = 1;
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(core::PriorOptions, prior) = {};
  TORCH_ARG(Estimator, estimator) = Estimator::local_reparameterization;
  TORCH_ARG(double, initial_sigma) = 1e-2;
};
using BayesConv1dOptions = BayesConvOptions<1>;
using BayesConv2dOptions = BayesConvOptions<2>;

template <size_t D>
class BayesConvImpl : public LayerModule<BayesConvImpl<D>, MeanFieldLayer> {
 public:
  explicit BayesConvImpl(const BayesConvOptions<D>& options);
  // From a spec's fields ("out_channels", "kernel_size", "stride", "padding", "dilation", "bias",
  // "prior", "estimator", "initial_sigma") for an input [in_channels, spatial...].
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);

  void reset() override;

  std::string type() const override { return D == 1 ? "bayes_conv1d" : "bayes_conv2d"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  MeanFieldOptions mean_field_options() const override;
  const ConvolutionGeometry& geometry() const { return geometry_; }

  BayesConvOptions<D> options;

 protected:
  at::Tensor apply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const override;
  at::Tensor apply_sampled_weights(const SampleBatch& x, const at::Tensor& weights, const at::Tensor& biases) const override;
  std::vector<int64_t> input_sign_sizes(const at::Tensor& x) const override;
  std::vector<int64_t> output_sign_sizes(const at::Tensor& y) const override;
  ProductCost product_cost(const Shape& input) const override;
  int64_t fan_in() const override;

 private:
  ConvolutionGeometry geometry_;
};

extern template class BayesConvImpl<1>;
extern template class BayesConvImpl<2>;
using BayesConv1dImpl = BayesConvImpl<1>;
using BayesConv2dImpl = BayesConvImpl<2>;
TORCH_MODULE(BayesConv1d);
TORCH_MODULE(BayesConv2d);

// Signs per row and channel, broadcast over the spatial positions: [N, C, 1, ...].
std::vector<int64_t> channel_sign_sizes(const at::Tensor& t);

}  // namespace credence::nn

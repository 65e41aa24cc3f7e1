// Conv1d and Conv2d: deterministic convolutions (spec types "conv1d", "conv2d"), as
// torch::nn::Conv1d/2d, drawing their initial weights from the network's generator.
#pragma once

#include "credence/nn/convolution.h"
#include "credence/nn/layer.h"

#include <torch/arg.h>
#include <torch/expanding_array.h>
#include <torch/nn/pimpl.h>

namespace credence::nn {

template <size_t D>
struct ConvOptions {
  ConvOptions(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(torch::ExpandingArray<D>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<D>, stride) = 1;
  TORCH_ARG(torch::ExpandingArray<D>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<D>, dilation) = 1;
  TORCH_ARG(bool, bias) = true;
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;

template <size_t D>
class ConvImpl : public LayerModule<ConvImpl<D>> {
 public:
  explicit ConvImpl(const ConvOptions<D>& options);
  // From a spec's fields ("out_channels", "kernel_size", "stride", "padding", "dilation", "bias").
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);

  void reset() override;
  void reset_parameters() override;
  void set_generator(c10::optional<at::Generator> generator) override { generator_ = std::move(generator); }

  std::string type() const override { return D == 1 ? "conv1d" : "conv2d"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  at::Tensor forward(const at::Tensor& x) override;
  const ConvolutionGeometry& geometry() const { return geometry_; }

  ConvOptions<D> options;
  at::Tensor weight, bias;

 private:
  ConvolutionGeometry geometry_;
  c10::optional<at::Generator> generator_;
};

extern template class ConvImpl<1>;
extern template class ConvImpl<2>;
using Conv1dImpl = ConvImpl<1>;
using Conv2dImpl = ConvImpl<2>;
TORCH_MODULE(Conv1d);
TORCH_MODULE(Conv2d);

}  // namespace credence::nn

// ConvTranspose2d: the transposed convolution (spec type "conv_transpose2d"), which upsamples a
// feature map as the generators of DCGAN do: [in_channels, H, W] -> [out_channels, H', W'] with
// H' = (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1. Fields
// "out_channels", "kernel_size", "stride" (1), "padding" (0), "output_padding" (0, below the stride
// or the dilation), "dilation" (1), "bias" (true). Deterministic weights only: bbb leaves it as it is.
#pragma once

#include "credence/nn/convolution.h"
#include "credence/nn/layer.h"

#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

class ConvTranspose2dImpl : public LayerModule<ConvTranspose2dImpl> {
 public:
  ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, ConvolutionGeometry geometry,
                      std::vector<int64_t> output_padding, bool bias);
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);

  void reset() override;
  void reset_parameters() override;
  void set_generator(c10::optional<at::Generator> generator) override { generator_ = std::move(generator); }

  std::string type() const override { return "conv_transpose2d"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  at::Tensor forward(const at::Tensor& x) override;

  at::Tensor weight, bias;  // weight [in, out, kernel...], as at::conv_transpose2d takes it

 private:
  int64_t in_channels_, out_channels_;
  ConvolutionGeometry geometry_;
  std::vector<int64_t> output_padding_;
  bool has_bias_;
  c10::optional<at::Generator> generator_;
};
TORCH_MODULE(ConvTranspose2d);

}  // namespace credence::nn

// Convolution geometry (kernel, stride, padding, dilation over D spatial dimensions) and the
// convolution products that the deterministic and the Bayesian convolution layers share.
#pragma once

#include "credence/nn/sample_batch.h"
#include "credence/nn/shape.h"

#include <ATen/ATen.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <vector>

namespace credence::nn {

class SpecFields;

struct ConvolutionGeometry {
  std::vector<int64_t> kernel_size, stride, padding, dilation;  // one entry per spatial dimension

  size_t dims() const { return kernel_size.size(); }
  // The kernel tensor's shape [out, in, kernel...].
  std::vector<int64_t> kernel_shape(int64_t out_channels, int64_t in_channels) const;
  // Reads kernel_size (required), stride, padding and dilation (defaults 1, 0, 1) for D dimensions.
  static ConvolutionGeometry from_spec(SpecFields& fields, size_t dims);
  // Adds the four fields to a layer's spec.
  void add_to_spec(nlohmann::json& spec) const;

  // [out_channels, spatial...] for an input [in_channels, spatial...]; throws std::invalid_argument
  // saying what is expected when the input has the wrong rank or channels, or is too small.
  Shape output_shape(const Shape& input, int64_t in_channels, int64_t out_channels) const;
  int64_t kernel_elements() const;

  // conv(x, weight) + bias over [N, C, spatial...] (at::conv1d or conv2d).
  at::Tensor convolve(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t groups = 1) const;
  // The same for S weight samples [S, out, in, kernel...] and biases [S, out] (may be undefined), on
  // a shared [B, in, ...] or a per-sample [S*B, in, ...] batch; returns [S*B, out, ...]. A shared
  // input takes one convolution with the samples' kernels stacked as output channels; per-sample
  // inputs one convolution per sample.
  at::Tensor convolve_sampled_weights(const SampleBatch& x, const at::Tensor& weights, const at::Tensor& biases) const;
};

// The geometry of a convolution's options (any D).
template <typename Options>
ConvolutionGeometry geometry_of(const Options& options) {
  const auto as_vector = [](const auto& array) { return std::vector<int64_t>(array->begin(), array->end()); };
  return {as_vector(options.kernel_size()), as_vector(options.stride()), as_vector(options.padding()),
          as_vector(options.dilation())};
}

}  // namespace credence::nn

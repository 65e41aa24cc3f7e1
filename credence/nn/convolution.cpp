// Convolution geometry and products.
#include "credence/nn/convolution.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

ConvolutionGeometry ConvolutionGeometry::from_spec(SpecFields& fields, size_t dims) {
  ConvolutionGeometry g;
  g.kernel_size = fields.integers("kernel_size", dims, 1);
  g.stride = fields.integers_or("stride", dims, 1, 1);
  g.padding = fields.integers_or("padding", dims, 0, 0);
  g.dilation = fields.integers_or("dilation", dims, 1, 1);
  return g;
}

void ConvolutionGeometry::add_to_spec(nlohmann::json& spec) const {
  spec["kernel_size"] = kernel_size;
  spec["stride"] = stride;
  spec["padding"] = padding;
  spec["dilation"] = dilation;
}

int64_t ConvolutionGeometry::kernel_elements() const {
  int64_t count = 1;
  for (auto k : kernel_size) count *= k;
  return count;
}

Shape ConvolutionGeometry::output_shape(const Shape& input, int64_t in_channels, int64_t out_channels) const {
  const std::string expected = dims() == 1 ? "[channels, length]" : "[channels, height, width]";
  if (input.size() != dims() + 1) {
    throw std::invalid_argument("expects an input " + expected + ", got " + to_string(input));
  }
  if (input[0] != in_channels) {
    throw std::invalid_argument("expects " + std::to_string(in_channels) + " input channels, got " + to_string(input));
  }
  Shape out{out_channels};
  for (size_t d = 0; d < dims(); ++d) {
    const int64_t span = dilation[d] * (kernel_size[d] - 1) + 1;
    const int64_t padded = input[d + 1] + 2 * padding[d];
    if (padded < span) {
      throw std::invalid_argument("input " + to_string(input) + " is smaller than the kernel (" + std::to_string(span) +
                                  " wide with dilation, after padding " + std::to_string(padding[d]) + ")");
    }
    out.push_back((padded - span) / stride[d] + 1);
  }
  return out;
}

std::vector<int64_t> ConvolutionGeometry::kernel_shape(int64_t out_channels, int64_t in_channels) const {
  std::vector<int64_t> shape{out_channels, in_channels};
  shape.insert(shape.end(), kernel_size.begin(), kernel_size.end());
  return shape;
}

at::Tensor ConvolutionGeometry::convolve(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                         int64_t groups) const {
  if (dims() == 1) return at::conv1d(x, weight, bias, stride, padding, dilation, groups);
  return at::conv2d(x, weight, bias, stride, padding, dilation, groups);
}

at::Tensor ConvolutionGeometry::convolve_sampled_weights(const SampleBatch& x, const at::Tensor& weights,
                                                         const at::Tensor& biases) const {
  const int64_t samples = weights.size(0), out = weights.size(1);
  const int64_t rows = x.rows();
  if (!x.shared) {
    // Sample s's rows are contiguous: one convolution each with its own kernels. (A grouped
    // convolution over all samples at once measured two to three times slower in oneDNN, and its
    // input and output need reordering.)
    const auto inputs = x.values.split(rows, 0);
    const auto kernels = weights.unbind(0);
    const auto offsets = biases.defined() ? biases.unbind(0) : std::vector<at::Tensor>(static_cast<size_t>(samples));
    std::vector<at::Tensor> outputs;
    outputs.reserve(static_cast<size_t>(samples));
    for (size_t s = 0; s < kernels.size(); ++s) outputs.push_back(convolve(inputs[s], kernels[s], offsets[s]));
    return at::cat(outputs, 0);
  }
  // A shared input: the samples' kernels stacked as output channels, one convolution
  // [B, S*out, ...], reordered to [S*B, out, ...].
  auto kernel_sizes = weights.sizes().vec();
  kernel_sizes.erase(kernel_sizes.begin());
  kernel_sizes[0] = samples * out;
  auto y = convolve(x.values, weights.reshape(kernel_sizes), biases.defined() ? biases.reshape({samples * out}) : at::Tensor());
  auto out_sizes = y.sizes().vec();
  std::vector<int64_t> split{rows, samples, out};
  split.insert(split.end(), out_sizes.begin() + 2, out_sizes.end());
  auto result_sizes = split;
  result_sizes.erase(result_sizes.begin());
  result_sizes[0] = samples * rows;
  return y.view(split).transpose(0, 1).reshape(result_sizes);
}

}  // namespace credence::nn

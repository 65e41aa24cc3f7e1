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

at::Tensor ConvolutionGeometry::convolve(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                         int64_t groups) const {
  if (dims() == 1) return at::conv1d(x, weight, bias, stride, padding, dilation, groups);
  return at::conv2d(x, weight, bias, stride, padding, dilation, groups);
}

at::Tensor ConvolutionGeometry::convolve_sampled_weights(const SampleBatch& x, const at::Tensor& weights,
                                                         const at::Tensor& biases) const {
  const int64_t samples = weights.size(0), out = weights.size(1), in = weights.size(2);
  const int64_t rows = x.rows();
  auto kernel_sizes = weights.sizes().vec();
  kernel_sizes.erase(kernel_sizes.begin());
  kernel_sizes[0] = samples * out;
  const auto stacked = weights.reshape(kernel_sizes);  // [S*out, in, kernel...]
  const auto stacked_bias = biases.defined() ? biases.reshape({samples * out}) : at::Tensor();
  at::Tensor y;  // [B, S*out, spatial...]
  if (x.shared) {
    y = convolve(x.values, stacked, stacked_bias);
  } else {
    // [S*B, in, ...] -> [B, S*in, ...]: sample s's channels form group s.
    auto sizes = x.values.sizes().vec();
    std::vector<int64_t> by_sample{samples, rows};
    by_sample.insert(by_sample.end(), sizes.begin() + 1, sizes.end());
    auto grouped_sizes = sizes;
    grouped_sizes[0] = rows;
    grouped_sizes[1] = samples * in;
    auto grouped = x.values.view(by_sample).transpose(0, 1).reshape(grouped_sizes);
    y = convolve(grouped, stacked, stacked_bias, samples);
  }
  auto out_sizes = y.sizes().vec();
  std::vector<int64_t> split{rows, samples, out};
  split.insert(split.end(), out_sizes.begin() + 2, out_sizes.end());
  auto result_sizes = split;
  result_sizes.erase(result_sizes.begin());
  result_sizes[0] = samples * rows;
  return y.view(split).transpose(0, 1).reshape(result_sizes);
}

}  // namespace credence::nn

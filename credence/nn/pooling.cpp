// Pooling: at::max_pool1d/2d and at::avg_pool1d/2d.
#include "credence/nn/pooling.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

PoolImpl::PoolImpl(PoolOptions options_) : options(std::move(options_)) { reset(); }

void PoolImpl::reset() {
  const size_t dims = options.kernel_size.size();
  if ((dims != 1 && dims != 2) || options.stride.size() != dims || options.padding.size() != dims) {
    throw std::invalid_argument("Pool: kernel_size, stride and padding must have one entry per dimension (1 or 2)");
  }
  for (size_t d = 0; d < dims; ++d) {
    if (options.kernel_size[d] < 1 || options.stride[d] < 1 || options.padding[d] < 0) {
      throw std::invalid_argument("Pool: kernel sizes and strides must be positive and padding non-negative");
    }
    if (2 * options.padding[d] > options.kernel_size[d]) {
      throw std::invalid_argument("padding must be at most half the kernel size");
    }
  }
}

std::shared_ptr<Layer> PoolImpl::from_spec(SpecFields& fields, const Shape& /*input*/, PoolKind kind, size_t dims) {
  PoolOptions options;
  options.kind = kind;
  options.kernel_size = fields.integers("kernel_size", dims, 1);
  options.stride = fields.has("stride") ? fields.integers("stride", dims, 1) : options.kernel_size;
  options.padding = fields.integers_or("padding", dims, 0, 0);
  try {
    return std::make_shared<PoolImpl>(options);
  } catch (const std::invalid_argument& e) {
    fields.fail(e.what());
  }
}

std::string PoolImpl::type() const {
  return std::string(options.kind == PoolKind::max ? "max_pool" : "avg_pool") + std::to_string(options.kernel_size.size()) + "d";
}

nlohmann::json PoolImpl::spec() const {
  return {{"type", type()}, {"kernel_size", options.kernel_size}, {"stride", options.stride}, {"padding", options.padding}};
}

Shape PoolImpl::output_shape(const Shape& input) const {
  const size_t dims = options.kernel_size.size();
  if (input.size() != dims + 1) {
    throw std::invalid_argument(std::string("expects an input ") + (dims == 1 ? "[channels, length]" : "[channels, height, width]") +
                                ", got " + to_string(input));
  }
  Shape out{input[0]};
  for (size_t d = 0; d < dims; ++d) {
    const int64_t padded = input[d + 1] + 2 * options.padding[d];
    if (padded < options.kernel_size[d]) {
      throw std::invalid_argument("input " + to_string(input) + " is smaller than the pooling window " +
                                  std::to_string(options.kernel_size[d]));
    }
    out.push_back((padded - options.kernel_size[d]) / options.stride[d] + 1);
  }
  return out;
}

at::Tensor PoolImpl::forward(const at::Tensor& x) {
  const auto& k = options.kernel_size;
  const auto& s = options.stride;
  const auto& p = options.padding;
  if (k.size() == 1) return options.kind == PoolKind::max ? at::max_pool1d(x, k, s, p) : at::avg_pool1d(x, k, s, p);
  return options.kind == PoolKind::max ? at::max_pool2d(x, k, s, p) : at::avg_pool2d(x, k, s, p);
}

}  // namespace credence::nn

// Pooling: max or average pooling over 1 or 2 spatial dimensions (spec types "max_pool1d",
// "max_pool2d", "avg_pool1d", "avg_pool2d").
#pragma once

#include "credence/nn/layer.h"

#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace credence::nn {

class SpecFields;

enum class PoolKind { max, average };

struct PoolOptions {
  PoolKind kind = PoolKind::max;
  std::vector<int64_t> kernel_size, stride, padding;  // one entry per spatial dimension
};

class PoolImpl : public LayerModule<PoolImpl> {
 public:
  explicit PoolImpl(PoolOptions options);
  // From a spec's fields ("kernel_size"; "stride", default the kernel size; "padding", default 0).
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input, PoolKind kind, size_t dims);
  void reset() override;

  std::string type() const override;
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  at::Tensor forward(const at::Tensor& x) override;

  PoolOptions options;
};
TORCH_MODULE(Pool);

}  // namespace credence::nn

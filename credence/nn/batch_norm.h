// BatchNorm1d and BatchNorm2d: batch normalisation (Ioffe & Szegedy 2015; spec types
// "batch_norm1d" for [features] or [channels, length] rows, "batch_norm2d" for [channels, height,
// width]), as the generators and discriminators of DCGAN use it. Fields "momentum" (0.1: the
// running statistics' update weight, as LibTorch's) and "eps" (1e-5). In training mode it normalises
// by the minibatch's statistics and updates the running ones; in evaluation mode (prediction,
// sampling) by the running ones, so that every row is treated alone.
#pragma once

#include "credence/nn/layer.h"

#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

class BatchNormImpl : public LayerModule<BatchNormImpl> {
 public:
  // `spatial`: 1 for batch_norm1d, 2 for batch_norm2d.
  BatchNormImpl(int64_t spatial, int64_t channels, double momentum = 0.1, double eps = 1e-5);
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input, int64_t spatial);
  void reset() override;
  void reset_parameters() override;

  std::string type() const override { return spatial_ == 1 ? "batch_norm1d" : "batch_norm2d"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  at::Tensor forward(const at::Tensor& x) override;

  at::Tensor weight, bias, running_mean, running_var;

 private:
  int64_t spatial_, channels_;
  double momentum_, eps_;
};
TORCH_MODULE(BatchNorm);

}  // namespace credence::nn

// Per-column shift and scale fitted on training rows, in float64, so that priors and default
// hyper-parameters (a unit length scale, a unit prior precision) meet data of unit scale.
#pragma once

#include <ATen/ATen.h>

namespace credence::classical {

struct ColumnScaling {
  at::Tensor mean;   // [d]
  at::Tensor scale;  // [d], the population standard deviation; 1 for a constant column

  // x: [n, d] or [n] (one column).
  static ColumnScaling fit(const at::Tensor& x);
  static ColumnScaling identity(int64_t columns);

  at::Tensor apply(const at::Tensor& x) const;  // (x - mean) / scale
  bool defined() const { return mean.defined(); }
};

}  // namespace credence::classical

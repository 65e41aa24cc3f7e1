// Standardizer: per-column mean and standard deviation fitted on training data.
#pragma once

#include <ATen/ATen.h>

namespace credence::data {

struct Standardizer {
  at::Tensor mean;  // [d]
  at::Tensor std;   // [d]; 1 for constant columns, so they never divide by zero

  // Fits on the rows of x ([n, d] or [n]).
  static Standardizer fit(const at::Tensor& x);
  // An identity transform for d columns.
  static Standardizer identity(int64_t columns);

  at::Tensor transform(const at::Tensor& x) const;
  at::Tensor inverse_transform(const at::Tensor& z) const;
  // A variance in standardised units, back in original units (several columns: along the last dimension).
  at::Tensor inverse_transform_variance(const at::Tensor& variance) const;
};

}  // namespace credence::data

// Per-column standardisation.
#include "credence/classical/column_scaling.h"

#include <stdexcept>

namespace credence::classical {

ColumnScaling ColumnScaling::fit(const at::Tensor& x) {
  if (!x.defined() || x.size(0) == 0) throw std::invalid_argument("standardisation: no rows to fit");
  auto values = x.to(at::kDouble);
  if (values.dim() == 1) values = values.unsqueeze(1);
  ColumnScaling scaling;
  scaling.mean = values.mean(0);
  auto scale = values.std(0, /*unbiased=*/false);
  scaling.scale = at::where(scale > 0, scale, at::ones_like(scale));
  return scaling;
}

ColumnScaling ColumnScaling::identity(int64_t columns) {
  const auto options = at::TensorOptions().dtype(at::kDouble);
  return {at::zeros({columns}, options), at::ones({columns}, options)};
}

at::Tensor ColumnScaling::apply(const at::Tensor& x) const {
  const auto values = x.to(at::kDouble);
  if (values.dim() == 1) return (values - mean[0]) / scale[0];
  if (values.size(1) != mean.size(0)) {
    throw std::invalid_argument("standardisation: expected " + std::to_string(mean.size(0)) + " columns, got " +
                                std::to_string(values.size(1)));
  }
  return (values - mean) / scale;
}

}  // namespace credence::classical

// Standardisation fitted on training rows.
#include "credence/data/standardizer.h"

#include <stdexcept>

namespace credence::data {

namespace {
// Columns whose spread is below this (relative to their scale) are treated as constant.
constexpr double kConstantTolerance = 1e-12;
}

Standardizer Standardizer::fit(const at::Tensor& x) {
  if (x.size(0) == 0) throw std::invalid_argument("Standardizer: no rows to fit");
  auto rows = x.dim() == 1 ? x.unsqueeze(1) : x;
  auto values = rows.to(at::kDouble);
  auto mean = values.mean(0);
  auto std = values.std(0, /*unbiased=*/false);
  auto scale = at::clamp_min(mean.abs(), 1.0);
  std = at::where(std <= kConstantTolerance * scale, at::ones_like(std), std);
  return {mean.to(at::kFloat), std.to(at::kFloat)};
}

Standardizer Standardizer::identity(int64_t columns) { return {at::zeros({columns}), at::ones({columns})}; }

at::Tensor Standardizer::transform(const at::Tensor& x) const {
  if (x.dim() == 1) return (x - mean.to(x.device())[0]) / std.to(x.device())[0];
  return (x - mean.to(x.device())) / std.to(x.device());
}

at::Tensor Standardizer::inverse_transform(const at::Tensor& z) const {
  if (z.dim() >= 1 && mean.numel() == 1) return z * std.to(z.device())[0] + mean.to(z.device())[0];
  return z * std.to(z.device()) + mean.to(z.device());
}

at::Tensor Standardizer::inverse_transform_variance(const at::Tensor& variance) const {
  // One column: any shape of variances; several: the columns along the last dimension.
  auto s = std.numel() == 1 ? std.to(variance.device())[0] : std.to(variance.device());
  return variance * s * s;
}

}  // namespace credence::data

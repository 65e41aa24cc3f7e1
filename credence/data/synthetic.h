// Small generated data sets for the demo and the tests.
#pragma once

#include <ATen/ATen.h>

namespace credence::data {

// One-dimensional regression with a gap: x uniform on [-4, -1] and [1, 4], y = f(x) + noise
// whose standard deviation grows with x (see gap_regression_noise_std).
struct GapRegression {
  at::Tensor x;  // [n, 1]
  at::Tensor y;  // [n]
};
GapRegression make_gap_regression(int64_t n, at::Generator& generator);
at::Tensor gap_regression_mean(const at::Tensor& x);
at::Tensor gap_regression_noise_std(const at::Tensor& x);

// Two-dimensional regression with a hole: x uniform on the square [-3, 3]^2 outside the disc of
// radius 1.5 around the origin, y = f(x) + noise whose standard deviation grows with x1.
GapRegression make_hole_regression(int64_t n, at::Generator& generator);
at::Tensor hole_regression_mean(const at::Tensor& x);       // x [N, 2] -> [N]
at::Tensor hole_regression_noise_std(const at::Tensor& x);  // x [N, 2] -> [N]

}  // namespace credence::data

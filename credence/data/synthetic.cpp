// Generated regression data with a gap and input-dependent noise.
#include "credence/data/synthetic.h"

namespace credence::data {

at::Tensor gap_regression_mean(const at::Tensor& x) { return at::sin(x) + 0.1 * x * x; }

// Grows from 0.1 at x = -4 to 0.5 at x = 4, and stays flat beyond the data.
at::Tensor gap_regression_noise_std(const at::Tensor& x) { return 0.1 + 0.05 * (at::clamp(x, -4.0, 4.0) + 4.0); }

GapRegression make_gap_regression(int64_t n, at::Generator& generator) {
  auto u = at::rand({n, 1}, generator);
  auto left = at::rand({n, 1}, generator) < 0.5;
  // Left segment [-4, -1] or right segment [1, 4], each 3 units wide.
  auto x = at::where(left, -4.0 + 3.0 * u, 1.0 + 3.0 * u);
  auto noise = at::randn({n}, generator);
  auto flat = x.squeeze(1);
  auto y = gap_regression_mean(flat) + gap_regression_noise_std(flat) * noise;
  return {x, y};
}

}  // namespace credence::data

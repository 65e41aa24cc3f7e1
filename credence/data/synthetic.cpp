// Generated regression data with a gap (1-D) or a hole (2-D) and input-dependent noise.
#include "credence/data/synthetic.h"

#include <vector>

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

at::Tensor hole_regression_mean(const at::Tensor& x) {
  auto x1 = x.select(1, 0), x2 = x.select(1, 1);
  return at::sin(x1) + 0.5 * at::cos(1.5 * x2) + 0.05 * x1 * x2;
}

// 0.1 at x1 = -3 to 0.4 at x1 = 3, flat beyond.
at::Tensor hole_regression_noise_std(const at::Tensor& x) { return 0.1 + 0.05 * (at::clamp(x.select(1, 0), -3.0, 3.0) + 3.0); }

GapRegression make_hole_regression(int64_t n, at::Generator& generator) {
  // Rejection from the square: the disc of radius 1.5 covers pi 1.5^2 / 36 = 20% of it, so a draw of
  // 2n points keeps about 1.6n; draw again in the rare case that too few are kept.
  std::vector<at::Tensor> kept;
  int64_t count = 0;
  while (count < n) {
    auto candidates = -3.0 + 6.0 * at::rand({2 * n, 2}, generator);
    auto outside_hole = candidates.square().sum(1) >= 1.5 * 1.5;
    auto accepted = candidates.index_select(0, outside_hole.nonzero().squeeze(1));
    count += accepted.size(0);
    kept.push_back(accepted);
  }
  auto x = at::cat(kept, 0).slice(0, 0, n).contiguous();
  auto y = hole_regression_mean(x) + hole_regression_noise_std(x) * at::randn({n}, generator);
  return {x, y};
}

}  // namespace credence::data

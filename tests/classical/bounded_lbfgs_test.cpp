// The bounded L-BFGS: the Rosenbrock valley's minimum unconstrained and on a bound whose
// constrained optimum is known in closed form, a quadratic whose box optimum is the projection
// of the unconstrained one, and a domain edge where the objective is not finite.
#include "credence/classical/bounded_lbfgs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace credence::classical {
namespace {

double rosenbrock(const std::vector<double>& x, std::vector<double>& g) {
  const double a = 1.0 - x[0], b = x[1] - x[0] * x[0];
  g = {-2.0 * a - 400.0 * x[0] * b, 200.0 * b};
  return a * a + 100.0 * b * b;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(BoundedLbfgs, FindsRosenbrocksMinimumFreeAndOnABound) {
  const auto free = minimise_bounded_lbfgs(rosenbrock, {-1.2, 1.0}, {-kInf, -kInf}, {kInf, kInf});
  EXPECT_TRUE(free.converged) << free.stop_reason;
  EXPECT_NEAR(free.x[0], 1.0, 1e-4);
  EXPECT_NEAR(free.x[1], 1.0, 1e-4);
  EXPECT_LT(free.iterations, 60);
  // With x0 <= 0.5 the valley floor x1 = x0^2 leaves (1 - x0)^2, least at the bound: (0.5, 0.25).
  const auto bounded = minimise_bounded_lbfgs(rosenbrock, {-1.2, 1.0}, {-2.0, -kInf}, {0.5, kInf});
  EXPECT_TRUE(bounded.converged) << bounded.stop_reason;
  EXPECT_EQ(bounded.x[0], 0.5);
  EXPECT_NEAR(bounded.x[1], 0.25, 1e-5);
}

// A separable quadratic sum_i w_i (x_i - c_i)^2: its box optimum is clamp(c, lower, upper).
TEST(BoundedLbfgs, QuadraticOptimumIsTheProjection) {
  const std::vector<double> c{3.0, -2.0, 0.5, 10.0}, w{1.0, 5.0, 0.1, 2.0};
  auto quadratic = [&](const std::vector<double>& x, std::vector<double>& g) {
    double f = 0.0;
    g.resize(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      f += w[i] * (x[i] - c[i]) * (x[i] - c[i]);
      g[i] = 2.0 * w[i] * (x[i] - c[i]);
    }
    return f;
  };
  const std::vector<double> lower{-1.0, -1.0, -1.0, -1.0}, upper{1.0, 1.0, 1.0, 20.0};
  // Stopping at a projected gradient of 1e-12 leaves each free x_i within 1e-12 / (2 w_i) of c_i.
  const auto result = minimise_bounded_lbfgs(quadratic, {0.0, 0.0, 0.0, 0.0}, lower, upper,
                                             BoundedLbfgsOptions().gradient_tolerance(1e-12).function_tolerance(0.0));
  EXPECT_TRUE(result.converged) << result.stop_reason;
  const std::vector<double> expected{1.0, -1.0, 0.5, 10.0};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(result.x[i], expected[i], 1e-11 / w[i]) << i;
}

// -log(x) + x has its minimum at 1; the objective is not finite for x <= 0, where steps land.
TEST(BoundedLbfgs, StepsBackFromWhereTheObjectiveIsNotFinite) {
  auto barrier = [](const std::vector<double>& x, std::vector<double>& g) {
    g = {1.0 - 1.0 / x[0]};
    return x[0] > 0 ? -std::log(x[0]) + x[0] : kInf;
  };
  const auto result = minimise_bounded_lbfgs(barrier, {30.0}, {-kInf}, {kInf});
  EXPECT_TRUE(result.converged) << result.stop_reason;
  EXPECT_NEAR(result.x[0], 1.0, 1e-5);
  EXPECT_THROW(minimise_bounded_lbfgs(barrier, {-1.0}, {-kInf}, {kInf}), std::invalid_argument);
}

}  // namespace
}  // namespace credence::classical

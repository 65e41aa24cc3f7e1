// The vectorisable float functions against double-precision libm over their whole ranges.
#include "credence/core/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence::core::vector_math;

namespace {

// Largest relative error over n points spread log-uniformly or uniformly on [lo, hi].
template <typename Approx, typename Exact>
double worst_relative_error(double lo, double hi, int n, Approx approx, Exact exact) {
  double worst = 0.0;
  for (int i = 0; i <= n; ++i) {
    const float x = static_cast<float>(lo + (hi - lo) * i / n);
    const double expected = exact(static_cast<double>(x));
    worst = std::max(worst, std::abs(approx(x) - expected) / std::abs(expected));
  }
  return worst;
}

TEST(VectorMath, ExpOfNonPositiveArguments) {
  EXPECT_LT(worst_relative_error(-87.0, 0.0, 200000, exp_nonpositive, [](double x) { return std::exp(x); }), 3e-7);
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  EXPECT_GT(exp_nonpositive(-1000.0f), 0.0f);  // clamped, never zero or denormal
}

TEST(VectorMath, LogOfPositiveArguments) {
  // Relative error against log(x) away from x = 1, absolute near it (where log x -> 0).
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = static_cast<float>(std::exp(-80.0 + 160.0 * i / 200000));
    const double expected = std::log(static_cast<double>(x));
    worst = std::max(worst, std::abs(log_positive(x) - expected) / std::max(1e-3, std::abs(expected)));
  }
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(log_positive(1.0f), 0.0f);
}

TEST(VectorMath, Log1pKeepsTinyArguments) {
  for (float t : {1e-30f, 1e-12f, 1e-8f, 3e-5f, 0.01f, 0.5f, 1.0f}) {
    // log(1 + t) = 2 atanh(t / (2 + t)), as softplus_and_sigmoid computes it.
    EXPECT_NEAR(two_atanh_small(t / (2.0f + t)), std::log1p(static_cast<double>(t)), 3e-7 * std::log1p(static_cast<double>(t))) << t;
  }
}

TEST(VectorMath, SoftplusAndSigmoid) {
  double worst_softplus = 0.0, worst_sigmoid = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const float x = static_cast<float>(-80.0 + 110.0 * i / 200000);
    float softplus, sigmoid;
    softplus_and_sigmoid(x, softplus, sigmoid);
    const double xd = x;
    const double exact_softplus = xd > 0 ? xd + std::log1p(std::exp(-xd)) : std::log1p(std::exp(xd));
    const double exact_sigmoid = 1.0 / (1.0 + std::exp(-xd));
    worst_softplus = std::max(worst_softplus, std::abs(softplus - exact_softplus) / exact_softplus);
    worst_sigmoid = std::max(worst_sigmoid, std::abs(sigmoid - exact_sigmoid) / exact_sigmoid);
  }
  EXPECT_LT(worst_softplus, 5e-7);
  EXPECT_LT(worst_sigmoid, 5e-7);
}

}  // namespace

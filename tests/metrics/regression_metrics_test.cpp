// Regression metrics against values computed by hand.
#include "credence/metrics/regression_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence::metrics;

TEST(RegressionMetrics, RmseByHand) {
  auto prediction = at::tensor({1.0, 2.0, 4.0}, at::kDouble);
  auto target = at::tensor({1.0, 3.0, 2.0}, at::kDouble);
  EXPECT_NEAR(root_mean_squared_error(prediction, target), std::sqrt(5.0 / 3.0), 1e-12);
}

TEST(RegressionMetrics, MixtureNllByHand) {
  // One row, two draws: N(0, 1) and N(1, 4) mixed equally, at y = 0.5.
  auto means = at::tensor({0.0, 1.0}, at::kDouble).view({2, 1});
  auto variances = at::tensor({1.0, 4.0}, at::kDouble).view({2, 1});
  auto y = at::tensor({0.5}, at::kDouble);
  auto n = [](double x, double m, double v) { return std::exp(-0.5 * (x - m) * (x - m) / v) / std::sqrt(2 * M_PI * v); };
  const double expected = -std::log(0.5 * n(0.5, 0.0, 1.0) + 0.5 * n(0.5, 1.0, 4.0));
  EXPECT_NEAR(mixture_negative_log_likelihood(means, variances, y), expected, 1e-12);
}

TEST(RegressionMetrics, MixtureNllStaysFiniteForFarTargets) {
  // Direct evaluation underflows to log(0); log-mean-exp keeps the nearest component.
  auto means = at::tensor({0.0, 0.0}, at::kDouble).view({2, 1});
  auto variances = at::tensor({1e-4, 1e-4}, at::kDouble).view({2, 1});
  auto y = at::tensor({10.0}, at::kDouble);
  const double expected = 0.5 * std::log(2 * M_PI * 1e-4) + 0.5 * 100.0 / 1e-4;
  EXPECT_NEAR(mixture_negative_log_likelihood(means, variances, y), expected, 1e-6 * expected);
}

TEST(RegressionMetrics, CoverageAndWidthByHand) {
  auto mean = at::tensor({0.0, 0.0, 0.0, 0.0}, at::kDouble);
  auto std = at::tensor({1.0, 1.0, 2.0, 0.5}, at::kDouble);
  auto interval = central_interval(mean, std, 0.95);
  const double z = 1.959963984540054;
  EXPECT_NEAR(interval.upper[2].item<double>(), 2 * z, 1e-9);
  auto y = at::tensor({1.0, 2.5, -3.0, 0.99}, at::kDouble);
  // Inside: 1.0 (|1| < 1.96), -3.0 (< 3.92); outside: 2.5, 0.99 (> 0.98).
  EXPECT_NEAR(interval_coverage(interval, y), 0.5, 1e-12);
  EXPECT_NEAR(interval_mean_width(interval), 2 * z * (1 + 1 + 2 + 0.5) / 4, 1e-9);
  EXPECT_THROW(central_interval(mean, std, 1.0), std::invalid_argument);
}

#include "credence/metrics/summary.h"

TEST(Summary, MeanAndStandardErrorByHand) {
  // Values 1, 2, 3, 6: mean 3, sample variance (4 + 1 + 0 + 9) / 3 = 14/3, SE sqrt(14/3) / 2.
  auto s = mean_and_standard_error({1.0, 2.0, 3.0, 6.0});
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_NEAR(s.standard_error, std::sqrt(14.0 / 3.0) / 2.0, 1e-15);
  EXPECT_DOUBLE_EQ(mean_and_standard_error({2.5}).standard_error, 0.0);
}

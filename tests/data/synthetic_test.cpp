// The generated problems and bootstrap resamples: where the points fall and how often rows repeat.
#include "credence/core/rng.h"
#include "credence/data/split.h"
#include "credence/data/synthetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace credence;

TEST(Synthetic, TheHoleProblemLeavesTheDiscEmptyAndFillsTheRestUniformly) {
  auto generator = core::make_generator(3);
  auto data = data::make_hole_regression(4000, generator);
  ASSERT_EQ(data.x.sizes(), (at::IntArrayRef{4000, 2}));
  ASSERT_EQ(data.y.size(0), 4000);
  auto radius = data.x.square().sum(1).sqrt();
  EXPECT_GE(radius.min().item<double>(), 1.5);
  EXPECT_LE(data.x.abs().max().item<double>(), 3.0);
  // Uniform on the square minus the disc: the share with |x| < 2.5 is
  // (pi 2.5^2 - pi 1.5^2) / (36 - pi 1.5^2) = 0.4386; binomial standard error 0.008 at n = 4000.
  const double expected = (M_PI * 6.25 - M_PI * 2.25) / (36.0 - M_PI * 2.25);
  EXPECT_NEAR(radius.lt(2.5).to(at::kDouble).mean().item<double>(), expected, 0.035);
  // The residuals are the noise: their variance is the mean of the noise variances (about 0.07).
  auto residual = data.y - data::hole_regression_mean(data.x);
  const double noise_variance = data::hole_regression_noise_std(data.x).square().mean().item<double>();
  EXPECT_NEAR(residual.var().item<double>(), noise_variance, 0.1 * noise_variance);
}

TEST(Split, ABootstrapSampleRepeatsRowsAsSamplingWithReplacementDoes) {
  auto generator = core::make_generator(5);
  const int64_t n = 20000;
  auto rows = data::bootstrap_sample(n, generator);
  ASSERT_EQ(rows.size(0), n);
  EXPECT_GE(rows.min().item<int64_t>(), 0);
  EXPECT_LT(rows.max().item<int64_t>(), n);
  std::set<int64_t> distinct;
  auto accessor = rows.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) distinct.insert(accessor[i]);
  // Each row is left out with probability (1 - 1/n)^n -> 1/e: 63.2% distinct, standard error about 0.22% at this n.
  EXPECT_NEAR(static_cast<double>(distinct.size()) / n, 1.0 - std::exp(-1.0), 0.012);
  EXPECT_THROW(data::bootstrap_sample(0, generator), std::invalid_argument);
  // Resampled rows keep each input with its own target.
  auto inputs = at::arange(50, at::kFloat).view({50, 1}), targets = 2.0 * at::arange(50, at::kFloat);
  auto [x, t] = data::bootstrap_rows(inputs, targets, generator);
  ASSERT_EQ(x.size(0), 50);
  EXPECT_TRUE(at::equal(t, 2.0 * x.squeeze(1)));
}

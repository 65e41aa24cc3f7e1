// The one likelihood every regression fit builds (trained and sampled alike).
#include "credence/workflow/fit_regression.h"

#include <gtest/gtest.h>

using namespace credence;

TEST(RegressionLikelihoodOptions, BoundsTheNoiseHeadAndConvertsAFixedPrecision) {
  data::Standardizer targets{at::zeros({}), at::full({}, 2.0)};
  auto hetero = workflow::regression_likelihood_options(
      workflow::RegressionFitOptions().noise(inference::NoiseModel::heteroscedastic), targets);
  EXPECT_DOUBLE_EQ(hetero.min_log_variance(), inference::kStandardisedMinLogVariance);
  EXPECT_DOUBLE_EQ(hetero.max_log_variance(), inference::kStandardisedMaxLogVariance);
  // tau = 4 per squared original unit, target std 2: variance 1 / (4 * 2^2) in standardised units.
  auto fixed = workflow::regression_likelihood_options(
      workflow::RegressionFitOptions().noise(inference::NoiseModel::fixed).noise_precision(4.0), targets);
  EXPECT_DOUBLE_EQ(fixed.noise_variance(), 1.0 / 16.0);
  EXPECT_FALSE(std::isfinite(fixed.max_log_variance()));
  EXPECT_THROW(workflow::regression_likelihood_options(
                   workflow::RegressionFitOptions().noise(inference::NoiseModel::fixed).noise_precision(0.0), targets),
               std::invalid_argument);
}

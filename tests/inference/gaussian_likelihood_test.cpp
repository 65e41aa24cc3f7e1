// Gaussian likelihoods: negative log densities against hand-computed values.
#include "credence/inference/gaussian_likelihood.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence::inference;

TEST(GaussianLikelihood, HeteroscedasticLossIsTheKendallGalFormula) {
  GaussianLikelihood likelihood(GaussianLikelihoodOptions().noise(NoiseModel::heteroscedastic));
  EXPECT_EQ(likelihood->output_width(), 2);
  auto outputs = at::tensor({1.0, 0.5, -2.0, -1.0}, at::kDouble).view({2, 2});
  auto y = at::tensor({2.0, -1.5}, at::kDouble);
  auto nll = likelihood->negative_log_likelihood(outputs, y);
  const double c = 0.5 * std::log(2 * M_PI);
  EXPECT_NEAR(nll[0].item<double>(), 0.5 * std::exp(-0.5) * 1.0 + 0.25 + c, 1e-12);
  EXPECT_NEAR(nll[1].item<double>(), 0.5 * std::exp(1.0) * 0.25 - 0.5 + c, 1e-12);
  auto [mean, variance] = likelihood->mean_and_variance(outputs);
  EXPECT_NEAR(variance[0].item<double>(), std::exp(0.5), 1e-12);
  EXPECT_NEAR(mean[1].item<double>(), -2.0, 1e-12);
}

TEST(GaussianLikelihood, FixedNoiseIsNotTrainedAndHomoscedasticNoiseIs) {
  GaussianLikelihood fixed(GaussianLikelihoodOptions().noise(NoiseModel::fixed).noise_variance(0.25));
  EXPECT_TRUE(fixed->parameters().empty());
  auto outputs = at::tensor({{1.0}}, at::kDouble);
  auto y = at::tensor({2.0}, at::kDouble);
  // -log N(2; 1, 0.25) = 0.5 * 1 / 0.25 + 0.5 log 0.25 + 0.5 log 2 pi.
  const double expected = 2.0 + 0.5 * std::log(0.25) + 0.5 * std::log(2 * M_PI);
  EXPECT_NEAR(fixed->negative_log_likelihood(outputs, y)[0].item<double>(), expected, 1e-6);

  GaussianLikelihood learned(GaussianLikelihoodOptions().noise(NoiseModel::homoscedastic));
  EXPECT_EQ(learned->parameters().size(), 1u);
  EXPECT_EQ(learned->output_width(), 1);
}

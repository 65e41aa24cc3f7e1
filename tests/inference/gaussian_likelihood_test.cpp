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

// The bounded head: s stays inside (min, max) for any raw output, equals r well inside the bounds,
// and its derivative is the finite difference of the tensor transform.
TEST(GaussianLikelihood, BoundedLogVarianceStaysInsideItsBoundsAndIsSmooth) {
  GaussianLikelihood likelihood(
      GaussianLikelihoodOptions().noise(NoiseModel::heteroscedastic).min_log_variance(-4.0).max_log_variance(2.0));
  ASSERT_TRUE(likelihood->bounded());
  auto raw = at::tensor({-1e6, -50.0, -4.0, -1.0, 0.0, 2.0, 50.0, 1e6}, at::kDouble);
  auto s = likelihood->log_variance(raw);
  EXPECT_TRUE(s.isfinite().all().item<bool>());
  EXPECT_GT(s.min().item<double>(), -4.0 - 1e-12);
  // The upper side reaches max + log(1 + e^(min - max)) at most: the lower softplus lifts it that little.
  EXPECT_LT(s.max().item<double>(), 2.0 + std::log1p(std::exp(-6.0)) + 1e-12);
  EXPECT_NEAR(s[3].item<double>(), -1.0, 0.06);  // 3 units from the floor, 3 from the ceiling: e^-3 each
  const double h = 1e-6;
  for (double r : {-6.0, -3.5, -1.0, 0.0, 1.5, 3.0}) {
    const auto [value, derivative] = likelihood->log_variance_and_derivative(r);
    auto value_at = [&](double x) { return likelihood->log_variance(at::tensor({x}, at::kDouble))[0].item<double>(); };
    EXPECT_NEAR(value, value_at(r), 1e-12);
    EXPECT_NEAR(derivative, (value_at(r + h) - value_at(r - h)) / (2 * h), 1e-6) << r;
  }
  auto [mean, variance] = likelihood->mean_and_variance(at::tensor({0.0, 1e6}, at::kDouble).view({1, 2}));
  EXPECT_LT(variance[0].item<double>(), std::exp(2.0 + std::log1p(std::exp(-6.0)) + 1e-12));
  // Models written before the bounds existed: the raw output is the log-variance.
  GaussianLikelihood free(GaussianLikelihoodOptions().noise(NoiseModel::heteroscedastic));
  EXPECT_FALSE(free->bounded());
  EXPECT_DOUBLE_EQ(free->log_variance(at::tensor({7.5}, at::kDouble))[0].item<double>(), 7.5);
  EXPECT_THROW(GaussianLikelihood(GaussianLikelihoodOptions().min_log_variance(1.0).max_log_variance(1.0)),
               std::invalid_argument);
}

TEST(GaussianLikelihood, SeveralTargetsEachHaveTheirOwnNoise) {
  // Three targets, heteroscedastic: row outputs (mean, raw log-variance) per target in turn.
  GaussianLikelihood hetero(GaussianLikelihoodOptions().noise(NoiseModel::heteroscedastic).targets(3));
  EXPECT_EQ(hetero->output_width(), 6);
  auto outputs = at::tensor({1.0, 0.5, -2.0, -1.0, 0.0, 0.0}, at::kDouble).view({1, 6});
  auto y = at::tensor({2.0, -1.5, 1.0}, at::kDouble).view({1, 3});
  auto nll = hetero->negative_log_likelihood(outputs, y);
  ASSERT_EQ(nll.sizes(), (std::vector<int64_t>{1, 3}));
  const double c = 0.5 * std::log(2 * M_PI);
  EXPECT_NEAR(nll[0][0].item<double>(), 0.5 * std::exp(-0.5) * 1.0 + 0.25 + c, 1e-12);
  EXPECT_NEAR(nll[0][1].item<double>(), 0.5 * std::exp(1.0) * 0.25 - 0.5 + c, 1e-12);
  EXPECT_NEAR(nll[0][2].item<double>(), 0.5 * 1.0 + c, 1e-12);
  auto [mean, variance] = hetero->mean_and_variance(outputs.unsqueeze(0));  // [D = 1, 1, 6] -> [1, 1, 3]
  EXPECT_EQ(mean.sizes(), (std::vector<int64_t>{1, 1, 3}));
  EXPECT_NEAR(variance[0][0][1].item<double>(), std::exp(-1.0), 1e-12);
  // Homoscedastic: one learned variance per target.
  GaussianLikelihood homo(GaussianLikelihoodOptions().noise(NoiseModel::homoscedastic).noise_variance(0.5).targets(2));
  EXPECT_EQ(homo->output_width(), 2);
  EXPECT_EQ(homo->log_noise_variance.sizes(), (std::vector<int64_t>{2}));
  {
    at::NoGradGuard no_grad;
    homo->log_noise_variance[1].fill_(0.0);
  }
  auto [m2, v2] = homo->mean_and_variance(at::tensor({3.0, 4.0}, at::kFloat).view({1, 2}));
  EXPECT_NEAR(v2[0][0].item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(v2[0][1].item<double>(), 1.0, 1e-6);
  EXPECT_THROW(hetero->mean_and_variance(at::zeros({1, 4})), std::invalid_argument);
}

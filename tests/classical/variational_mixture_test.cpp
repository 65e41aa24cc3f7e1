// Variational Bayesian Gaussian mixture: unused components fade, the bound never decreases,
// and the predictive density is a proper density.
#include "classical/reference_data.h"

#include "credence/classical/variational_mixture.h"
#include "credence/core/rng.h"

#include <gtest/gtest.h>

namespace credence::classical {
namespace {

// 3 well-separated Gaussian blobs in 2-D, 100 points each.
at::Tensor three_blobs(uint64_t seed) {
  auto generator = core::make_generator(seed);
  const auto centres = at::tensor({0.0, 0.0, 8.0, 0.0, 4.0, 7.0}, at::kDouble).reshape({3, 2});
  const auto labels = at::arange(3, at::kLong).repeat_interleave(100);
  return centres.index_select(0, labels) + at::randn({300, 2}, generator, at::kDouble);
}

class VariationalPriors : public ::testing::TestWithParam<WeightPrior> {};

// Bishop 10.2.1: with a small concentration, components the data does not need keep only
// their prior mass. Ten components on three blobs leave three above 1%.
TEST_P(VariationalPriors, TenComponentsOnThreeBlobsLeaveThree) {
  const auto x = three_blobs(1);
  auto generator = core::make_generator(3);
  const auto model = VariationalGaussianMixture::fit(x, VariationalGaussianMixtureOptions(10).weight_prior(GetParam()), generator);
  EXPECT_EQ(model.used_components(0.01).size(), 3u) << model.weights();
  EXPECT_NEAR(model.weights().sum().item<double>(), 1.0, 0.02);
  // The bound never decreases (coordinate ascent); allow round-off only.
  const auto& h = model.elbo_history;
  ASSERT_GE(h.size(), 2u);
  for (size_t i = 1; i < h.size(); ++i) EXPECT_GE(h[i], h[i - 1] - 1e-10) << "iteration " << i;
  EXPECT_NEAR(model.elbo(x), h.back(), 1e-9 * std::abs(h.back()));
  // The bound is below the (predictive) log-likelihood of the data it was fitted to.
  EXPECT_LT(h.back(), model.average_log_likelihood(x));
}

INSTANTIATE_TEST_SUITE_P(Weights, VariationalPriors,
                         ::testing::Values(WeightPrior::dirichlet_distribution, WeightPrior::dirichlet_process));

TEST(VariationalGaussianMixture, RandomStartAlsoNeverDecreases) {
  const auto x = three_blobs(2);
  auto generator = core::make_generator(6);
  const auto model = VariationalGaussianMixture::fit(
      x, VariationalGaussianMixtureOptions(6).init(MixtureInit::random).weight_prior(WeightPrior::dirichlet_distribution), generator);
  const auto& h = model.elbo_history;
  for (size_t i = 1; i < h.size(); ++i) EXPECT_GE(h[i], h[i - 1] - 1e-10) << "iteration " << i;
}

// The Student-t mixture of Bishop (10.81) integrates to one: a check of its normalising constants.
TEST(VariationalGaussianMixture, PredictiveDensityIntegratesToOne) {
  auto generator = core::make_generator(8);
  const auto x = at::cat({at::randn({40, 1}, generator, at::kDouble) - 3.0, 0.5 * at::randn({40, 1}, generator, at::kDouble) + 2.0});
  const auto model = VariationalGaussianMixture::fit(x, VariationalGaussianMixtureOptions(3), generator);
  const auto grid = at::linspace(-60.0, 60.0, 240001, at::kDouble).reshape({-1, 1});
  const double step = 120.0 / 240000.0;
  const double integral = model.log_likelihood(grid).exp().sum().item<double>() * step;
  EXPECT_NEAR(integral, 1.0, 2e-3);  // the t tails beyond +-60 hold the rest
  const auto resp = model.responsibilities(x);
  EXPECT_TRUE(at::allclose(resp.sum(1), at::ones({80}, at::kDouble)));
}

TEST(VariationalGaussianMixture, BadInputThrows) {
  auto generator = core::make_generator(0);
  const auto x = at::randn({5, 2}, generator, at::kDouble);
  EXPECT_THROW(VariationalGaussianMixture::fit(x, VariationalGaussianMixtureOptions(10), generator), std::invalid_argument);
  auto constant = at::randn({30, 2}, generator, at::kDouble);
  constant.select(1, 0).fill_(1.0);
  EXPECT_THROW(VariationalGaussianMixture::fit(constant, VariationalGaussianMixtureOptions(3), generator), std::invalid_argument);
}

}  // namespace
}  // namespace credence::classical

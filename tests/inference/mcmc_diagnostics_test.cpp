// Split R-hat and effective sample size against values computed by hand, a second implementation
// (numpy, in the comments) and the known ESS of independent and AR(1) chains.
#include "credence/core/rng.h"
#include "credence/inference/mcmc_diagnostics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

namespace {

at::Tensor chains_of(const std::vector<std::vector<double>>& values) {
  std::vector<at::Tensor> rows;
  for (const auto& v : values) rows.push_back(at::tensor(v, at::kDouble));
  return at::stack(rows);
}

// AR(1) chains x_t = rho x_{t-1} + sqrt(1 - rho^2) e_t started in the stationary N(0, 1).
at::Tensor ar1_chains(int64_t chains, int64_t n, double rho, std::uint64_t seed) {
  auto generator = core::make_generator(seed);
  auto noise = at::randn({chains, n}, generator, at::kDouble);
  auto x = at::empty({chains, n}, at::kDouble);
  auto a = x.accessor<double, 2>();
  auto e = noise.accessor<double, 2>();
  for (int64_t c = 0; c < chains; ++c) {
    a[c][0] = e[c][0];
    for (int64_t t = 1; t < n; ++t) a[c][t] = rho * a[c][t - 1] + std::sqrt(1.0 - rho * rho) * e[c][t];
  }
  return x;
}

}  // namespace

TEST(SplitRHat, MatchesTheValueComputedByHand) {
  // Halves [1,2] [3,4] [2,3] [4,5]: W = 0.5, B/m = var(1.5, 3.5, 2.5, 4.5) = 5/3, m = 2:
  // R-hat = sqrt((0.5 * 0.5 + 5/3) / 0.5) = sqrt(23/6).
  EXPECT_NEAR(inference::split_r_hat(chains_of({{1, 2, 3, 4}, {2, 3, 4, 5}})), std::sqrt(23.0 / 6.0), 1e-12);
  // Chains whose halves are the same values: B = 0 and R-hat = sqrt((m - 1) / m) with m = 3.
  EXPECT_NEAR(inference::split_r_hat(chains_of({{1, 2, 3, 1, 2, 3}, {1, 2, 3, 1, 2, 3}})), std::sqrt(2.0 / 3.0), 1e-12);
  // numpy: 1.5811388300841898 and 0.8748555128047085.
  EXPECT_NEAR(inference::split_r_hat(chains_of({{1, 3, 2, 5, 4, 6, 5, 8}, {2, 1, 4, 3, 6, 5, 7, 9}})), 1.5811388300841898, 1e-12);
  EXPECT_NEAR(inference::split_r_hat(chains_of({{0.5, -1, 1.5, 0, -0.5, 2, 1, -2}, {1, 0, -1, 0.5, 1.5, -0.5, 0, -1.5}})),
              0.8748555128047085, 1e-12);
}

TEST(SplitRHat, IsOneForStationaryChainsAndLargeForChainsThatDisagree) {
  for (std::uint64_t seed : {1, 2, 3}) {
    auto generator = core::make_generator(seed);
    auto draws = at::randn({4, 2000}, generator, at::kDouble);
    // For independent draws R-hat^2 - 1 is about (B/m) / W - 1/m = O(1/m) with m = 1000 (sd about 0.001).
    EXPECT_NEAR(inference::split_r_hat(draws), 1.0, 0.01) << seed;
    auto shifted = draws.clone();
    shifted[0] += 1.0;  // one chain one standard deviation away
    EXPECT_GT(inference::split_r_hat(shifted), 1.1) << seed;
  }
}

TEST(EffectiveSampleSize, MatchesASecondImplementationOnSmallChains) {
  // numpy with the same formula (Stan's multi-chain autocorrelation, Geyer's monotone pairs).
  EXPECT_NEAR(inference::effective_sample_size(chains_of({{1, 3, 2, 5, 4, 6, 5, 8}, {2, 1, 4, 3, 6, 5, 7, 9}})),
              13.560911596168149, 1e-9);
  EXPECT_NEAR(inference::effective_sample_size(chains_of({{0.5, -1, 1.5, 0, -0.5, 2, 1, -2}, {1, 0, -1, 0.5, 1.5, -0.5, 0, -1.5}})),
              19.265919722494797, 1e-9);
}

TEST(EffectiveSampleSize, IsNearTheDrawCountForIndependentDraws) {
  // The ESS estimate of independent draws has a relative spread of a few percent at 4 x 1000 draws
  // (tau's estimate: sd about sqrt(2 (2K + 1) / N) with K the few lags summed); 15% is over 3 sd.
  for (std::uint64_t seed : {4, 5, 6}) {
    auto generator = core::make_generator(seed);
    EXPECT_NEAR(inference::effective_sample_size(at::randn({4, 1000}, generator, at::kDouble)) / 4000.0, 1.0, 0.15) << seed;
  }
}

TEST(EffectiveSampleSize, MatchesTheAr1Value) {
  // For AR(1) with coefficient rho, tau = (1 + rho) / (1 - rho): ESS = N (1 - rho) / (1 + rho).
  // Sokal's variance of tau's estimate, 2 (2K + 1) / N tau^2 with a window K of about 3 tau, gives a
  // relative sd of 6% (rho 0.5, N 20000) and 9% (rho 0.8, N 40000): 25% is about 3 sd.
  struct Case {
    double rho;
    int64_t n;
  };
  for (auto c : {Case{0.5, 5000}, Case{0.8, 10000}}) {
    for (std::uint64_t seed : {7, 8, 9}) {
      const double expected = 4.0 * static_cast<double>(c.n) * (1.0 - c.rho) / (1.0 + c.rho);
      EXPECT_NEAR(inference::effective_sample_size(ar1_chains(4, c.n, c.rho, seed)) / expected, 1.0, 0.25) << c.rho << " " << seed;
    }
  }
}

TEST(DiagnoseGroups, SummarisesEachGroupsParameters) {
  auto generator = core::make_generator(10);
  auto draws = at::randn({4, 400, 3}, generator, at::kDouble);
  draws.select(2, 2)[0] += 3.0;  // the third parameter's first chain is elsewhere
  auto groups = inference::diagnose_groups(draws, {{"a", 0, 2}, {"b", 2, 1}});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "a");
  EXPECT_EQ(groups[0].size, 2);
  EXPECT_LT(groups[0].max_r_hat, 1.05);
  EXPECT_GT(groups[1].max_r_hat, 1.5);
  EXPECT_NEAR(groups[1].max_r_hat, inference::split_r_hat(draws.select(2, 2)), 1e-12);
  EXPECT_NEAR(groups[0].min_ess, std::min(inference::effective_sample_size(draws.select(2, 0)),
                                          inference::effective_sample_size(draws.select(2, 1))), 1e-9);
}

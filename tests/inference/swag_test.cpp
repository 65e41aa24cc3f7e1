// SWA-Gaussian: the moments and deviations of the snapshots against their direct computation, the
// draws' covariance against 0.5 diag + 0.5 D D^T / (K - 1), and the whole method on the posterior of
// a Gaussian mean, whose exact posterior is known: the SWA mean at the posterior mean, and the
// spread of constant-step SGD (below the posterior's at the default step, as theory says).
#include "credence/core/rng.h"
#include "credence/inference/swag.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

TEST(SwagMoments, AreTheSnapshotsMeanVarianceAndLastDeviations) {
  auto g = core::make_generator(1);
  const auto snapshots = at::randn({7, 3}, g, at::kDouble) * at::tensor({1.0, 2.0, 0.5}, at::kDouble);
  inference::SwagMoments moments(4);
  std::vector<at::Tensor> expected_deviations;
  for (int64_t i = 0; i < 7; ++i) {
    moments.add(snapshots[i]);
    // The deviation from the mean of the first i + 1 snapshots.
    expected_deviations.push_back(snapshots[i] - snapshots.slice(0, 0, i + 1).mean(0));
  }
  EXPECT_EQ(moments.count(), 7);
  EXPECT_TRUE(at::allclose(moments.mean(), snapshots.mean(0), 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(moments.variance(), snapshots.var(0, /*unbiased=*/false), 1e-12, 1e-12));
  const auto kept = at::stack(std::vector<at::Tensor>(expected_deviations.begin() + 3, expected_deviations.end()), 1);
  EXPECT_TRUE(at::allclose(moments.deviations(), kept, 1e-12, 1e-12));
}

TEST(SwagMoments, DrawsHaveTheDiagonalPlusLowRankCovariance) {
  auto g = core::make_generator(2);
  inference::SwagMoments moments(5);
  for (int64_t i = 0; i < 9; ++i) moments.add(at::randn({4}, g, at::kDouble) * at::tensor({1.0, 0.3, 2.0, 1.0}, at::kDouble));
  const auto d = moments.deviations();
  const auto covariance = 0.5 * at::diag(moments.variance()) + 0.5 * at::matmul(d, d.t()) / 4.0;
  const int64_t n = 40000;
  const auto draws = moments.sample(n, g);
  EXPECT_TRUE(at::allclose(draws.mean(0), moments.mean(), 0.0, 0.05));
  const auto centred = draws - draws.mean(0);
  const auto sample_covariance = at::matmul(centred.t(), centred) / static_cast<double>(n - 1);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const double cii = covariance[i][i].item<double>(), cjj = covariance[j][j].item<double>(), cij = covariance[i][j].item<double>();
      const double se = std::sqrt((cii * cjj + cij * cij) / n);
      EXPECT_NEAR(sample_covariance[i][j].item<double>(), cij, 4.0 * se) << i << "," << j;
    }
  }
}

namespace {

// The exact stationary variance of u = theta - mean(x) at the end of an epoch of run_swag's
// snapshot phase on log p = -0.5 sum_n (x_n - theta)^2, with N = 16 B rows: per step
// v' = 0.9 v + c (e - u), u' = u + v' with c = 0.1 * (lr / 2) (the step on log p is lr / (2 N) and
// the gradient N (m_b - theta)), e = m_b - mean(x) the minibatch mean's error. Within an epoch the 16
// batches partition the rows, so their errors are correlated: Var e_b = s^2 (N - B) / (B (N - 1)),
// Cov(e_b, e_c) = -s^2 / (N - 1), s^2 the rows' own variance; they sum to zero over the epoch.
double epoch_end_variance(double lr, double s2, int64_t n, int64_t batch) {
  const int64_t batches = n / batch;
  const double c = 0.1 * 0.5 * lr;
  const auto m = at::tensor({1.0 - c, 0.9, -c, 0.9}, at::kDouble).view({2, 2});
  const auto g = at::tensor({c, c}, at::kDouble).view({2, 1});
  std::vector<at::Tensor> carried;  // M^(batches - b) G for b = 1..batches
  auto power = at::eye(2, at::kDouble);
  for (int64_t b = 0; b < batches; ++b) {
    carried.insert(carried.begin(), at::matmul(power, g));
    power = at::matmul(m, power);
  }
  const auto a = power;  // M^batches
  auto q = at::zeros({2, 2}, at::kDouble);
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t d = 0; d < batches; ++d) {
      const double cov = b == d ? s2 * (n - batch) / (batch * (n - 1.0)) : -s2 / (n - 1.0);
      q += cov * at::matmul(carried[b], carried[d].t());
    }
  }
  auto covariance = at::zeros({2, 2}, at::kDouble);
  for (int i = 0; i < 3000; ++i) covariance = at::matmul(at::matmul(a, covariance), a.t()) + q;
  return covariance[0][0].item<double>();
}

}  // namespace

TEST(Swag, FindsTheMeanOfAGaussianPosteriorWithTheSpreadOfItsStep) {
  // N = 512 rows x_n ~ N(2, 1); log p(theta) = -0.5 sum_n (x_n - theta)^2 (a flat prior): the
  // posterior is N(mean(x), 1 / N), standard deviation 0.044. Over three seeds: the SWA mean is at
  // the posterior mean, and the snapshots' spread is the exact epoch-end spread of the constant-step
  // dynamics (epoch_end_variance), about a tenth of the posterior's at the default step: SWAG's
  // scale is its step's, not the posterior's (Mandt et al. 2017 choose the step to match them).
  for (std::uint64_t seed : {1, 2, 3}) {
    auto g = core::make_generator(seed);
    const int64_t n = 512;
    const auto x = 2.0 + at::randn({n}, g, at::kDouble);
    inference::MinibatchLogDensity f = [&](const at::Tensor& theta, at::Tensor& gradient, const at::Tensor& rows) {
      const auto batch = rows.defined() ? x.index_select(0, rows) : x;
      const double scale = static_cast<double>(n) / static_cast<double>(batch.size(0));
      gradient = (scale * (batch - theta).sum()).reshape({1});
      return -0.5 * scale * (batch - theta).pow(2).sum().item<double>();
    };
    const auto options = inference::SwagOptions().pretrain_epochs(50).epochs(400).samples(4000);
    const auto result = inference::run_swag(f, n, at::zeros({1}, at::kDouble), options, g);
    EXPECT_EQ(result.samples.size(0), 4000);
    EXPECT_EQ(result.gradient_evaluations, 450 * 16);
    const double posterior_mean = x.mean().item<double>(), posterior_sd = 1.0 / std::sqrt(static_cast<double>(n));
    EXPECT_NEAR(result.moments.mean().item<double>(), posterior_mean, 0.1 * posterior_sd) << "seed " << seed;
    const double exact_sd = std::sqrt(epoch_end_variance(0.05, x.var(0, false).item<double>(), n, 32));
    const double snapshot_sd = std::sqrt(result.moments.variance().item<double>());
    EXPECT_NEAR(snapshot_sd / exact_sd, 1.0, 0.15) << "seed " << seed << ": snapshots " << snapshot_sd << ", exact " << exact_sd;
    // The draws: half the diagonal and half the low rank from the last 20 deviations (noisier).
    EXPECT_NEAR(result.samples.std().item<double>() / exact_sd, 1.0, 0.4) << "seed " << seed;
    EXPECT_LT(exact_sd, 0.2 * posterior_sd);
  }
}

TEST(Swag, RefusesSettingsThatCannotRun) {
  auto g = core::make_generator(1);
  inference::MinibatchLogDensity f = [](const at::Tensor& theta, at::Tensor& gradient, const at::Tensor&) {
    gradient = -theta;
    return 0.0;
  };
  const auto message = [&](const inference::SwagOptions& o) {
    try {
      inference::run_swag(f, 10, at::zeros({1}, at::kDouble), o, g);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(inference::SwagOptions().epochs(1)), "--swag-epochs: expected at least 2 snapshot epochs, got 1");
  EXPECT_EQ(message(inference::SwagOptions().rank(1)), "--swag-rank: expected at least 2 deviations, got 1");
  EXPECT_EQ(message(inference::SwagOptions().learning_rate(0.0)), "--lr: expected a positive step");
  // A step that blows the state up is stopped and named.
  inference::MinibatchLogDensity steep = [](const at::Tensor& theta, at::Tensor& gradient, const at::Tensor&) {
    gradient = -1e6 * theta + 1.0;
    return -0.5e6 * theta.pow(2).sum().item<double>();
  };
  EXPECT_THROW(inference::run_swag(steep, 10, at::ones({1}, at::kDouble), inference::SwagOptions().learning_rate(50.0), g),
               std::runtime_error);
}

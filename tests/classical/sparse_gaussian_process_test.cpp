// Sparse variational GPs: with the inducing points on the data, Titsias's bound is the exact
// log marginal likelihood and the predictions are the exact GP's; with fewer it is a lower
// bound that grows as points are added; Hensman's minibatch bound averages to the full one and
// equals the collapsed bound at the optimal q; the derivatives match finite differences.
#include "classical/reference_data.h"

#include "credence/classical/gaussian_process.h"
#include "credence/classical/sparse_gaussian_process.h"
#include "credence/core/rng.h"
#include "support/test_support.h"

#include <torch/csrc/autograd/autograd.h>

#include <gtest/gtest.h>

namespace credence::classical {
namespace {

using testing::expect_close;

using credence::testing::kDouble;

struct SparseGpData {
  at::Tensor x, y;
};

SparseGpData wave(std::uint64_t seed, int64_t n) {
  auto generator = core::make_generator(seed);
  SparseGpData d;
  d.x = 4.0 * at::rand({n, 2}, generator, kDouble) - 2.0;
  d.y = at::sin(2.0 * d.x.select(1, 0)) * at::cos(d.x.select(1, 1)) + 0.1 * at::randn({n}, generator, kDouble);
  return d;
}

const Kernel& test_kernel() {
  static const Kernel kernel = Kernel::parse("rbf(variance=0.8, length_scale=[0.7, 1.2]) + white(noise_level=0.02)");
  return kernel;
}

TEST(SparseGaussianProcess, InducingPointsOnTheDataGiveTheExactModel) {
  for (std::uint64_t seed : {1, 2, 3}) {
    const auto d = wave(seed, 40);
    auto generator = core::make_generator(seed);
    const auto exact = GaussianProcessRegression::fit(d.x, d.y, test_kernel(), GaussianProcessOptions().optimise(false), generator);
    const auto sparse = SparseGaussianProcessRegression::fit(
        d.x, d.y, test_kernel(),
        SparseGaussianProcessOptions(40).inducing_inputs(d.x).optimise(false).optimise_inducing(false), generator);
    // K_uu = K_ff may take a jitter of 1e-10 of its diagonal, which moves the bound by about that much.
    expect_close(sparse.bound, exact.log_marginal_likelihood, 1e-7, "bound with z = x");
    const auto test = wave(seed + 10, 15).x;
    const auto a = exact.predict(test), b = sparse.predict(test);
    expect_close(b.mean, a.mean, 1e-6, "mean");
    expect_close(b.epistemic_variance, a.epistemic_variance, 1e-6, "epistemic variance");
    expect_close(b.aleatoric_variance, a.aleatoric_variance, 1e-12, "aleatoric variance");
  }
}

// F(z) <= ln p(y), and adding inducing points never lowers the bound (Titsias 2009, section 3).
TEST(SparseGaussianProcess, BoundIsBelowTheEvidenceAndGrowsWithInducingPoints) {
  for (std::uint64_t seed : {4, 5, 6}) {
    const auto d = wave(seed, 60);
    const double evidence = log_marginal_likelihood(test_kernel().bound_to(2), d.x, d.y, false).value;
    double previous = -std::numeric_limits<double>::infinity();
    for (int64_t m : {3, 6, 12, 24, 48}) {
      const double bound = collapsed_bound(test_kernel().bound_to(2), d.x, d.y, d.x.slice(0, 0, m)).item<double>();
      EXPECT_LE(bound, evidence + 1e-9) << "seed " << seed << " m " << m;
      EXPECT_GE(bound, previous - 1e-9) << "seed " << seed << " m " << m;
      previous = bound;
    }
  }
}

TEST(SparseGaussianProcess, CollapsedBoundGradientMatchesFiniteDifferences) {
  const auto d = wave(7, 30);
  auto generator = core::make_generator(7);
  for (const char* text : {"rbf(ard)+white", "matern32+periodic*constant+white", "rq(ard)*linear+white"}) {
    const auto kernel = Kernel::parse(text).bound_to(2);
    const auto theta0 = 0.4 * at::randn({kernel.n_free_parameters()}, generator, kDouble) - 0.5;
    const auto z0 = at::randn({6, 2}, generator, kDouble);
    auto theta = theta0.clone().requires_grad_(true);
    auto z = z0.clone().requires_grad_(true);
    const auto grads = torch::autograd::grad({collapsed_bound(kernel, d.x, d.y, z, theta)}, {theta, z});
    auto value = [&](const at::Tensor& t, const at::Tensor& zz) { return collapsed_bound(kernel, d.x, d.y, zz, t).item<double>(); };
    const double h = 1e-6;
    for (int64_t i = 0; i < theta0.size(0); ++i) {
      auto plus = theta0.clone(), minus = theta0.clone();
      plus[i] += h;
      minus[i] -= h;
      const double numeric = (value(plus, z0) - value(minus, z0)) / (2 * h);
      EXPECT_NEAR(grads[0][i].item<double>(), numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << text << " theta " << i;
    }
    for (int64_t i = 0; i < 6; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        auto plus = z0.clone(), minus = z0.clone();
        plus[i][j] += h;
        minus[i][j] -= h;
        const double numeric = (value(theta0, plus) - value(theta0, minus)) / (2 * h);
        EXPECT_NEAR(grads[1][i][j].item<double>(), numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << text << " z " << i;
      }
    }
  }
}

// The minibatch estimates over a partition average to the full-data bound, and at the q(v)
// that the collapsed fit computes in closed form the uncollapsed bound is the collapsed one.
TEST(SparseGaussianProcess, MinibatchBoundIsUnbiasedAndMeetsTheCollapsedBound) {
  const auto d = wave(8, 48);
  auto generator = core::make_generator(8);
  const auto z = d.x.slice(0, 0, 10);
  const auto fitted = SparseGaussianProcessRegression::fit(
      d.x, d.y, test_kernel(), SparseGaussianProcessOptions(10).inducing_inputs(z).optimise(false).optimise_inducing(false),
      generator);
  const auto kernel = test_kernel().bound_to(2);
  const double full = uncollapsed_bound(kernel, d.x, d.y, 48, z, fitted.q_mean, fitted.q_sqrt).item<double>();
  expect_close(full, collapsed_bound(kernel, d.x, d.y, z).item<double>(), 1e-9, "uncollapsed at the optimal q");
  const auto q_mean = fitted.q_mean + 0.3 * at::randn({10}, generator, kDouble);  // any q, not only the optimum
  const auto q_sqrt = fitted.q_sqrt.tril() + 0.1 * at::randn({10, 10}, generator, kDouble).tril();
  double average = 0.0;
  for (int64_t start = 0; start < 48; start += 12) {
    average += uncollapsed_bound(kernel, d.x.slice(0, start, start + 12), d.y.slice(0, start, start + 12), 48, z, q_mean, q_sqrt)
                   .item<double>() / 4.0;
  }
  expect_close(average, uncollapsed_bound(kernel, d.x, d.y, 48, z, q_mean, q_sqrt).item<double>(), 1e-12, "partition average");
}

// Both optimisers raise the bound above its value at the start; the minibatch fit's q is the
// optimum for its final parameters, so its bound is the collapsed bound there.
TEST(SparseGaussianProcess, TrainingRaisesTheBound) {
  for (std::uint64_t seed : {9, 10}) {
    const auto d = wave(seed, 200);
    auto generator = core::make_generator(seed);
    const auto start = SparseGaussianProcessRegression::fit(
        d.x, d.y, test_kernel(), SparseGaussianProcessOptions(15).optimise(false).optimise_inducing(false), generator);
    const auto collapsed = SparseGaussianProcessRegression::fit(
        d.x, d.y, test_kernel(), SparseGaussianProcessOptions(15).inducing_inputs(start.inducing_inputs), generator);
    EXPECT_GT(collapsed.bound, start.bound) << seed;
    EXPECT_EQ(collapsed.method, "collapsed");
    const auto minibatch = SparseGaussianProcessRegression::fit(
        d.x, d.y, test_kernel(),
        SparseGaussianProcessOptions(15).inducing_inputs(start.inducing_inputs).batch_size(40).epochs(20).learning_rate(0.02),
        generator);
    EXPECT_EQ(minibatch.method, "minibatch");
    EXPECT_EQ(minibatch.n_iter, 20 * 5);
    EXPECT_GT(minibatch.bound, start.bound) << seed;
    const auto kernel = minibatch.kernel;
    expect_close(minibatch.bound, collapsed_bound(kernel, d.x, d.y, minibatch.inducing_inputs).item<double>(), 1e-10, "final bound");
  }
}

}  // namespace
}  // namespace credence::classical

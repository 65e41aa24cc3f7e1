// Exact Gaussian process regression: the predictive equations and the log marginal likelihood
// against a direct dense solve, the noise / function split, jitter escalation, optimisation
// (restarts, bounds, divergence), and parity with scikit-learn's GaussianProcessRegressor.
#include "classical/reference_data.h"

#include "credence/classical/gaussian_process.h"
#include "credence/core/rng.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace credence::classical {
namespace {

using testing::expect_close;
using testing::load_reference;
using testing::to_tensor;

using credence::testing::kDouble;

struct GpData {
  at::Tensor x, y, x_test;
};

GpData smooth_data(std::uint64_t seed, int64_t n = 30) {
  auto generator = core::make_generator(seed);
  GpData d;
  d.x = 3.0 * at::rand({n, 2}, generator, kDouble) + 1.0;
  d.y = 4.0 * at::sin(2.0 * d.x.select(1, 0)) + d.x.select(1, 1).pow(2) + 0.3 * at::randn({n}, generator, kDouble) + 10.0;
  d.x_test = 5.0 * at::rand({12, 2}, generator, kDouble);
  return d;
}

// mean = K*^T K^-1 y, var(f*) = k** - K*^T K^-1 K*, with K^-1 applied by a general dense solve
// (LU) rather than the Cholesky factor the model uses, and the LML from the log-determinant.
TEST(GaussianProcess, PredictiveEquationsMatchADenseSolve) {
  for (std::uint64_t seed : {1, 2, 3}) {
    const auto d = smooth_data(seed);
    for (bool normalise : {false, true}) {
      const auto kernel = Kernel::parse("rbf(variance=1.5, length_scale=[0.7, 1.3]) + white(noise_level=0.2)");
      auto generator = core::make_generator(seed);
      const auto model = GaussianProcessRegression::fit(
          d.x, d.y, kernel,
          GaussianProcessOptions().optimise(false).normalise_inputs(normalise).normalise_target(normalise), generator);
      auto x = d.x, xs = d.x_test, y = d.y;
      double y_mean = 0, y_scale = 1;
      if (normalise) {
        const auto mu = d.x.mean(0), sd = d.x.std(0, false);
        x = (d.x - mu) / sd;
        xs = (d.x_test - mu) / sd;
        y_mean = d.y.mean().item<double>();
        y_scale = d.y.std(0, false).item<double>();
        y = (d.y - y_mean) / y_scale;
      }
      const auto k = kernel.bound_to(2).gram(x);
      const auto cross = Kernel::parse("rbf(variance=1.5, length_scale=[0.7, 1.3])").cross(x, xs);  // [n, m]
      const auto mean = cross.t().matmul(at::linalg_solve(k, y)) * y_scale + y_mean;
      const auto latent = (1.5 - (cross * at::linalg_solve(k, cross)).sum(0)) * y_scale * y_scale;
      const auto prediction = model.predict(d.x_test);
      expect_close(prediction.mean, mean, 1e-10, "mean");
      expect_close(prediction.epistemic_variance, latent, 1e-9, "epistemic variance");
      expect_close(prediction.aleatoric_variance, at::full({12}, 0.2 * y_scale * y_scale, kDouble), 1e-12, "aleatoric variance");
      const double lml = -0.5 * y.dot(at::linalg_solve(k, y)).item<double>() - 0.5 * at::logdet(k).item<double>() -
                         0.5 * 30 * std::log(2 * M_PI);
      expect_close(model.log_marginal_likelihood, lml, 1e-10, "log marginal likelihood");
      expect_close(model.log_marginal_likelihood_original_units(), lml - 30 * std::log(y_scale), 1e-10, "LML in original units");
      EXPECT_EQ(model.jitter, 0.0);
    }
  }
}

// Far from the data the latent function's posterior reverts to its prior variance; at the
// training inputs, with little noise, it shrinks towards zero. The noise stays what it is.
TEST(GaussianProcess, EpistemicVarianceGrowsAwayFromTheData) {
  const auto d = smooth_data(4);
  auto generator = core::make_generator(4);
  const auto model = GaussianProcessRegression::fit(d.x, d.y, Kernel::parse("rbf(variance=2)+white(noise_level=0.01)"),
                                                    GaussianProcessOptions().optimise(false), generator);
  const auto near = model.predict(d.x);
  const auto far = model.predict(d.x + 100.0);
  EXPECT_LT(near.epistemic_variance.max().item<double>(), 0.01);
  EXPECT_TRUE(at::allclose(far.epistemic_variance, at::full({30}, 2.0, kDouble), 1e-9, 1e-9));
  EXPECT_TRUE(at::allclose(far.aleatoric_variance, at::full({30}, 0.01, kDouble)));
}

TEST(GaussianProcess, JitterEscalatesAndIsReported) {
  // Duplicate rows and no noise: K is singular, so a jitter is needed and recorded.
  auto generator = core::make_generator(5);
  auto x = at::randn({10, 1}, generator, kDouble);
  x = at::cat({x, x});
  const auto y = at::sin(x).reshape({20});
  const auto model = GaussianProcessRegression::fit(x, y, Kernel::parse("rbf"), GaussianProcessOptions().optimise(false), generator);
  EXPECT_GT(model.jitter, 0.0);
  EXPECT_LE(model.jitter, 1e-4);
  EXPECT_TRUE(at::isfinite(model.predict(x).mean).all().item<bool>());
  // An indefinite matrix stays indefinite: the message names the largest jitter tried.
  const auto indefinite = at::tensor({1.0, 2.0, 2.0, 1.0}, kDouble).reshape({2, 2});
  try {
    cholesky_with_jitter(indefinite, 1e-4);
    FAIL() << "expected NotPositiveDefinite";
  } catch (const NotPositiveDefinite& e) {
    EXPECT_NE(std::string(e.what()).find("0.0001 times its mean diagonal"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tried 0, 1e-10"), std::string::npos) << e.what();
  }
}

// The optimum is a stationary point (interior), at least as good as the start, and restarts
// never make the best start worse.
TEST(GaussianProcess, OptimisationReachesAStationaryPointAndRestartsHelp) {
  for (std::uint64_t seed : {6, 7, 8}) {
    const auto d = smooth_data(seed, 40);
    const auto kernel = Kernel::parse("rbf(ard)+white");
    const auto options = GaussianProcessOptions().normalise_inputs(true).normalise_target(true);
    auto generator = core::make_generator(seed);
    const auto start = GaussianProcessRegression::fit(d.x, d.y, kernel, GaussianProcessOptions(options).optimise(false), generator);
    const auto fitted = GaussianProcessRegression::fit(d.x, d.y, kernel, options, generator);
    EXPECT_GT(fitted.log_marginal_likelihood, start.log_marginal_likelihood) << seed;
    EXPECT_TRUE(fitted.converged) << seed;
    const auto gradient = log_marginal_likelihood(fitted.kernel, fitted.train_inputs, fitted.train_targets).gradient;
    if (parameters_at_bounds(fitted.kernel, 1e-5, 1e5).empty()) {
      EXPECT_LT(gradient.abs().max().item<double>(), 1e-3) << seed << " " << fitted.kernel.to_string();
    }
    const auto restarted = GaussianProcessRegression::fit(d.x, d.y, kernel, GaussianProcessOptions(options).restarts(3), generator);
    EXPECT_EQ(restarted.start_log_marginal_likelihoods.size(), 4u);
    EXPECT_GE(restarted.log_marginal_likelihood, fitted.log_marginal_likelihood - 1e-8) << seed;
  }
}

// Exactly linear data under linear + white noise: the noise level runs to zero and, unbounded,
// the fit stops and names it.
TEST(GaussianProcess, UnboundedHyperparameterThatRunsAwayIsNamed) {
  auto generator = core::make_generator(9);
  const auto x = at::randn({20, 1}, generator, kDouble);
  const auto y = 2.0 * x.reshape({20});
  try {
    GaussianProcessRegression::fit(x, y, Kernel::parse("linear+white"), GaussianProcessOptions().lower_bound(0).upper_bound(0),
                                   generator);
    FAIL() << "expected HyperparameterDiverged";
  } catch (const HyperparameterDiverged& e) {
    EXPECT_NE(std::string(e.what()).find("white.noise_level ran to zero"), std::string::npos) << e.what();
  }
  // Bounded (the default), the same fit ends on the bound, which is reported.
  const auto bounded = GaussianProcessRegression::fit(x, y, Kernel::parse("linear+white"), GaussianProcessOptions(), generator);
  const auto at_bounds = parameters_at_bounds(bounded.kernel, 1e-5, 1e5);
  ASSERT_EQ(at_bounds.size(), 1u);
  EXPECT_EQ(at_bounds[0], "white.noise_level at its lower bound 1e-05");
}


// scikit-learn's GaussianProcessRegressor (alpha = 0, the noise in WhiteKernel) on the same data
// and kernels (credence's rbf(variance=v) is ConstantKernel(v) * RBF, its constant + linear is
// ConstantKernel * DotProduct): at fixed hyper-parameters the same closed forms, so 1e-6; after
// optimisation from the same starting points, at least scikit-learn's optimum less 1e-3.
TEST(GaussianProcess, MatchesScikitLearn) {
  const auto ref = load_reference("gp.json");
  for (const auto& [name, c] : ref["cases"].items()) {
    const auto& data = ref[c["data"].get<std::string>()];
    const auto x = to_tensor(data["x"]), y = to_tensor(data["y"]), x_test = to_tensor(data["x_test"]);
    auto generator = core::make_generator(0);
    const auto model =
        GaussianProcessRegression::fit(x, y, Kernel::parse(c["kernel"].get<std::string>()), GaussianProcessOptions().optimise(false), generator);
    expect_close(model.log_marginal_likelihood, c["lml"].get<double>(), 1e-6, name + ": log marginal likelihood");
    const auto prediction = model.predict(x_test);
    expect_close(prediction.mean, to_tensor(c["mean"]), 1e-6, name + ": mean");
    expect_close(prediction.variance().sqrt(), to_tensor(c["std"]), 1e-6, name + ": std");
    for (const auto& start : c["starts"]) {
      const auto fitted = GaussianProcessRegression::fit(x, y, Kernel::parse(start["kernel"].get<std::string>()), GaussianProcessOptions(),
                                                         generator);
      EXPECT_GE(fitted.log_marginal_likelihood, start["lml"].get<double>() - 1e-3)
          << name << " from " << start["kernel"].get<std::string>() << ": credence " << fitted.kernel.to_string()
          << ", scikit-learn " << start["fitted"].get<std::string>();
    }
  }
}

}  // namespace
}  // namespace credence::classical

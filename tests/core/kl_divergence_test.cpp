// KL divergences and prior densities against closed forms, direct evaluation and quadrature.
#include "credence/core/gaussian.h"
#include "credence/core/kl_divergence.h"
#include "credence/core/prior.h"
#include "credence/core/rng.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence::core;

namespace {
at::TensorOptions f64() { return at::TensorOptions().dtype(at::kDouble); }
}

TEST(KlDivergence, ClosedFormMatchesMonteCarloEstimate) {
  auto generator = make_generator(7);
  auto mu = at::tensor({0.3, -1.2, 0.0, 2.0}, f64());
  auto sigma = at::tensor({0.5, 0.1, 1.5, 0.8}, f64());
  const double prior_sigma = 0.7;
  const double exact = kl_gaussian_closed_form(mu, sigma, prior_sigma).item<double>();
  // Average of many one-sample estimates; the standard error bounds the tolerance.
  const int64_t draws = 200000;
  auto eps = at::randn({draws, 4}, generator, f64());
  auto w = mu + sigma * eps;
  auto per_draw = (gaussian_log_density(w, mu, sigma) - gaussian_log_density(w, 0.0, prior_sigma)).sum(1);
  const double estimate = per_draw.mean().item<double>();
  const double standard_error = per_draw.std().item<double>() / std::sqrt(static_cast<double>(draws));
  EXPECT_NEAR(estimate, exact, 4.0 * standard_error);
  // And the closed form itself, element by element, for one entry by hand.
  const double hand = std::log(0.7 / 0.5) + (0.25 + 0.09) / (2 * 0.49) - 0.5;
  EXPECT_NEAR(kl_gaussian_closed_form(mu.slice(0, 0, 1), sigma.slice(0, 0, 1), prior_sigma).item<double>(), hand, 1e-12);
}

TEST(KlDivergence, ClosedFormIsZeroWhenPosteriorEqualsPrior) {
  auto mu = at::zeros({5}, f64());
  auto sigma = at::full({5}, 0.3, f64());
  EXPECT_NEAR(kl_gaussian_closed_form(mu, sigma, 0.3).item<double>(), 0.0, 1e-12);
}

TEST(Prior, MixtureLogDensityMatchesDirectEvaluation) {
  auto prior = PriorOptions().kind(PriorKind::scale_mixture).pi(0.25).sigma1(1.0).sigma2(std::exp(-6.0));
  for (double w : {0.0, 1e-3, -0.01, 0.5, -2.0, 4.0}) {
    auto n = [](double x, double s) { return std::exp(-0.5 * x * x / (s * s)) / (s * std::sqrt(2 * M_PI)); };
    const double direct = std::log(0.25 * n(w, 1.0) + 0.75 * n(w, std::exp(-6.0)));
    EXPECT_NEAR(prior_log_density(prior, at::tensor({w}, f64())).item<double>(), direct, 1e-10) << "w = " << w;
  }
}

TEST(Prior, MixtureLogDensityStaysFiniteFarInTheTails) {
  // Directly, both densities underflow to 0 at w = 60 and log(0) = -inf; log-sum-exp keeps
  // the wide component's log density exactly.
  auto prior = PriorOptions().kind(PriorKind::scale_mixture).pi(0.5).sigma1(1.0).sigma2(1e-3);
  const double w = 60.0;
  const double expected = std::log(0.5) - 0.5 * std::log(2 * M_PI) - 0.5 * w * w;
  auto value = prior_log_density(prior, at::tensor({w}, f64())).item<double>();
  EXPECT_TRUE(std::isfinite(value));
  EXPECT_NEAR(value, expected, 1e-9 * std::abs(expected));
}

TEST(KlDivergence, MixtureMonteCarloEstimateIsUnbiased) {
  // One weight: KL(q || p) by quadrature on a fine grid against the mean of one-sample estimates.
  auto prior = PriorOptions().kind(PriorKind::scale_mixture).pi(0.5).sigma1(1.0).sigma2(0.05);
  const double mu = 0.2, sigma = 0.1;
  auto grid = at::linspace(mu - 10 * sigma, mu + 10 * sigma, 200001, f64());
  auto log_q = gaussian_log_density(grid, mu, sigma);
  auto integrand = at::exp(log_q) * (log_q - prior_log_density(prior, grid));
  const double step = (grid[1] - grid[0]).item<double>();
  const double quadrature = (integrand.sum().item<double>() - 0.5 * (integrand[0] + integrand[-1]).item<double>()) * step;

  auto generator = make_generator(3);
  const int64_t draws = 200000;
  auto mu_t = at::full({draws}, mu, f64());
  auto sigma_t = at::full({draws}, sigma, f64());
  auto w = mu_t + sigma_t * at::randn({draws}, generator, f64());
  auto per_draw = gaussian_log_density(w, mu_t, sigma_t) - prior_log_density(prior, w);
  const double standard_error = per_draw.std().item<double>() / std::sqrt(static_cast<double>(draws));
  EXPECT_NEAR(per_draw.mean().item<double>(), quadrature, 4.0 * standard_error);
  // kl_monte_carlo sums the same terms.
  EXPECT_NEAR(kl_monte_carlo(w, mu_t, sigma_t, prior).item<double>(), per_draw.sum().item<double>(), 1e-6);
}

TEST(Gaussian, InverseSoftplusRoundTrips) {
  for (double sigma : {1e-6, 1e-3, 0.5, 1.0, 30.0}) {
    auto rho = at::tensor({inverse_softplus(sigma)}, f64());
    EXPECT_NEAR(credence::core::softplus(rho).item<double>(), sigma, 1e-9 * std::max(1.0, sigma));
  }
  EXPECT_THROW(inverse_softplus(0.0), std::invalid_argument);
}

TEST(Gaussian, StandardNormalQuantileMatchesTables) {
  EXPECT_NEAR(standard_normal_quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(standard_normal_quantile(0.5), 0.0, 1e-14);
  EXPECT_NEAR(standard_normal_quantile(0.05), -1.6448536269514729, 1e-12);
  EXPECT_NEAR(standard_normal_quantile(1e-6), -4.753424308822899, 1e-9);
  EXPECT_THROW(standard_normal_quantile(1.0), std::invalid_argument);
}

TEST(Rng, SameSeedSameNumbers) {
  auto a = make_generator(11);
  auto b = make_generator(11);
  EXPECT_TRUE(at::equal(at::randn({10}, a), at::randn({10}, b)));
  auto c = make_generator(12);
  EXPECT_FALSE(at::equal(at::randn({10}, a), at::randn({10}, c)));
}

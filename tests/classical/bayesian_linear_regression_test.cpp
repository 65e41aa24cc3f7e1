// Bayesian linear regression: parity with scikit-learn's BayesianRidge, the closed forms of
// Bishop 3.3-3.5, and model selection by evidence (Bishop figure 3.14).
#include "classical/reference_data.h"

#include "credence/classical/basis.h"
#include "credence/classical/bayesian_linear_regression.h"
#include "credence/classical/model_selection.h"

#include "credence/core/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace credence::classical {
namespace {

using testing::expect_close;
using testing::load_reference;
using testing::to_tensor;

// Tolerance for closed forms and for fixed-point iterations that run the same number of steps
// from the same start as scikit-learn: both sides do the same arithmetic in float64, so they
// differ by round-off only (an eigen-decomposition of X^T X here, an SVD of X there), far
// below 1e-6 on these well-conditioned data.
constexpr double kBlrClosedForm = 1e-6;

TEST(BayesianLinearRegression, MatchesScikitLearnBayesianRidge) {
  const auto ref = load_reference("bayesian_ridge.json");
  const auto x = to_tensor(ref["x"]);
  const auto y = to_tensor(ref["y"]);
  const auto x_test = to_tensor(ref["x_test"]);
  const auto model = BayesianLinearRegression::fit(x, y);  // the defaults are scikit-learn's
  EXPECT_EQ(model.n_iter, ref["n_iter"].get<int64_t>());
  expect_close(model.weights_mean, to_tensor(ref["coef"]), kBlrClosedForm, "coef_");
  expect_close(model.intercept(), ref["intercept"].get<double>(), kBlrClosedForm, "intercept_");
  // scikit-learn's alpha_ is the noise precision (beta here), lambda_ the weight precision (alpha here).
  expect_close(model.beta, ref["alpha"].get<double>(), kBlrClosedForm, "alpha_");
  expect_close(model.alpha, ref["lambda"].get<double>(), kBlrClosedForm, "lambda_");
  expect_close(model.weights_covariance, to_tensor(ref["sigma"]), kBlrClosedForm, "sigma_");
  const auto prediction = model.predict(x_test);
  expect_close(prediction.mean, to_tensor(ref["predict_mean"]), kBlrClosedForm, "predictive mean");
  expect_close(prediction.variance().sqrt(), to_tensor(ref["predict_std"]), kBlrClosedForm, "predictive std");
}

// The posterior and the evidence for fixed alpha, beta against the textbook formulas computed
// directly (no eigen-decomposition): S_N = (alpha I + beta Phi^T Phi)^-1, m_N = beta S_N Phi^T t,
// and ln p(t) = ln N(t | 0, beta^-1 I + alpha^-1 Phi Phi^T).
TEST(BayesianLinearRegression, FixedPrecisionsMatchTextbookFormulas) {
  auto generator = core::make_generator(7);
  const auto phi = at::randn({25, 4}, generator, at::kDouble);
  const auto t = phi.matmul(at::tensor({1.0, -0.5, 0.0, 2.0}, at::kDouble)) + 0.3 * at::randn({25}, generator, at::kDouble);
  const double alpha = 0.7;
  const double beta = 9.0;
  const auto model = BayesianLinearRegression::fit(
      phi, t, BayesianLinearRegressionOptions().fit_intercept(false).optimise_precisions(false).alpha_init(alpha).beta_init(beta));
  const auto s_n = at::linalg_inv(alpha * at::eye(4, at::kDouble) + beta * phi.t().matmul(phi));
  expect_close(model.weights_covariance, s_n, 1e-10, "S_N");
  expect_close(model.weights_mean, beta * s_n.matmul(phi.t().matmul(t)), 1e-10, "m_N");
  const auto covariance = at::eye(25, at::kDouble) / beta + phi.matmul(phi.t()) / alpha;
  const double quadratic = t.dot(at::linalg_solve(covariance, t)).item<double>();
  const double log_det = std::get<1>(at::linalg_slogdet(covariance)).item<double>();
  const double direct = -0.5 * (25.0 * std::log(2.0 * M_PI) + log_det + quadratic);
  expect_close(model.log_evidence, direct, 1e-10, "log evidence (3.86) vs the marginal Gaussian");
  // Predictive variance = 1/beta + phi^T S_N phi (Bishop 3.59).
  const auto p = model.predict(phi.slice(0, 0, 3));
  expect_close(p.aleatoric_variance, at::full({3}, 1.0 / beta, at::kDouble), 1e-12, "aleatoric");
  expect_close(p.epistemic_variance, (phi.slice(0, 0, 3).matmul(s_n) * phi.slice(0, 0, 3)).sum(1), 1e-10, "epistemic");
}

// At the evidence maximum the fixed point holds: alpha = gamma / m^T m, beta = (N - gamma) / |t - Phi m|^2.
TEST(BayesianLinearRegression, EvidenceMaximisationReachesTheFixedPoint) {
  auto generator = core::make_generator(11);
  const auto phi = at::randn({50, 3}, generator, at::kDouble);
  const auto t = phi.matmul(at::tensor({0.5, -1.0, 2.0}, at::kDouble)) + 0.5 * at::randn({50}, generator, at::kDouble);
  const auto model = BayesianLinearRegression::fit(
      phi, t,
      BayesianLinearRegressionOptions().fit_intercept(false).alpha_shape(0).alpha_rate(0).beta_shape(0).beta_rate(0).tol(1e-12).max_iter(
          1000));
  ASSERT_TRUE(model.converged);
  const double gamma = model.effective_parameters;
  const double rss = std::pow(model.training_rmse, 2) * 50.0;
  expect_close(model.alpha, gamma / model.weights_mean.pow(2).sum().item<double>(), 1e-8, "alpha fixed point");
  expect_close(model.beta, (50.0 - gamma) / rss, 1e-8, "beta fixed point");
  // And the evidence there is higher than at nearby precisions.
  for (double factor : {0.8, 1.25}) {
    const auto nearby = BayesianLinearRegression::fit(phi, t,
                                                      BayesianLinearRegressionOptions()
                                                          .fit_intercept(false)
                                                          .optimise_precisions(false)
                                                          .alpha_init(model.alpha * factor)
                                                          .beta_init(model.beta * factor));
    EXPECT_LT(nearby.log_evidence, model.log_evidence);
  }
}

// Bishop figure 3.14: ten points of sin(2 pi x) plus noise, polynomials of degree 0..9 with
// alpha = 5e-3 and beta = 11.1 (the true noise precision, 1 / 0.3^2), bias in the basis. The
// evidence peaks at a low degree (the book finds 3) while the training error keeps falling.
TEST(ModelSelection, EvidencePeaksAtALowDegreeOnBishopSine) {
  const auto ref = load_reference("sine.json");
  const auto x = to_tensor(ref["x"]).reshape({-1, 1});
  const auto t = to_tensor(ref["t"]);
  const auto options =
      BayesianLinearRegressionOptions().fit_intercept(false).optimise_precisions(false).alpha_init(5e-3).beta_init(11.1);
  const auto results = evidence_by_degree(x, t, Basis::polynomial(0, /*include_bias=*/true), 9, options);
  ASSERT_EQ(results.size(), 10u);
  const auto& best = best_by_evidence(results);
  EXPECT_GE(best.degree, 3);
  EXPECT_LE(best.degree, 4);
  // The evidence falls well below the peak for the most flexible models...
  EXPECT_LT(results[9].log_evidence, best.log_evidence - 1.0);
  EXPECT_LT(results[0].log_evidence, best.log_evidence - 1.0);
  // ...while the fit to the training points only improves (up to the prior's slight pull).
  EXPECT_LT(results[9].training_rmse, results[best.degree].training_rmse);
  EXPECT_LT(results[best.degree].training_rmse, results[0].training_rmse);
  EXPECT_LT(results[3].training_rmse, 0.75 * results[1].training_rmse);
  for (const auto& r : results) {
    ::testing::Test::RecordProperty("degree_" + std::to_string(r.degree), std::to_string(r.log_evidence));
  }
}

TEST(ModelSelection, RankDeficientDesignIsRejected) {
  const auto x = at::linspace(0.0, 1.0, 6, at::kDouble).reshape({-1, 1});
  const auto design = Basis::polynomial(7).expand(x);
  EXPECT_THROW(check_full_column_rank(design - design.mean(0), "--degree 7"), std::invalid_argument);
  const auto ok = Basis::polynomial(3).expand(x);
  EXPECT_NO_THROW(check_full_column_rank(ok - ok.mean(0), "--degree 3"));
}

TEST(BayesianLinearRegression, BadInputThrowsClearly) {
  const auto phi = at::randn({10, 2}, at::kDouble);
  EXPECT_THROW(BayesianLinearRegression::fit(phi, at::full({10}, 3.0, at::kDouble)), std::invalid_argument);
  auto nan_phi = phi.clone();
  nan_phi[3][1] = std::nan("");
  EXPECT_THROW(BayesianLinearRegression::fit(nan_phi, at::randn({10}, at::kDouble)), std::invalid_argument);
  EXPECT_THROW(BayesianLinearRegression::fit(phi, at::randn({9}, at::kDouble)), std::invalid_argument);
  try {
    BayesianLinearRegression::fit(phi, at::full({10}, 3.0, at::kDouble));
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("constant"), std::string::npos);
  }
}

TEST(Basis, ExpandsPolynomialAndRbfFeatures) {
  const auto x = at::tensor({0.0, 1.0, 2.0}, at::kDouble).reshape({3, 1});
  const auto poly = Basis::polynomial(3, true).expand(x);
  expect_close(poly, at::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 8.0}, at::kDouble).reshape({3, 4}), 1e-15,
               "polynomial");
  const auto rbf = Basis::rbf(at::tensor({1.0}, at::kDouble).reshape({1, 1}), 2.0).expand(x);
  expect_close(rbf.reshape({3}), at::tensor({std::exp(-1.0 / 8.0), 1.0, std::exp(-1.0 / 8.0)}, at::kDouble), 1e-15, "rbf");
}

}  // namespace
}  // namespace credence::classical

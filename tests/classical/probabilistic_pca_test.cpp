// PCA and probabilistic PCA: parity with scikit-learn's PCA (whose score is the PPCA
// log-likelihood), EM against the closed form, and the latent posterior.
#include "classical/reference_data.h"

#include "credence/classical/pca.h"
#include "credence/classical/probabilistic_pca.h"
#include "credence/core/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace credence::classical {
namespace {

using testing::expect_close;
using testing::load_reference;
using testing::to_tensor;

// PCA and closed-form PPCA are eigen-decompositions: equal to scikit-learn's SVD up to round-off.
constexpr double kPpcaClosedForm = 1e-6;

TEST(PCA, MatchesScikitLearn) {
  const auto ref = load_reference("pca.json");
  const auto model = PCA::fit(to_tensor(ref["x"]), 2);
  expect_close(model.explained_variance, to_tensor(ref["explained_variance"]), kPpcaClosedForm, "explained_variance_");
  expect_close(model.components, to_tensor(ref["components"]), kPpcaClosedForm, "components_ (canonical signs)");
  expect_close(model.noise_variance, ref["noise_variance"].get<double>(), kPpcaClosedForm, "noise_variance_");
  expect_close(model.mean, to_tensor(ref["mean"]), kPpcaClosedForm, "mean_");
}

// scikit-learn's PCA.score is the average PPCA log-likelihood of the model whose covariance
// estimate divides by n - 1; `unbiased` builds exactly that model.
TEST(ProbabilisticPCA, LogLikelihoodMatchesScikitLearnPcaScore) {
  const auto ref = load_reference("pca.json");
  const auto x = to_tensor(ref["x"]);
  auto generator = core::make_generator(0);
  const auto model = ProbabilisticPCA::fit(x, ProbabilisticPCAOptions(2).unbiased(true), generator);
  expect_close(model.average_log_likelihood(x), ref["score_train"].get<double>(), kPpcaClosedForm, "score(X)");
  expect_close(model.average_log_likelihood(to_tensor(ref["x_test"])), ref["score_test"].get<double>(), kPpcaClosedForm,
               "score(X_test)");
  // The maximum-likelihood fit (divide by n) scores at least as well on its own training data.
  const auto ml = ProbabilisticPCA::fit(x, ProbabilisticPCAOptions(2), generator);
  EXPECT_GE(ml.average_log_likelihood(x), model.average_log_likelihood(x));
}

TEST(ProbabilisticPCA, LogLikelihoodIsTheGaussianWithCovarianceWWtPlusNoise) {
  const auto ref = load_reference("pca.json");
  const auto x = to_tensor(ref["x"]);
  auto generator = core::make_generator(0);
  const auto model = ProbabilisticPCA::fit(x, ProbabilisticPCAOptions(2), generator);
  const auto c = model.covariance();
  const auto diff = to_tensor(ref["x_test"]) - model.mean;
  const auto quadratic = (diff * at::linalg_solve(c, diff.t()).t()).sum(1);
  const double log_det = std::get<1>(at::linalg_slogdet(c)).item<double>();
  const auto direct = -0.5 * (5.0 * std::log(2.0 * M_PI) + log_det + quadratic);
  expect_close(model.log_likelihood(to_tensor(ref["x_test"])), direct, 1e-10, "ln N(x | mu, C)");
}

// Tipping & Bishop: EM converges to the maximum-likelihood solution, so the same principal
// subspace (compared as projection matrices, W being defined up to rotation) and sigma^2.
// Tolerance 1e-6: EM is stopped when the log-likelihood changes by < 1e-12, and the parameters
// then sit within about the square root of that of the fixed point.
TEST(ProbabilisticPCA, EmConvergesToTheClosedForm) {
  const auto x = to_tensor(load_reference("pca.json")["x"]);
  auto generator = core::make_generator(12);
  const auto closed = ProbabilisticPCA::fit(x, ProbabilisticPCAOptions(2), generator);
  const auto em = ProbabilisticPCA::fit(x, ProbabilisticPCAOptions(2).method(PpcaMethod::em), generator);
  ASSERT_TRUE(em.converged);
  auto projection = [](const at::Tensor& w) { return w.matmul(at::linalg_solve(w.t().matmul(w), w.t())); };
  expect_close(projection(em.weights), projection(closed.weights), 1e-6, "principal subspace");
  expect_close(em.noise_variance, closed.noise_variance, 1e-6, "sigma^2");
  // The lengths of W's columns converge more slowly than its span (the likelihood is flat
  // along them near the optimum): the 1e-4 stated for iterative fits.
  expect_close(em.covariance(), closed.covariance(), 1e-4, "W W^T + sigma^2 I");
  // EM increases the likelihood at every step.
  const auto& h = em.log_likelihood_history;
  for (size_t i = 1; i < h.size(); ++i) EXPECT_GE(h[i], h[i - 1] - 1e-12) << "step " << i;
}

TEST(ProbabilisticPCA, LatentPosteriorAndReconstruction) {
  const auto ref = load_reference("pca.json");
  const auto x = to_tensor(ref["x"]);
  auto generator = core::make_generator(0);
  const auto model = ProbabilisticPCA::fit(x, ProbabilisticPCAOptions(2), generator);
  const auto& w = model.weights;
  const auto m = w.t().matmul(w) + model.noise_variance * at::eye(2, at::kDouble);
  const auto x_test = to_tensor(ref["x_test"]);
  // E[z | x] = M^-1 W^T (x - mu) and cov = sigma^2 M^-1 (Bishop 12.48).
  expect_close(model.latent_mean(x_test), at::linalg_solve(m, w.t().matmul((x_test - model.mean).t())).t(), 1e-10, "E[z|x]");
  expect_close(model.latent_covariance(), model.noise_variance * at::linalg_inv(m), 1e-10, "cov[z|x]");
  // The reconstruction is the projection onto the principal subspace, as PCA's.
  const auto pca = PCA::fit(x, 2);
  expect_close(model.reconstruct(x_test), pca.inverse_transform(pca.transform(x_test)), 1e-8, "reconstruction");
  expect_close(model.principal_axes(), pca.components, 1e-8, "principal axes");
}

TEST(ProbabilisticPCA, BadInputThrows) {
  auto generator = core::make_generator(0);
  const auto x = at::randn({30, 3}, generator, at::kDouble);
  EXPECT_THROW(ProbabilisticPCA::fit(x, ProbabilisticPCAOptions(3), generator), std::invalid_argument);  // q >= d
  EXPECT_THROW(ProbabilisticPCA::fit(x.slice(0, 0, 2), ProbabilisticPCAOptions(2), generator), std::invalid_argument);
  EXPECT_THROW(ProbabilisticPCA::fit(at::ones({10, 3}, at::kDouble), ProbabilisticPCAOptions(1), generator), std::invalid_argument);
  // Data on a line in 3-D: one component explains everything, the noise variance is zero.
  const auto line = at::linspace(0, 1, 20, at::kDouble).unsqueeze(1) * at::tensor({1.0, 2.0, -1.0}, at::kDouble).unsqueeze(0);
  EXPECT_THROW(ProbabilisticPCA::fit(line, ProbabilisticPCAOptions(1), generator), std::runtime_error);
  EXPECT_THROW(PCA::fit(x, 4), std::invalid_argument);
}

}  // namespace
}  // namespace credence::classical

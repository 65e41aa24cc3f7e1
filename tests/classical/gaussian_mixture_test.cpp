// Gaussian mixture by EM: parity with scikit-learn's GaussianMixture from the same start,
// a log-likelihood that never decreases, BIC/AIC, and bad input.
#include "classical/reference_data.h"

#include "credence/classical/gaussian_mixture.h"
#include "credence/core/rng.h"

#include <gtest/gtest.h>

namespace credence::classical {
namespace {

using testing::expect_close;
using testing::load_reference;
using testing::to_tensor;

// Five EM steps from the same parameters, with the same covariance floor, on both sides: the
// arithmetic is the same up to round-off (Cholesky of the covariance here, of the precision
// there), which five steps amplify far less than the 1e-4 stated for iterative fits.
constexpr double kGmmIterative = 1e-4;

class GaussianMixtureParity : public ::testing::TestWithParam<std::string> {};

TEST_P(GaussianMixtureParity, MatchesScikitLearnFromTheSameStart) {
  const auto ref = load_reference("gmm.json");
  const auto& c = ref["cases"][GetParam()];
  const auto x = to_tensor(ref["x"]);
  const auto x_test = to_tensor(ref["x_test"]);
  const auto type = covariance_type_from_string(GetParam());
  const auto start = GaussianMixture::from_parameters(to_tensor(ref["weights"]), to_tensor(ref["means"]), to_tensor(c["covariances"]), type);
  const auto options = GaussianMixtureOptions(3).covariance_type(type).max_iter(ref["max_iter"].get<int64_t>()).tol(0.0);
  const auto model = GaussianMixture::fit_from(x, start, options);
  EXPECT_EQ(model.n_iter, 5);
  expect_close(model.average_log_likelihood(x), c["score_train"].get<double>(), kGmmIterative, "score(X)");
  expect_close(model.average_log_likelihood(x_test), c["score_test"].get<double>(), kGmmIterative, "score(X_test)");
  expect_close(model.bic(x), c["bic"].get<double>(), kGmmIterative, "bic");
  expect_close(model.aic(x), c["aic"].get<double>(), kGmmIterative, "aic");
  expect_close(model.weights, to_tensor(c["weights"]), kGmmIterative, "weights_");
  expect_close(model.means, to_tensor(c["means"]), kGmmIterative, "means_");
  expect_close(model.covariances, to_tensor(c["final_covariances"]), kGmmIterative, "covariances_");
}

INSTANTIATE_TEST_SUITE_P(CovarianceTypes, GaussianMixtureParity, ::testing::Values("full", "diag", "spherical"));

// EM never decreases the log-likelihood (Bishop 9.4). The covariance floor makes the M-step
// a near-maximiser only, so allow round-off-sized dips (1e-9 per point).
TEST(GaussianMixture, LogLikelihoodNeverDecreases) {
  const auto x = to_tensor(load_reference("gmm.json")["x"]);
  for (auto type : {CovarianceType::full, CovarianceType::diag, CovarianceType::spherical}) {
    for (auto init : {MixtureInit::kmeans, MixtureInit::random}) {
      auto generator = core::make_generator(2);
      const auto model =
          GaussianMixture::fit(x, GaussianMixtureOptions(4).covariance_type(type).init(init).tol(1e-8).max_iter(200), generator);
      const auto& h = model.log_likelihood_history;
      ASSERT_GE(h.size(), 2u);
      for (size_t i = 1; i < h.size(); ++i) {
        EXPECT_GE(h[i], h[i - 1] - 1e-9) << to_string(type) << "/" << to_string(init) << " step " << i;
      }
      EXPECT_TRUE(at::allclose(model.weights.sum(), at::ones({}, at::kDouble)));
    }
  }
}

TEST(GaussianMixture, RestartsKeepTheBestAndRecoverTheBlobs) {
  const auto x = to_tensor(load_reference("gmm.json")["x"]);
  auto generator = core::make_generator(4);
  const auto one = GaussianMixture::fit(x, GaussianMixtureOptions(3).init(MixtureInit::random).n_init(1), generator);
  auto generator2 = core::make_generator(4);
  const auto many = GaussianMixture::fit(x, GaussianMixtureOptions(3).init(MixtureInit::random).n_init(4), generator2);
  EXPECT_GE(many.log_likelihood_history.back(), one.log_likelihood_history.back() - 1e-12);
  // Three blobs of 80 points each.
  auto sorted = std::get<0>(many.weights.sort());
  expect_close(sorted, at::full({3}, 1.0 / 3.0, at::kDouble), 0.05, "weights");
  // Fewer parameters and nearly the same fit: BIC prefers spherical on these isotropic blobs.
  auto g = core::make_generator(4);
  const auto spherical = GaussianMixture::fit(x, GaussianMixtureOptions(3).covariance_type(CovarianceType::spherical), g);
  EXPECT_LT(spherical.bic(x), many.bic(x));
  EXPECT_EQ(many.n_parameters(), 3 * 6 + 3 * 3 + 2);
}

TEST(GaussianMixture, BadInputThrows) {
  auto generator = core::make_generator(0);
  const auto x = at::randn({20, 3}, generator, at::kDouble);
  EXPECT_THROW(GaussianMixture::fit(x.slice(0, 0, 2), GaussianMixtureOptions(3), generator), std::invalid_argument);
  auto constant = x.clone();
  constant.select(1, 1).fill_(4.0);
  EXPECT_THROW(GaussianMixture::fit(constant, GaussianMixtureOptions(2), generator), std::invalid_argument);
  auto nan = x.clone();
  nan[2][2] = std::nan("");
  EXPECT_THROW(GaussianMixture::fit(nan, GaussianMixtureOptions(2), generator), std::invalid_argument);
  EXPECT_THROW(GaussianMixture::from_parameters(at::ones({1}, at::kDouble), at::zeros({1, 2}, at::kDouble),
                                                -at::eye(2, at::kDouble).unsqueeze(0), CovarianceType::full),
               std::invalid_argument);
}

}  // namespace
}  // namespace credence::classical

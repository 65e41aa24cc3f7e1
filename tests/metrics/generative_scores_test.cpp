// The Inception Score at its two ends and the Fréchet distance against its closed form for
// diagonal covariances, for a full covariance against a square root computed another way, and at
// zero for identical sets.
#include "credence/core/rng.h"
#include "credence/metrics/generative_scores.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;
using namespace credence::testing;

TEST(InceptionScore, IsTheClassCountForConfidentEvenPredictionsAndOneForIdenticalOnes) {
  // 1000 one-hot rows spread evenly over 10 classes, each split holding every class equally.
  const auto one_hot = at::one_hot(at::arange(1000) % 10, 10).to(at::kDouble);
  const auto even = metrics::inception_score(one_hot, 10);
  EXPECT_NEAR(even.mean, 10.0, 1e-9);
  EXPECT_NEAR(even.standard_deviation, 0.0, 1e-9);
  auto g = core::make_generator(2);
  const auto row = at::softmax(at::randn({1, 7}, g, kDouble), 1);
  EXPECT_NEAR(metrics::inception_score(row.expand({300, 7}).contiguous(), 10).mean, 1.0, 1e-12);
  // Two classes, rows (0.9, 0.1) and (0.1, 0.9) half each: exp(KL((0.9, 0.1) || (0.5, 0.5))).
  const auto mixed = at::tensor({0.9, 0.1, 0.1, 0.9}, kDouble).view({2, 2}).repeat({50, 1});
  EXPECT_NEAR(metrics::inception_score(mixed, 1).mean, std::exp(0.9 * std::log(1.8) + 0.1 * std::log(0.2)), 1e-12);
  EXPECT_EQ(error_message_of([&] { metrics::inception_score(mixed.slice(0, 0, 5), 10); }),
            "inception_score: 5 rows cannot make 10 splits");
}

TEST(FrechetDistance, MatchesTheClosedFormForDiagonalCovariances) {
  const auto mean_a = at::tensor({0.0, 1.0, -2.0}, kDouble), mean_b = at::tensor({0.5, 1.0, 1.0}, kDouble);
  const auto var_a = at::tensor({1.0, 4.0, 0.25}, kDouble), var_b = at::tensor({2.0, 1.0, 0.25}, kDouble);
  const double expected = (mean_a - mean_b).pow(2).sum().item<double>() +
                          (var_a + var_b - 2.0 * (var_a * var_b).sqrt()).sum().item<double>();
  EXPECT_NEAR(metrics::frechet_distance(mean_a, at::diag(var_a), mean_b, at::diag(var_b)), expected, 1e-10);
  EXPECT_NEAR(expected, 0.25 + 9.0 + (3.0 - 2.0 * std::sqrt(2.0)) + (5.0 - 4.0) + 0.0, 1e-12);
}

TEST(FrechetDistance, MatchesAFullCovarianceAndIsZeroForIdenticalSets) {
  auto g = core::make_generator(7);
  const auto a = at::randn({5, 5}, g, kDouble), b = at::randn({5, 5}, g, kDouble);
  const auto s1 = at::matmul(a, a.t()) + 0.1 * at::eye(5, kDouble), s2 = at::matmul(b, b.t()) + 0.1 * at::eye(5, kDouble);
  // tr (S1 S2)^{1/2} from the eigenvalues of S1 S2 (real and positive, as S1 S2 is similar to a
  // positive definite matrix), a route the implementation does not take.
  const auto eigenvalues = at::real(at::linalg_eigvals(at::matmul(s1, s2)));
  const double trace_root = eigenvalues.sqrt().sum().item<double>();
  const auto m1 = at::randn({5}, g, kDouble), m2 = at::randn({5}, g, kDouble);
  const double expected =
      (m1 - m2).pow(2).sum().item<double>() + s1.trace().item<double>() + s2.trace().item<double>() - 2.0 * trace_root;
  EXPECT_NEAR(metrics::frechet_distance(m1, s1, m2, s2), expected, 1e-8);
  // The same rows on both sides: zero, up to rounding in the square roots.
  const auto rows = at::randn({200, 6}, g) * 3.0 + 1.0;
  EXPECT_NEAR(metrics::frechet_distance_of_features(rows, rows), 0.0, 1e-6);
  // A shift of every feature by 2 moves the distance by 6 * 2^2 and nothing else.
  EXPECT_NEAR(metrics::frechet_distance_of_features(rows, rows + 2.0), 24.0, 1e-5);
  // Rank-deficient covariances (fewer rows than features) are fine.
  EXPECT_GE(metrics::frechet_distance_of_features(rows.slice(0, 0, 3), rows.slice(0, 3, 6)), 0.0);
}

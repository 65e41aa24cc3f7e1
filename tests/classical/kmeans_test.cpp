// K-means: parity with scikit-learn's KMeans, restarts, and bad input.
#include "classical/reference_data.h"

#include "credence/classical/kmeans.h"
#include "credence/core/rng.h"

#include <gtest/gtest.h>

namespace credence::classical {
namespace {

using testing::expect_close;
using testing::load_reference;
using testing::to_tensor;

// Lloyd's algorithm from the same centres reaches the same partition; the inertia of a
// partition is then a closed form (sums of squares), equal up to round-off.
constexpr double kKmeansClosedForm = 1e-6;

TEST(KMeans, MatchesScikitLearnFromTheSameCentres) {
  const auto ref = load_reference("kmeans.json");
  const auto x = to_tensor(ref["x"]);
  const auto model = KMeans::fit_from(x, to_tensor(ref["init"]));
  expect_close(model.inertia, ref["fixed_inertia"].get<double>(), kKmeansClosedForm, "inertia_");
  expect_close(model.centres, to_tensor(ref["fixed_centres"]), kKmeansClosedForm, "cluster_centers_");
}

TEST(KMeans, RestartsFindScikitLearnsBestInertia) {
  const auto ref = load_reference("kmeans.json");
  const auto x = to_tensor(ref["x"]);
  auto generator = core::make_generator(1);
  const auto model = KMeans::fit(x, KMeansOptions(3), generator);
  // Both sides find the global optimum of these well-separated blobs from k-means++ seeds.
  expect_close(model.inertia, ref["best_inertia"].get<double>(), kKmeansClosedForm, "best inertia_");
  EXPECT_NEAR(model.score_inertia(x), model.inertia, 1e-9 * model.inertia);
}

TEST(KMeans, SameSeedSameCentres) {
  const auto x = to_tensor(load_reference("kmeans.json")["x"]);
  auto g1 = core::make_generator(5);
  auto g2 = core::make_generator(5);
  const auto a = KMeans::fit(x, KMeansOptions(4).n_init(2), g1);
  const auto b = KMeans::fit(x, KMeansOptions(4).n_init(2), g2);
  EXPECT_TRUE(at::equal(a.centres, b.centres));
}

TEST(KMeans, BadInputThrows) {
  auto generator = core::make_generator(0);
  const auto x = at::randn({4, 2}, generator, at::kDouble);
  EXPECT_THROW(KMeans::fit(x, KMeansOptions(5), generator), std::invalid_argument);      // fewer rows than components
  EXPECT_THROW(KMeans::fit(at::ones({10, 2}, at::kDouble), KMeansOptions(2), generator), std::invalid_argument);  // constant
  auto nan = x.clone();
  nan[0][0] = std::nan("");
  EXPECT_THROW(KMeans::fit(nan, KMeansOptions(2), generator), std::invalid_argument);
  EXPECT_THROW(KMeans::fit(x, KMeansOptions(0), generator), std::invalid_argument);
}

}  // namespace
}  // namespace credence::classical

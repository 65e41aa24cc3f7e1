// The Hungarian method on known matrices (checked against every permutation) and the clustering
// accuracy under the best one-to-one map of clusters to classes.
#include "credence/core/rng.h"
#include "credence/metrics/assignment.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>

using namespace credence;
using namespace credence::testing;

namespace {

double cost_of(const at::Tensor& cost, const std::vector<int64_t>& columns) {
  double total = 0.0;
  for (size_t i = 0; i < columns.size(); ++i) total += cost[static_cast<int64_t>(i)][columns[i]].item<double>();
  return total;
}

// The least cost over every injective map of rows to columns, by brute force.
double least_cost(const at::Tensor& cost) {
  const int64_t n = cost.size(0), m = cost.size(1);
  std::vector<int64_t> columns(static_cast<size_t>(m));
  std::iota(columns.begin(), columns.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    best = std::min(best, cost_of(cost, std::vector<int64_t>(columns.begin(), columns.begin() + n)));
  } while (std::next_permutation(columns.begin(), columns.end()));
  return best;
}

}  // namespace

TEST(Assignment, SolvesAKnownMatrix) {
  // The least-cost matching is row 0 -> 1, 1 -> 0, 2 -> 2 (cost 1 + 2 + 2 = 5; the other five
  // permutations cost 6 to 11), although rows 0 and 1 both have their minimum in column 1.
  const auto known = at::tensor({4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0}, kDouble).view({3, 3});
  EXPECT_EQ(metrics::solve_assignment(known), (std::vector<int64_t>{1, 0, 2}));
  // Rows 0 and 1 both prefer column 0; the best (cost 6) gives it to row 1.
  const auto collide = at::tensor({1.0, 2.0, 9.0, 1.0, 9.0, 9.0, 5.0, 1.0, 3.0}, kDouble).view({3, 3});
  EXPECT_EQ(metrics::solve_assignment(collide), (std::vector<int64_t>{1, 0, 2}));
  EXPECT_DOUBLE_EQ(cost_of(collide, metrics::solve_assignment(collide)), 6.0);
  auto g = core::make_generator(3);
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t n = 1 + trial % 5, m = n + trial % 3;
    const auto cost = at::randint(0, 20, {n, m}, g, kDouble);
    const auto columns = metrics::solve_assignment(cost);
    std::vector<int64_t> sorted = columns;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());  // one-to-one
    EXPECT_DOUBLE_EQ(cost_of(cost, columns), least_cost(cost)) << cost;
  }
}

TEST(Assignment, ClusteringAccuracyUnderTheBestMap) {
  // Clusters are the labels permuted (k -> (k + 3) mod 10), with 10 of 1000 rows put wrong.
  auto labels = at::arange(1000, at::kLong) % 10;
  auto clusters = (labels + 3) % 10;
  clusters.slice(0, 0, 10).fill_(0);
  const auto match = metrics::best_assignment_accuracy(clusters, labels, 10, 10);
  // Of the first 10 rows (labels 0..9) the one with label 7 is right (cluster 0 = label 7).
  EXPECT_DOUBLE_EQ(match.accuracy, 991.0 / 1000.0);
  for (int64_t k = 0; k < 10; ++k) EXPECT_EQ(match.classes[static_cast<size_t>(k)], (k + 7) % 10);
  EXPECT_EQ(match.confusion.sum().item<double>(), 1000.0);
  // More clusters than classes: the extra cluster maps to none.
  const auto three = metrics::best_assignment_accuracy(at::tensor({0, 1, 2, 2}, at::kLong), at::tensor({1, 0, 0, 0}, at::kLong), 3, 2);
  EXPECT_DOUBLE_EQ(three.accuracy, 0.75);
  EXPECT_EQ(three.classes, (std::vector<int64_t>{1, -1, 0}));
}

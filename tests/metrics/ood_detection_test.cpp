// AUROC and AUPR of OOD scores against values computed by hand and by brute force.
#include "credence/metrics/ood_detection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

using namespace credence::metrics;

namespace {

at::Tensor scores(std::vector<double> values) { return at::tensor(values, at::kDouble); }

// O(n^2) Mann-Whitney: P(ood > in) + 0.5 P(ood == in) over all pairs.
double brute_force_auroc(const std::vector<double>& in, const std::vector<double>& ood) {
  double sum = 0.0;
  for (double o : ood) {
    for (double i : in) sum += o > i ? 1.0 : (o == i ? 0.5 : 0.0);
  }
  return sum / (static_cast<double>(in.size()) * static_cast<double>(ood.size()));
}

// Average precision straight from the definition: for each distinct threshold t, descending, count by a full scan.
double brute_force_average_precision(const std::vector<double>& in, const std::vector<double>& ood) {
  std::vector<double> thresholds(in);
  thresholds.insert(thresholds.end(), ood.begin(), ood.end());
  std::sort(thresholds.begin(), thresholds.end(), std::greater<double>());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  double previous_recall = 0.0, ap = 0.0;
  for (double t : thresholds) {
    double tp = 0.0, fp = 0.0;
    for (double o : ood) tp += o >= t ? 1.0 : 0.0;
    for (double i : in) fp += i >= t ? 1.0 : 0.0;
    const double recall = tp / static_cast<double>(ood.size());
    ap += (recall - previous_recall) * tp / (tp + fp);
    previous_recall = recall;
  }
  return ap;
}

std::vector<double> to_vector(const at::Tensor& t) {
  auto c = t.to(at::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

TEST(AreaUnderRoc, PerfectReversedAndAllTies) {
  auto low = scores({0.1, 0.2, 0.3});
  auto high = scores({0.5, 0.6});
  EXPECT_DOUBLE_EQ(area_under_roc(low, high), 1.0);
  EXPECT_DOUBLE_EQ(area_under_roc(high, low), 0.0);
  EXPECT_DOUBLE_EQ(area_under_roc(scores({0.4, 0.4, 0.4}), scores({0.4, 0.4})), 0.5);
}

TEST(AreaUnderRoc, TiesByHand) {
  // in = {0.1, 0.4, 0.4, 0.8}, ood = {0.4, 0.9, 0.3}; 3 x 4 = 12 pairs, wins + ties / 2 per OOD score:
  //   ood 0.4: beats 0.1 (1), ties 0.4 and 0.4 (2 halves), loses to 0.8 -> 1 + 1 = 2
  //   ood 0.9: beats all four                                            -> 4
  //   ood 0.3: beats 0.1, loses to the rest                              -> 1
  // AUROC = (2 + 4 + 1) / 12 = 7 / 12.
  auto in = scores({0.1, 0.4, 0.4, 0.8});
  auto ood = scores({0.4, 0.9, 0.3});
  EXPECT_NEAR(area_under_roc(in, ood), 7.0 / 12.0, 1e-15);
  // Integer and float32 scores and any shape are accepted.
  EXPECT_NEAR(area_under_roc(in.to(at::kFloat).view({2, 2}), ood.to(at::kFloat)), 7.0 / 12.0, 1e-15);
  EXPECT_NEAR(area_under_roc(at::tensor({1, 4, 4, 8}, at::kLong), at::tensor({4, 9, 3}, at::kInt)), 7.0 / 12.0,
              1e-15);
}

TEST(AreaUnderRoc, MatchesBruteForceWithManyTies) {
  // 200 in-distribution and 150 OOD scores rounded to one decimal (11 distinct values), the OOD set shifted up.
  at::manual_seed(3);
  auto in = at::round(at::rand({200}, at::kDouble) * 10.0) / 10.0;
  auto ood = at::round(at::clamp(at::rand({150}, at::kDouble) + 0.3, 0.0, 1.0) * 10.0) / 10.0;
  const double expected = brute_force_auroc(to_vector(in), to_vector(ood));
  EXPECT_GT(expected, 0.6);  // the shift shows
  EXPECT_LT(expected, 0.95);
  EXPECT_NEAR(area_under_roc(in, ood), expected, 1e-14);
  EXPECT_NEAR(area_under_roc(ood, in), 1.0 - expected, 1e-14);  // swapping the sets mirrors it
}

TEST(AreaUnderPrecisionRecall, NoTiesByHand) {
  // in = {0.1, 0.4, 0.35, 0.8}, ood = {0.9, 0.5, 0.3}. Thresholds, descending (R = TP / 3, P = TP / (TP + FP)):
  //   t     TP FP  R    P    (R - R_prev) * P
  //   0.9   1  0  1/3   1        1/3
  //   0.8   1  1  1/3  1/2       0
  //   0.5   2  1  2/3  2/3       2/9
  //   0.4   2  2  2/3  1/2       0
  //   0.35  2  3  2/3  2/5       0
  //   0.3   3  3   1   1/2       1/6
  //   0.1   3  4   1   3/7       0
  // AP = 1/3 + 2/9 + 1/6 = (6 + 4 + 3) / 18 = 13/18.
  auto in = scores({0.1, 0.4, 0.35, 0.8});
  auto ood = scores({0.9, 0.5, 0.3});
  EXPECT_NEAR(area_under_precision_recall(in, ood), 13.0 / 18.0, 1e-15);
  // AUROC of the same sets: 4 + 3 + 1 = 8 wins of 12 pairs.
  EXPECT_NEAR(area_under_roc(in, ood), 8.0 / 12.0, 1e-15);
}

TEST(AreaUnderPrecisionRecall, TiesByHand) {
  // in = {0.1, 0.4, 0.4, 0.8}, ood = {0.4, 0.9, 0.3}. The three scores 0.4 (one OOD, two in) enter together:
  //   t     TP FP  R    P    (R - R_prev) * P
  //   0.9   1  0  1/3   1        1/3
  //   0.8   1  1  1/3  1/2       0
  //   0.4   2  3  2/3  2/5       2/15
  //   0.3   3  3   1   1/2       1/6
  //   0.1   3  4   1   3/7       0
  // AP = 1/3 + 2/15 + 1/6 = (10 + 4 + 5) / 30 = 19/30. (Breaking the tie with the OOD score first would give
  // P = 2/3 at that step and 13/18 instead.)
  auto in = scores({0.1, 0.4, 0.4, 0.8});
  auto ood = scores({0.4, 0.9, 0.3});
  EXPECT_NEAR(area_under_precision_recall(in, ood), 19.0 / 30.0, 1e-15);
  EXPECT_NEAR(area_under_precision_recall(ood, in), brute_force_average_precision(to_vector(ood), to_vector(in)),
              1e-15);
}

TEST(AreaUnderPrecisionRecall, PerfectAndAllTies) {
  // Perfect separation: every threshold down to the last OOD score has precision 1, AP = 1.
  EXPECT_DOUBLE_EQ(area_under_precision_recall(scores({0.1, 0.2, 0.3}), scores({0.5, 0.6})), 1.0);
  // All tied: one threshold, R = 1, P = 2 / (3 + 2) = 0.4, the positive fraction.
  EXPECT_DOUBLE_EQ(area_under_precision_recall(scores({0.7, 0.7, 0.7}), scores({0.7, 0.7})), 0.4);
  // Reversed, no ties: OOD {0.1, 0.2} below in {0.5, 0.6, 0.7}. t = 0.2: TP 1, FP 3, R 1/2, P 1/4;
  // t = 0.1: TP 2, FP 3, R 1, P 2/5. AP = 1/8 + 1/5 = 0.325.
  EXPECT_NEAR(area_under_precision_recall(scores({0.5, 0.6, 0.7}), scores({0.1, 0.2})), 0.325, 1e-15);
}

TEST(AreaUnderPrecisionRecall, MatchesBruteForceWithManyTies) {
  at::manual_seed(5);
  auto in = at::round(at::rand({200}, at::kDouble) * 10.0) / 10.0;
  auto ood = at::round(at::clamp(at::rand({80}, at::kDouble) + 0.2, 0.0, 1.0) * 10.0) / 10.0;
  const double expected = brute_force_average_precision(to_vector(in), to_vector(ood));
  EXPECT_GT(expected, 80.0 / 280.0);  // better than the positive fraction
  EXPECT_NEAR(area_under_precision_recall(in, ood), expected, 1e-12);
}

TEST(OodDetection, InvalidArgumentsThrow) {
  auto good = scores({0.1, 0.2});
  auto empty = at::empty({0}, at::kDouble);
  for (auto metric : {area_under_roc, area_under_precision_recall}) {
    EXPECT_NO_THROW(metric(good, good));
    EXPECT_THROW(metric(empty, good), std::invalid_argument);
    EXPECT_THROW(metric(good, empty), std::invalid_argument);
    EXPECT_THROW(metric(scores({0.1, NAN}), good), std::invalid_argument);
    EXPECT_THROW(metric(good, scores({INFINITY, 0.3})), std::invalid_argument);
    EXPECT_THROW(metric(good, scores({-INFINITY})), std::invalid_argument);
    EXPECT_THROW(metric(at::Tensor(), good), std::invalid_argument);
  }
}

TEST(OodDetection, ErrorMessageNamesTheSet) {
  auto good = scores({0.1, 0.2});
  auto message = [](const std::function<void()>& call) {
    try {
      call();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  const std::string empty_in = message([&] { area_under_roc(at::empty({0}, at::kDouble), good); });
  EXPECT_NE(empty_in.find("area_under_roc"), std::string::npos) << empty_in;
  EXPECT_NE(empty_in.find("in-distribution"), std::string::npos) << empty_in;
  const std::string nan_ood = message([&] { area_under_precision_recall(good, scores({NAN})); });
  EXPECT_NE(nan_ood.find("area_under_precision_recall"), std::string::npos) << nan_ood;
  EXPECT_NE(nan_ood.find("out-of-distribution"), std::string::npos) << nan_ood;
}

// Classification metrics and reliability bins against values computed by hand.
#include "credence/metrics/classification_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence::metrics;

namespace {

// Four rows, three classes. Row 3 ties classes 0 and 1 at 0.4; argmax takes class 0, so the row is wrong.
at::Tensor four_rows(at::ScalarType type = at::kDouble) {
  return at::tensor({0.7, 0.2, 0.1,  //
                     0.1, 0.6, 0.3,  //
                     0.2, 0.3, 0.5,  //
                     0.4, 0.4, 0.2},
                    at::kDouble)
      .view({4, 3})
      .to(type);
}
at::Tensor four_labels() { return at::tensor({0, 2, 2, 1}, at::kLong); }

}  // namespace

TEST(ClassificationMetrics, AccuracyByHand) {
  // Predictions 0, 1, 2, 0 (tie -> lowest index) against labels 0, 2, 2, 1: rows 0 and 2 right, 2 / 4.
  EXPECT_DOUBLE_EQ(accuracy(four_rows(), four_labels()), 0.5);
  // Labels of int32 type work too; all four right when row 3's label is 0 and row 1's is 1.
  EXPECT_DOUBLE_EQ(accuracy(four_rows(), at::tensor({0, 1, 2, 0}, at::kInt)), 1.0);
}

TEST(ClassificationMetrics, NegativeLogLikelihoodByHand) {
  // p[label] = 0.7, 0.3, 0.5, 0.4:
  // -(log 0.7 + log 0.3 + log 0.5 + log 0.4) / 4 = -(-0.356675 - 1.203973 - 0.693147 - 0.916291) / 4 = 0.792522.
  const double expected = -(std::log(0.7) + std::log(0.3) + std::log(0.5) + std::log(0.4)) / 4.0;
  EXPECT_NEAR(expected, 0.792522, 1e-6);
  EXPECT_NEAR(negative_log_likelihood(four_rows(), four_labels()), expected, 1e-12);
  // float32 input, float64 arithmetic: only the input rounding (~1e-8 relative) is left.
  EXPECT_NEAR(negative_log_likelihood(four_rows(at::kFloat), four_labels()), expected, 1e-6);
}

TEST(ClassificationMetrics, NegativeLogLikelihoodClampsZeroProbability) {
  // Row 0: p[label] = 0 -> clamped to 1e-12, -log(1e-12) = 27.631021; row 1: -log 1 = 0. Mean 13.815511.
  auto p = at::tensor({1.0, 0.0, 0.0, 1.0}, at::kDouble).view({2, 2});
  auto y = at::tensor({1, 1}, at::kLong);
  const double nll = negative_log_likelihood(p, y);
  EXPECT_TRUE(std::isfinite(nll));
  EXPECT_NEAR(nll, -std::log(1e-12) / 2.0, 1e-9);
  EXPECT_NEAR(nll, 13.815511, 1e-6);
}

TEST(ClassificationMetrics, BrierScoreByHand) {
  // Row 0, label 0: (0.7 - 1)^2 + 0.2^2 + 0.1^2 = 0.09 + 0.04 + 0.01 = 0.14
  // Row 1, label 2: 0.1^2 + 0.6^2 + (0.3 - 1)^2 = 0.01 + 0.36 + 0.49 = 0.86
  // Row 2, label 2: 0.2^2 + 0.3^2 + (0.5 - 1)^2 = 0.04 + 0.09 + 0.25 = 0.38
  // Row 3, label 1: 0.4^2 + (0.4 - 1)^2 + 0.2^2 = 0.16 + 0.36 + 0.04 = 0.56
  // Mean (0.14 + 0.86 + 0.38 + 0.56) / 4 = 1.94 / 4 = 0.485.
  EXPECT_NEAR(brier_score(four_rows(), four_labels()), 0.485, 1e-12);
  EXPECT_NEAR(brier_score(four_rows(at::kFloat), four_labels()), 0.485, 1e-6);
}

TEST(ClassificationMetrics, BrierScoreRangeEnds) {
  // Certain and right: 0. Certain and wrong: 1^2 + 1^2 = 2.
  auto p = at::tensor({0.0, 1.0, 0.0, 0.0, 0.0, 1.0}, at::kDouble).view({2, 3});
  EXPECT_DOUBLE_EQ(brier_score(p, at::tensor({1, 2}, at::kLong)), 0.0);
  EXPECT_DOUBLE_EQ(brier_score(p, at::tensor({0, 0}, at::kLong)), 2.0);
}

TEST(Calibration, BinsEceAndMceByHand) {
  // Five bins with edges 0, 0.2, 0.4, 0.6, 0.8, 1 (0.6 = 3.0 / 5 exactly as the double literal 0.6).
  //   A [0.95, 0.03, 0.02] label 0: confidence 0.95, right -> bin 4
  //   B [0.95, 0.05, 0.00] label 1: confidence 0.95, wrong -> bin 4
  //   C [0.55, 0.45, 0.00] label 0: confidence 0.55, right -> bin 2
  //   D [0.30, 0.35, 0.35] label 2: argmax 1 (tie -> lowest), confidence 0.35, wrong -> bin 1
  //   E [0.20, 0.60, 0.20] label 1: confidence 0.6 on the inner edge -> bin 3 (the upper one), right
  //   F [0.00, 0.00, 1.00] label 2: confidence 1.0 -> bin 4 (the last), right
  // Bin 0: empty.
  // Bin 1: n 1, conf 0.35, acc 0, gap 0.35.
  // Bin 2: n 1, conf 0.55, acc 1, gap 0.45.
  // Bin 3: n 1, conf 0.60, acc 1, gap 0.40.
  // Bin 4: n 3, conf (0.95 + 0.95 + 1) / 3 = 2.9 / 3 = 0.966667, acc 2/3, gap 0.3.
  // ECE = (1 * 0.35 + 1 * 0.45 + 1 * 0.40 + 3 * 0.3) / 6 = 2.1 / 6 = 0.35. MCE = 0.45.
  auto p = at::tensor({0.95, 0.03, 0.02,  //
                       0.95, 0.05, 0.00,  //
                       0.55, 0.45, 0.00,  //
                       0.30, 0.35, 0.35,  //
                       0.20, 0.60, 0.20,  //
                       0.00, 0.00, 1.00},
                      at::kDouble)
               .view({6, 3});
  auto y = at::tensor({0, 1, 0, 2, 1, 2}, at::kLong);
  ASSERT_EQ(3.0 / 5.0, 0.6);  // row E is exactly on the edge
  const Calibration c = calibration(p, y, 5);
  ASSERT_EQ(c.bins.size(), 5u);
  for (int b = 0; b < 5; ++b) {
    EXPECT_DOUBLE_EQ(c.bins[b].lower, b / 5.0);
    EXPECT_DOUBLE_EQ(c.bins[b].upper, (b + 1) / 5.0);
  }
  EXPECT_EQ(c.bins[0].count, 0);
  EXPECT_EQ(c.bins[0].mean_confidence, 0.0);
  EXPECT_EQ(c.bins[0].accuracy, 0.0);

  EXPECT_EQ(c.bins[1].count, 1);
  EXPECT_NEAR(c.bins[1].mean_confidence, 0.35, 1e-12);
  EXPECT_NEAR(c.bins[1].accuracy, 0.0, 1e-12);

  EXPECT_EQ(c.bins[2].count, 1);
  EXPECT_NEAR(c.bins[2].mean_confidence, 0.55, 1e-12);
  EXPECT_NEAR(c.bins[2].accuracy, 1.0, 1e-12);

  EXPECT_EQ(c.bins[3].count, 1);
  EXPECT_NEAR(c.bins[3].mean_confidence, 0.6, 1e-12);
  EXPECT_NEAR(c.bins[3].accuracy, 1.0, 1e-12);

  EXPECT_EQ(c.bins[4].count, 3);
  EXPECT_NEAR(c.bins[4].mean_confidence, 2.9 / 3.0, 1e-12);
  EXPECT_NEAR(c.bins[4].accuracy, 2.0 / 3.0, 1e-12);

  EXPECT_NEAR(c.expected_calibration_error, 0.35, 1e-12);
  EXPECT_NEAR(c.maximum_calibration_error, 0.45, 1e-12);
}

TEST(Calibration, DefaultFifteenBinsAndConfidenceOneGoesToLastBin) {
  // Two rows, both certain: one right, one wrong. Both confidences are 1.0, in the last of 15 bins [14/15, 1].
  // Bin 14: n 2, conf 1, acc 0.5, gap 0.5 -> ECE 0.5, MCE 0.5.
  auto p = at::tensor({1.0, 0.0, 0.0, 1.0}, at::kDouble).view({2, 2});
  const Calibration c = calibration(p, at::tensor({0, 0}, at::kLong));
  ASSERT_EQ(c.bins.size(), 15u);
  for (int b = 0; b < 14; ++b) EXPECT_EQ(c.bins[b].count, 0) << "bin " << b;
  EXPECT_EQ(c.bins[14].count, 2);
  EXPECT_DOUBLE_EQ(c.bins[14].lower, 14.0 / 15.0);
  EXPECT_DOUBLE_EQ(c.bins[14].upper, 1.0);
  EXPECT_DOUBLE_EQ(c.bins[14].mean_confidence, 1.0);
  EXPECT_DOUBLE_EQ(c.bins[14].accuracy, 0.5);
  EXPECT_DOUBLE_EQ(c.expected_calibration_error, 0.5);
  EXPECT_DOUBLE_EQ(c.maximum_calibration_error, 0.5);
}

TEST(Calibration, ConfidenceOnEveryInnerEdgeGoesToUpperBin) {
  // For B bins, a row of B classes [c, (1 - c) / (B - 1), ...] with c = b / B (the same double division as the edges)
  // has confidence c, which lies exactly on the edge between bins b - 1 and b: it must land in bin b.
  // b starts at 2 so that the other classes stay strictly below c. With 22 and 45 bins, floor(c * B) alone would put
  // c = 15/22, 13/45 and 26/45 one bin too low ((15.0 / 22) * 22 rounds to just under 15).
  for (int64_t bins : {5, 7, 10, 15, 22, 45}) {
    for (int64_t b = 2; b < bins; ++b) {
      const double confidence = static_cast<double>(b) / static_cast<double>(bins);
      auto p = at::full({1, bins}, (1.0 - confidence) / static_cast<double>(bins - 1), at::kDouble);
      p[0][0] = confidence;
      const Calibration c = calibration(p, at::tensor({0}, at::kLong), bins);
      EXPECT_EQ(c.bins[b].count, 1) << bins << " bins, confidence " << confidence;
      EXPECT_EQ(c.bins[b - 1].count, 0) << bins << " bins, confidence " << confidence;
      EXPECT_DOUBLE_EQ(c.bins[b].lower, confidence);
    }
  }
}

TEST(Calibration, PerfectlyCalibratedGivesZeroError) {
  // Ten rows with confidence 0.7, seven of them right (bin [0.6, 0.8)), and four rows with confidence 0.5, two right
  // (bin [0.4, 0.6)): every non-empty bin has accuracy = mean confidence, so ECE = MCE = 0.
  std::vector<double> values;
  std::vector<int64_t> labels;
  for (int i = 0; i < 10; ++i) {
    values.insert(values.end(), {0.7, 0.3});
    labels.push_back(i < 7 ? 0 : 1);
  }
  for (int i = 0; i < 4; ++i) {
    values.insert(values.end(), {0.5, 0.5});
    labels.push_back(i < 2 ? 0 : 1);
  }
  auto p = at::tensor(values, at::kDouble).view({14, 2});
  auto y = at::tensor(labels, at::kLong);
  const Calibration c = calibration(p, y, 5);
  EXPECT_EQ(c.bins[3].count, 10);
  EXPECT_EQ(c.bins[2].count, 4);
  EXPECT_NEAR(c.bins[3].accuracy, 0.7, 1e-12);
  EXPECT_NEAR(c.bins[2].accuracy, 0.5, 1e-12);
  EXPECT_NEAR(c.expected_calibration_error, 0.0, 1e-12);
  EXPECT_NEAR(c.maximum_calibration_error, 0.0, 1e-12);
  EXPECT_NEAR(accuracy(p, y), 9.0 / 14.0, 1e-12);
}

TEST(Calibration, OneBinIsTheGlobalGap) {
  // One bin: ECE = MCE = |accuracy - mean confidence| over all rows. Four rows of the hand example above:
  // accuracy 0.5, mean confidence (0.7 + 0.6 + 0.5 + 0.4) / 4 = 0.55, gap 0.05.
  const Calibration c = calibration(four_rows(), four_labels(), 1);
  ASSERT_EQ(c.bins.size(), 1u);
  EXPECT_EQ(c.bins[0].count, 4);
  EXPECT_DOUBLE_EQ(c.bins[0].lower, 0.0);
  EXPECT_DOUBLE_EQ(c.bins[0].upper, 1.0);
  EXPECT_NEAR(c.bins[0].mean_confidence, 0.55, 1e-12);
  EXPECT_NEAR(c.expected_calibration_error, 0.05, 1e-12);
  EXPECT_NEAR(c.maximum_calibration_error, 0.05, 1e-12);
}

TEST(Calibration, BinsAreConsistentOnRandomInput) {
  // Counts add up to N, the count-weighted bin accuracies give the overall accuracy, every non-empty bin's mean
  // confidence lies inside it, and the ECE is the weighted mean gap (float32 input).
  at::manual_seed(7);
  auto p = at::softmax(3.0 * at::randn({500, 4}), 1);
  auto y = at::randint(0, 4, {500}, at::kLong);
  const Calibration c = calibration(p, y, 15);
  int64_t total = 0;
  double weighted_accuracy = 0.0, ece = 0.0, mce = 0.0;
  for (const auto& bin : c.bins) {
    total += bin.count;
    if (bin.count == 0) continue;
    weighted_accuracy += bin.count * bin.accuracy;
    ece += bin.count * std::abs(bin.accuracy - bin.mean_confidence) / 500.0;
    mce = std::max(mce, std::abs(bin.accuracy - bin.mean_confidence));
    EXPECT_GE(bin.mean_confidence, bin.lower);
    EXPECT_LE(bin.mean_confidence, bin.upper);
  }
  EXPECT_EQ(total, 500);
  EXPECT_NEAR(weighted_accuracy / 500.0, accuracy(p, y), 1e-12);
  EXPECT_NEAR(c.expected_calibration_error, ece, 1e-12);
  EXPECT_DOUBLE_EQ(c.maximum_calibration_error, mce);
}

TEST(ClassificationMetrics, InvalidArgumentsThrow) {
  auto p = four_rows();
  auto y = four_labels();
  using Metric = double (*)(const at::Tensor&, const at::Tensor&);
  const Metric metrics[] = {accuracy, negative_log_likelihood, brier_score,
                            [](const at::Tensor& a, const at::Tensor& b) {
                              return calibration(a, b).expected_calibration_error;
                            }};
  for (Metric metric : metrics) {
    EXPECT_NO_THROW(metric(p, y));
    EXPECT_THROW(metric(p.reshape({-1}), y), std::invalid_argument);                      // probabilities 1-D
    EXPECT_THROW(metric(p.view({4, 3, 1}), y), std::invalid_argument);                    // probabilities 3-D
    EXPECT_THROW(metric(p, y.view({4, 1})), std::invalid_argument);                       // labels 2-D
    EXPECT_THROW(metric(p.slice(0, 0, 3), y), std::invalid_argument);                     // 3 rows, 4 labels
    EXPECT_THROW(metric(p.slice(0, 0, 0), y.slice(0, 0, 0)), std::invalid_argument);      // no rows
    EXPECT_THROW(metric(at::zeros({4, 0}, at::kDouble), y), std::invalid_argument);       // no classes
    EXPECT_THROW(metric(p, at::tensor({0, 2, 2, 3}, at::kLong)), std::invalid_argument);  // label == K
    EXPECT_THROW(metric(p, at::tensor({0, -1, 2, 1}, at::kLong)), std::invalid_argument);
    EXPECT_THROW(metric(p, y.to(at::kDouble)), std::invalid_argument);                  // labels not integers
    EXPECT_THROW(metric(p.to(at::kLong), y), std::invalid_argument);                    // probabilities not floating
    EXPECT_THROW(metric(p.clone().fill_(NAN), y), std::invalid_argument);               // non-finite
    EXPECT_THROW(metric(p * 2.0, y), std::invalid_argument);                            // above 1
    EXPECT_THROW(metric(-p, y), std::invalid_argument);                                 // below 0
    EXPECT_THROW(metric(at::Tensor(), y), std::invalid_argument);                       // undefined
  }
  EXPECT_THROW(calibration(p, y, 0), std::invalid_argument);
  EXPECT_THROW(calibration(p, y, -3), std::invalid_argument);
}

TEST(ClassificationMetrics, ErrorMessageNamesTheFunction) {
  try {
    brier_score(four_rows(), at::tensor({0, 1, 2}, at::kLong));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("brier_score"), std::string::npos) << e.what();
  }
}

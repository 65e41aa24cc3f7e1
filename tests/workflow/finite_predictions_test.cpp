// Non-finite predictions are found, counted and named by data row and column before anything is written.
#include "credence/workflow/finite_predictions.h"
#include "support/test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <limits>

using namespace credence;

namespace {
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
const std::vector<std::string> kColumns{"mean", "std", "lower"};
}  // namespace

TEST(FinitePredictions, TheFirstBadRowItsColumnAndTheCountAreNamed) {
  auto values = at::zeros({5, 3}, at::kDouble);
  values[1][2] = -kInf;
  values[3][1] = kNan;
  values[3][2] = kInf;
  const auto found = workflow::find_nonfinite_rows(values, kColumns);
  EXPECT_EQ(found.count, 2);
  EXPECT_EQ(found.rows, 5);
  EXPECT_EQ(found.first_row, 1);
  EXPECT_EQ(found.first_column, "lower");
  EXPECT_EQ(workflow::describe_nonfinite_rows(found, "in.csv"),
            "data row 2 of in.csv: 'lower' is -inf; 2 of 5 rows have non-finite predictions");
  EXPECT_EQ(credence::testing::error_message_of([&] { workflow::check_finite_predictions(values, kColumns, "in.csv", false, "; not written"); }),
            "data row 2 of in.csv: 'lower' is -inf; 2 of 5 rows have non-finite predictions; not written");
  // Allowed: nothing thrown, the same count.
  EXPECT_EQ(workflow::check_finite_predictions(values, kColumns, "in.csv", true, "").count, 2);
  // Float32 tables too, one bad row; an all-finite table passes.
  auto single = at::ones({4, 3});
  single[0][0] = kNan;
  EXPECT_EQ(workflow::describe_nonfinite_rows(workflow::find_nonfinite_rows(single, kColumns), "idx:images"),
            "data row 1 of idx:images: 'mean' is nan; 1 of 4 rows has non-finite predictions");
  EXPECT_EQ(workflow::check_finite_predictions(at::ones({4, 3}), kColumns, "in.csv", false, "").count, 0);
  EXPECT_EQ(workflow::find_nonfinite_rows(at::zeros({0, 3}), kColumns).count, 0);
  EXPECT_THROW(workflow::find_nonfinite_rows(at::zeros({2, 2}), kColumns), std::invalid_argument);
}

TEST(FinitePredictions, ANonFiniteScoreIsNamedWithItsKeys) {
  nlohmann::json report = {{"rmse", 1.5}, {"rows", 10}, {"method", "bbb"}, {"auroc", {{"entropy", 0.7}, {"max_probability", kNan}}}};
  EXPECT_EQ(credence::testing::error_message_of([&] { workflow::check_finite_scores(report, "test.csv"); }),
            "test.csv: the score 'auroc.max_probability' is nan");
  report["auroc"]["max_probability"] = 0.5;
  EXPECT_EQ(credence::testing::error_message_of([&] { workflow::check_finite_scores(report, "test.csv"); }), "no error");
  report["nll"] = kInf;
  EXPECT_EQ(credence::testing::error_message_of([&] { workflow::check_finite_scores(report, "test.csv"); }),
            "test.csv: the score 'nll' is inf");
}

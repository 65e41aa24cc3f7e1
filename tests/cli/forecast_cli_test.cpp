// Forecasting through the command: train --task forecast, predict per origin and step, evaluate on
// the test period, forecast past the end with its plot, and every bad input as one line.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using namespace credence::testing;

namespace {

// 120 weekly values of a season of 12 on a trend, dated YYYYMMDD-like increasing numbers, with
// two empty cells (rows 40 and 41).
std::string series_csv() {
  std::ostringstream out;
  out << "date,level\n";
  for (int t = 0; t < 120; ++t) {
    out << 20000000 + 7 * t << ",";
    if (t != 40 && t != 41) out << std::sin(2 * M_PI * t / 12) + 0.02 * t + 0.05 * std::cos(17.0 * t);
    out << "\n";
  }
  return out.str();
}

}  // namespace

class ForecastCli : public ::testing::Test {
 protected:
  void SetUp() override { write_text(dir.path("series.csv"), series_csv()); }
  std::string train_args() const {
    return "train --task forecast --data " + dir.path("series.csv") + " --target level --date-column date --missing interpolate "
           "--window 12 --horizon 3 --difference 1 --season 12 --hidden 16 --epochs 30 --threads 1 --seed 1";
  }
  TemporaryDirectory dir;
};

TEST_F(ForecastCli, TrainPredictEvaluateAndForecast) {
  const auto trained = run_cli(train_args() + " --out " + dir.path("f.model"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_NE(trained.err.find("120 values, 2 interpolated; training period 96 values"), std::string::npos) << trained.err;
  EXPECT_NE(trained.err.find("test period, per forecast step"), std::string::npos) << trained.err;
  // Every origin with a full window (11 .. 119 after the first change), every step.
  const auto predicted = run_cli("predict --model " + dir.path("f.model") + " --data " + dir.path("series.csv") + " --out " +
                                 dir.path("p.csv") + " --samples 5");
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  const auto table = read_text(dir.path("p.csv"));
  EXPECT_EQ(table.rfind("origin,step,mean,std,aleatoric_std,epistemic_std,lower,upper\n", 0), 0u) << table.substr(0, 200);
  EXPECT_EQ(count_lines(table), 1 + (120 - 12) * 3);
  EXPECT_NE(table.find("\n20000084,1,"), std::string::npos);  // origin 12, dated
  const auto evaluated = run_cli("evaluate --model " + dir.path("f.model") + " --data " + dir.path("series.csv") + " --json");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  const auto steps = nlohmann::json::parse(evaluated.out).at("steps");
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].at("count"), 24);
  EXPECT_EQ(steps[2].at("count"), 22);
  EXPECT_TRUE(steps[0].at("naive_season_rmse").is_number());
  // Past the end, with the plot.
  const auto forecast = run_cli("forecast --model " + dir.path("f.model") + " --data " + dir.path("series.csv") +
                                " --steps 2 --out " + dir.path("next.csv") + " --plot " + dir.path("next.svg"));
  ASSERT_EQ(forecast.exit_code, 0) << forecast.err;
  EXPECT_EQ(count_lines(read_text(dir.path("next.csv"))), 3);
  EXPECT_NE(read_text(dir.path("next.csv")).find("\n20000833,2,"), std::string::npos);
  EXPECT_NE(read_text(dir.path("next.svg")).find("epistemic"), std::string::npos);
  const auto inspected = run_cli("inspect --model " + dir.path("f.model"));
  EXPECT_NE(inspected.out.find("forecast_network"), std::string::npos) << inspected.out;
}

TEST_F(ForecastCli, BadInputIsOneLineAndNoFile) {
  const std::string model = dir.path("m");
  const std::string base = "train --task forecast --data " + dir.path("series.csv") + " --target level --epochs 1 --out " + model;
  // Missing values without a policy: the line and column of the first empty cell.
  expect_cli_error(base + " --window 4 --horizon 2",
                   dir.path("series.csv") + ":42:10: empty cell in column 'level' (a missing value: give --missing interpolate or --missing drop)",
                   1, model);
  expect_cli_error(base + " --missing drop --window 200 --horizon 2",
                   "--window 200 and --horizon 2 need a series of at least 202 values; it has 118", 1, model);
  expect_cli_failure(base + " --missing drop --window 4 --horizon 0", "--horizon", model);
  expect_cli_failure(base + " --missing drop --window 4 --horizon 2 --missing mean", "--missing", model);
  write_text(dir.path("unordered.csv"), "date,level\n1,1\n3,2\n2,3\n4,4\n");
  expect_cli_error("train --task forecast --data " + dir.path("unordered.csv") + " --target level --date-column date --window 1 "
                   "--horizon 1 --out " + model,
                   dir.path("unordered.csv") + ":4:1: time '2' in column 'date' does not come after '3' of the row before (a "
                   "series must be in time order, each time once)", 1, model);
  write_text(dir.path("text.csv"), "level\n1\n2\nhigh\n4\n");
  expect_cli_error("train --task forecast --data " + dir.path("text.csv") + " --target level --window 1 --horizon 1 --out " + model,
                   dir.path("text.csv") + ":4:1: expected a number, found 'high' in column 'level'", 1, model);
  expect_cli_failure("train --data " + dir.path("series.csv") + " --target level --window 4 --out " + model,
                     "are for --task forecast", model);
  // forecast: more steps than the horizon; a model that is not a forecaster.
  ASSERT_EQ(run_cli(train_args() + " --quiet --out " + dir.path("f.model")).exit_code, 0);
  expect_cli_error("forecast --model " + dir.path("f.model") + " --data " + dir.path("series.csv") + " --steps 4 --out " +
                       dir.path("next.csv"),
                   "--steps 4: the model forecasts 1 to 3 steps (it was trained with --horizon 3)", 1, dir.path("next.csv"));
  write_text(dir.path("table.csv"), "x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n6,12\n");
  ASSERT_EQ(run_cli("train --data " + dir.path("table.csv") + " --target y --epochs 1 --quiet --out " + dir.path("r.model")).exit_code, 0);
  expect_cli_failure("forecast --model " + dir.path("r.model") + " --data " + dir.path("series.csv") + " --steps 1 --out " +
                         dir.path("next.csv"),
                     "forecast needs one trained with --task forecast", dir.path("next.csv"));
}

// Time series: missing values under each policy, time order, and the forecast windows: exact
// values, levels added back, and periods that never let a later period's target into training.
#include "credence/data/csv_table.h"
#include "credence/data/forecast_windows.h"
#include "credence/data/time_series.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using credence::testing::error_message_of;

namespace {

data::TimeSeries series_of(const std::string& text, data::MissingValues missing, const std::string& time = "t") {
  return data::read_time_series(data::parse_csv(text, "s.csv"), "y", time, missing);
}

std::vector<double> values_of(const at::Tensor& t) {
  auto c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace

TEST(TimeSeries, MissingValuesAreRefusedInterpolatedOrDropped) {
  const std::string text = "t,y\n1,\n2,1.0\n3,\n4,\n5,4.0\n6,5\n7,\n";
  const auto refused = error_message_of([&] { series_of(text, data::MissingValues::refuse); });
  EXPECT_EQ(refused, "s.csv:2:3: empty cell in column 'y' (a missing value: give --missing interpolate or --missing drop)");
  // Inner gaps on the line between their neighbours; the leading and trailing ones dropped.
  const auto filled = series_of(text, data::MissingValues::interpolate);
  EXPECT_EQ(values_of(filled.values), (std::vector<double>{1.0, 2.0, 3.0, 4.0, 5.0}));
  EXPECT_EQ(filled.times, (std::vector<std::string>{"2", "3", "4", "5", "6"}));
  EXPECT_EQ(filled.interpolated, 2);
  EXPECT_EQ(filled.dropped, 2);
  const auto dropped = series_of(text, data::MissingValues::drop);
  EXPECT_EQ(values_of(dropped.values), (std::vector<double>{1.0, 4.0, 5.0}));
  EXPECT_EQ(dropped.times, (std::vector<std::string>{"2", "5", "6"}));
  EXPECT_EQ(dropped.dropped, 4);
  // Text in a value cell is an error whatever the policy; so is a series of one value.
  EXPECT_EQ(error_message_of([&] { series_of("t,y\n1,2\n2,x\n", data::MissingValues::drop); }),
            "s.csv:3:3: expected a number, found 'x' in column 'y'");
  EXPECT_EQ(error_message_of([&] { series_of("t,y\n1,2\n2,\n", data::MissingValues::drop); }),
            "s.csv: column 'y' holds 1 value; a series needs at least two");
  EXPECT_EQ(data::missing_values_from_string("interpolate"), data::MissingValues::interpolate);
  EXPECT_THROW(data::missing_values_from_string("mean"), std::invalid_argument);
}

TEST(TimeSeries, TheTimeColumnMustIncrease) {
  EXPECT_EQ(error_message_of([&] { series_of("t,y\n19580329,1\n19580405,2\n19580405,3\n", data::MissingValues::refuse); }),
            "s.csv:4:1: time '19580405' in column 't' does not come after '19580405' of the row before (a series must be in "
            "time order, each time once)");
  // Numbers compare as numbers (9 < 10), other text as text (ISO dates).
  EXPECT_EQ(series_of("t,y\n9,1\n10,2\n", data::MissingValues::refuse).values.size(0), 2);
  EXPECT_EQ(series_of("t,y\n2001-12-22,1\n2001-12-29,2\n", data::MissingValues::refuse).times.back(), "2001-12-29");
  EXPECT_NE(error_message_of([&] { series_of("t,y\n2001-12-29,1\n2001-12-22,2\n", data::MissingValues::refuse); }).find("s.csv:3:1"),
            std::string::npos);
  // Without a time column the file order is the time order.
  EXPECT_TRUE(series_of("y\n3\n1\n", data::MissingValues::refuse, "").times.empty());
}

TEST(ForecastWindows, InputsTargetsAndLevelsHoldTheRightValues) {
  // y_t = t^2: the windows' values name the indices they came from.
  const auto y = at::arange(10, at::TensorOptions().dtype(at::kDouble)).pow(2);
  const data::ForecastWindowOptions levels{3, 2, 0};
  auto w = data::make_windows(y, levels, 0, 100);
  ASSERT_EQ(w.origins.size(0), 6);  // origins 2 .. 7
  EXPECT_EQ(w.origins[0].item<int64_t>(), 2);
  EXPECT_EQ(values_of(w.inputs[0]), (std::vector<double>{0, 1, 4}));
  EXPECT_EQ(values_of(w.targets[0]), (std::vector<double>{9, 16}));
  EXPECT_EQ(values_of(w.targets[5]), (std::vector<double>{64, 81}));
  // Differences: the changes up to the origin in, the changes since the origin out; level + target = y.
  const data::ForecastWindowOptions changes{3, 2, 1};
  auto d = data::make_windows(y, changes, 0, 100);
  ASSERT_EQ(d.origins[0].item<int64_t>(), 3);
  EXPECT_EQ(values_of(d.inputs[0]), (std::vector<double>{1, 3, 5}));  // 1-0, 4-1, 9-4
  EXPECT_EQ(values_of(d.targets[0]), (std::vector<double>{16 - 9, 25 - 9}));
  auto rebuilt = d.levels.unsqueeze(1) + d.targets;
  auto index = d.origins.unsqueeze(1) + at::arange(1, 3, d.origins.options());
  EXPECT_TRUE(at::equal(rebuilt, y.index_select(0, index.reshape({-1})).view(index.sizes())));
  // The forecast from the end of the series.
  EXPECT_EQ(values_of(data::last_window(y, changes)), (std::vector<double>{49 - 36, 64 - 49, 81 - 64}));
  EXPECT_EQ(values_of(data::last_window(y, levels)), (std::vector<double>{49, 64, 81}));
}

TEST(ForecastWindows, NoLaterTargetReachesAnEarlierPeriod) {
  // y_t = t, so a target's value is its index: every training target lies before the validation
  // period, every validation target before the test period, and the test examples cover it.
  const int64_t length = 97;
  const auto y = at::arange(length, at::TensorOptions().dtype(at::kDouble));
  const auto periods = data::split_in_time(length, 0.1, 0.2);
  EXPECT_EQ(periods.validation_end, length - 19);
  EXPECT_EQ(periods.train_end, periods.validation_end - 8);
  for (int64_t difference : {0, 1}) {
    const data::ForecastWindowOptions options{5, 4, difference};
    auto level = [&](const data::ForecastWindows& w) { return w.levels.unsqueeze(1) + w.targets; };
    auto train = data::windows_in_period(y, options, 0, periods.train_end);
    auto validation = data::windows_in_period(y, options, periods.train_end, periods.validation_end);
    auto test = data::windows_in_period(y, options, periods.validation_end, length);
    EXPECT_LT(level(train).max().item<double>(), periods.train_end);
    EXPECT_GE(level(validation).min().item<double>(), periods.train_end);
    EXPECT_LT(level(validation).max().item<double>(), periods.validation_end);
    EXPECT_GE(level(test).min().item<double>(), periods.validation_end);
    EXPECT_EQ(level(test).max().item<double>(), length - 1);
    // Every test value is a first-step target once.
    EXPECT_EQ(level(test).select(1, 0).min().item<double>(), periods.validation_end);
    // Inputs only reach back: an input value never lies after its origin.
    if (difference == 0) EXPECT_TRUE(at::all(test.inputs.select(1, 4) == test.origins.to(at::kDouble)).item<bool>());
  }
}

TEST(ForecastWindows, BadOptionsSayWhatIsNeeded) {
  const auto y = at::arange(10, at::TensorOptions().dtype(at::kDouble));
  EXPECT_EQ(error_message_of([&] { data::make_windows(y, {0, 1, 0}, 0, 9); }), "--window: expected at least 1 value, got 0");
  EXPECT_EQ(error_message_of([&] { data::make_windows(y, {3, 0, 0}, 0, 9); }), "--horizon: expected at least 1 step, got 0");
  EXPECT_EQ(error_message_of([&] { data::make_windows(y, {3, 1, 2}, 0, 9); }), "--difference: expected 0 or 1, got 2");
  EXPECT_EQ(error_message_of([&] { data::make_windows(y, {8, 3, 0}, 0, 9); }),
            "--window 8 and --horizon 3 need a series of at least 11 values; it has 10");
  EXPECT_EQ(error_message_of([&] { data::make_windows(y, {7, 3, 1}, 0, 9); }),
            "--window 7 and --horizon 3 with --difference 1 need a series of at least 11 values; it has 10");
}

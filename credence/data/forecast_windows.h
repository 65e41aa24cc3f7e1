// ForecastWindows: the examples a direct multi-step forecaster learns from, cut from a series in
// time order. The example at origin o (the index of its last known value) has the W values up to o
// as input and the H values after it as targets; with --difference 1 the inputs are the W changes
// y_t - y_{t-1} up to o and the targets the changes y_{o+h} - y_o since the origin, so that a
// trending series can be forecast beyond the range of its training values (the level y_o is added
// back: forecast = level + target).
//
// The series is split in time order, never shuffled across time: training, validation and test
// periods follow one another, and an example belongs to a period only when all its targets lie in
// it, so no target of a later period is ever learned from (its inputs may reach back, as a real
// forecast's history does).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace credence::data {

struct ForecastWindowOptions {
  int64_t window = 0;      // W: values (or changes) per input
  int64_t horizon = 0;     // H: steps forecast from each origin
  int64_t difference = 0;  // 0: levels; 1: changes
};

struct ForecastWindows {
  at::Tensor inputs;   // [N, W]
  at::Tensor targets;  // [N, H]
  at::Tensor levels;   // [N]: what a target is relative to (y_o with differences, else 0)
  at::Tensor origins;  // [N] int64: o, an index into the series
};

// The periods as index ranges of the series: training [0, train_end), validation [train_end,
// validation_end), test [validation_end, length). The test period is the last test_fraction of the
// values (rounded), the validation period the last validation_fraction of those before it.
struct TimePeriods {
  int64_t train_end = 0, validation_end = 0, length = 0;
};
TimePeriods split_in_time(int64_t length, double validation_fraction, double test_fraction);

// Throws std::invalid_argument for W or H below 1, a difference other than 0 or 1, and a series
// of `length` values too short for one example (saying how many values it needs).
void check_window_options(int64_t length, const ForecastWindowOptions& options);

// The earliest origin that has a full input window (W - 1, or W with differences).
int64_t first_origin(const ForecastWindowOptions& options);

// Examples for every origin o in [first, last] (inclusive) whose H targets lie inside the series;
// the options are checked as check_window_options does.
ForecastWindows make_windows(const at::Tensor& series, const ForecastWindowOptions& options, int64_t first, int64_t last);

// The examples whose targets all lie in [begin, end) (a period of split_in_time).
ForecastWindows windows_in_period(const at::Tensor& series, const ForecastWindowOptions& options, int64_t begin, int64_t end);

// The inputs and levels of every origin o in [first, last] with a full input window, whether or not
// its targets lie inside the series (for forecasts); `targets` is left undefined.
ForecastWindows origin_windows(const at::Tensor& series, const ForecastWindowOptions& options, int64_t first, int64_t last);

// The input of a forecast from the end of the series (origin length - 1): [1, W].
at::Tensor last_window(const at::Tensor& series, const ForecastWindowOptions& options);

}  // namespace credence::data

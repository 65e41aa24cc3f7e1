// ForecastWindows: windows, targets and time-ordered periods.
#include "credence/data/forecast_windows.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace credence::data {

void check_window_options(int64_t length, const ForecastWindowOptions& options) {
  if (options.window < 1) throw std::invalid_argument("--window: expected at least 1 value, got " + std::to_string(options.window));
  if (options.horizon < 1) throw std::invalid_argument("--horizon: expected at least 1 step, got " + std::to_string(options.horizon));
  if (options.difference != 0 && options.difference != 1) {
    throw std::invalid_argument("--difference: expected 0 or 1, got " + std::to_string(options.difference));
  }
  const int64_t needed = first_origin(options) + 1 + options.horizon;
  if (length < needed) {
    throw std::invalid_argument("--window " + std::to_string(options.window) + " and --horizon " + std::to_string(options.horizon) +
                                (options.difference ? " with --difference 1" : "") + " need a series of at least " +
                                std::to_string(needed) + " values; it has " + std::to_string(length));
  }
}

TimePeriods split_in_time(int64_t length, double validation_fraction, double test_fraction) {
  if (!(test_fraction >= 0.0 && test_fraction < 1.0)) throw std::invalid_argument("the test fraction must lie in [0, 1)");
  if (!(validation_fraction >= 0.0 && validation_fraction < 1.0)) {
    throw std::invalid_argument("the validation fraction must lie in [0, 1)");
  }
  TimePeriods periods;
  periods.length = length;
  const auto test = static_cast<int64_t>(std::llround(test_fraction * static_cast<double>(length)));
  periods.validation_end = length - test;
  const auto validation = static_cast<int64_t>(std::llround(validation_fraction * static_cast<double>(periods.validation_end)));
  periods.train_end = periods.validation_end - validation;
  return periods;
}

int64_t first_origin(const ForecastWindowOptions& options) { return options.window - 1 + options.difference; }

ForecastWindows origin_windows(const at::Tensor& series, const ForecastWindowOptions& options, int64_t first, int64_t last) {
  const int64_t length = series.size(0);
  first = std::max(first, first_origin(options));
  last = std::min(last, length - 1);
  const int64_t n = std::max<int64_t>(0, last - first + 1);
  const auto y = series.to(at::kDouble).contiguous();
  ForecastWindows w;
  w.origins = at::arange(first, first + n, at::TensorOptions().dtype(at::kLong));
  if (n == 0) {
    w.inputs = at::empty({0, options.window}, y.options());
    w.levels = at::empty({0}, y.options());
    return w;
  }
  // Row i of the input is y[o - W + 1 .. o], or its changes y[t] - y[t - 1].
  const auto index = w.origins.unsqueeze(1) + at::arange(-options.window + 1, 1, w.origins.options());
  const auto values = [&](const at::Tensor& at) { return y.index_select(0, at.reshape({-1})).view(at.sizes()); };
  w.inputs = options.difference ? values(index) - values(index - 1) : values(index);
  w.levels = options.difference ? y.index_select(0, w.origins) : at::zeros({n}, y.options());
  return w;
}

ForecastWindows make_windows(const at::Tensor& series, const ForecastWindowOptions& options, int64_t first, int64_t last) {
  if (series.dim() != 1) throw std::invalid_argument("forecast windows: the series must be one-dimensional");
  check_window_options(series.size(0), options);
  auto w = origin_windows(series, options, first, std::min(last, series.size(0) - 1 - options.horizon));
  // The targets y[o + 1 .. o + H], relative to the level.
  const auto index = w.origins.unsqueeze(1) + at::arange(1, options.horizon + 1, w.origins.options());
  const auto y = series.to(at::kDouble).contiguous();
  w.targets = y.index_select(0, index.reshape({-1})).view(index.sizes()) - w.levels.unsqueeze(1);
  return w;
}

ForecastWindows windows_in_period(const at::Tensor& series, const ForecastWindowOptions& options, int64_t begin, int64_t end) {
  // Targets o + 1 .. o + H inside [begin, end): o >= begin - 1 and o + H <= end - 1.
  return make_windows(series, options, begin - 1, end - 1 - options.horizon);
}

at::Tensor last_window(const at::Tensor& series, const ForecastWindowOptions& options) {
  const int64_t length = series.size(0);
  if (length < first_origin(options) + 1) {
    throw std::invalid_argument("--window " + std::to_string(options.window) + " needs at least " +
                                std::to_string(first_origin(options) + 1) + " values before the forecast; the series has " +
                                std::to_string(length));
  }
  return origin_windows(series, options, length - 1, length - 1).inputs;
}

}  // namespace credence::data

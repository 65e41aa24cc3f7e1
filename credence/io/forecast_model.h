// ForecastModel: a direct multi-step forecaster, a regression network (or ensemble) with one target
// per forecast step, and how it reads a series: the value and time columns, the missing-value
// policy, the window, the horizon and the differencing. A format only: forecasting is
// workflow/forecast_prediction.h.
#pragma once

#include "credence/data/forecast_windows.h"
#include "credence/data/time_series.h"
#include "credence/io/archive.h"
#include "credence/io/regression_model.h"

#include <cstdint>
#include <string>

namespace credence::io {

inline constexpr const char* kForecastNetworkKind = "forecast_network";

struct ForecastSettings {
  std::string series;       // the value column
  std::string time_column;  // empty: the file order is the time order
  data::MissingValues missing = data::MissingValues::refuse;
  data::ForecastWindowOptions windows;  // window W, horizon H, difference
  double test_fraction = 0.2;           // the last part of the series held out in training
  int64_t season = 0;                   // the seasonal naive baseline's lag (0: none)
};

struct ForecastModel {
  RegressionModel regression;  // inputs [W] (values or changes), targets [H] (values or changes since the origin)
  ForecastSettings settings;
};

Archive to_archive(const ForecastModel& model);
// Throws ArchiveError naming the archive's path when a field or tensor is missing or malformed.
ForecastModel forecast_model_from_archive(const Archive& archive);

void save_forecast_model(const std::string& path, const ForecastModel& model);
ForecastModel load_forecast_model(const std::string& path);

}  // namespace credence::io

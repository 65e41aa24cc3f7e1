// fit_forecast: from a series to a trained direct multi-step forecaster. The series is split in
// time order (training, validation, test periods; never shuffled across time), the examples of
// each period are the windows whose targets all lie in it (data/forecast_windows.h), and the
// regression network learns the H steps at once, each step with its own noise and standardisation
// fitted on the training examples only.
#pragma once

#include "credence/data/time_series.h"
#include "credence/io/forecast_model.h"
#include "credence/workflow/fit_regression.h"

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct ForecastFitOptions {
  io::ForecastSettings settings;
  // The share of the values before the test period that form the validation period (0: none).
  double validation_fraction = 0.0;
  // The network, method, noise and training (its validation_fraction is unused: see above).
  RegressionFitOptions regression;
};

struct ForecastFit {
  io::ForecastModel model;
  std::vector<inference::TrainingHistory> histories;
  std::string warnings;
  data::TimePeriods periods;
  int64_t training_examples = 0, validation_examples = 0;
};

// Throws std::invalid_argument for a series too short for the window, horizon and periods, naming
// the options and the lengths.
ForecastFit fit_forecast(const data::TimeSeries& series, const ForecastFitOptions& options);

// The names of a window's inputs, oldest first: "lag_23" .. "lag_0" (changes: "change_23" ..).
std::vector<std::string> window_feature_names(const data::ForecastWindowOptions& windows);

}  // namespace credence::workflow

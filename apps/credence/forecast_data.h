// Forecasting on the command line: the series a forecaster reads from --data, and the test-period
// score table that train and evaluate print.
#pragma once

#include "credence/data/time_series.h"
#include "credence/io/forecast_model.h"
#include "credence/workflow/forecast_prediction.h"

#include <ostream>
#include <string>
#include <vector>

namespace credence::cli {

// The model's series from a CSV file: its value and time columns, under its missing-value policy.
data::TimeSeries read_model_series(const std::string& path, const io::ForecastSettings& settings);

// One line per step: RMSE against the naive forecasts, interval coverage and width, the two parts
// of the standard deviation; then the mean over the steps.
void print_forecast_scores(std::ostream& out, const std::vector<workflow::StepScores>& scores, double level);

}  // namespace credence::cli

// Forecasts of a direct multi-step forecaster: per origin and step the predictive mean, the
// uncertainty split (aleatoric: the noise the network predicts; epistemic: the spread of the
// sampled networks' means) and the central interval, in the series' original units; the scores of
// the test period against the two naive baselines; the forecast past the end of a series.
#pragma once

#include "credence/io/forecast_model.h"
#include "credence/workflow/regression_prediction.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct ForecastPrediction {
  at::Tensor origins;             // [N] int64: index in the series of each forecast's last known value
  RegressionPrediction forecast;  // per origin and step: [N, H] each, levels added back
};

// Forecasts from every origin in [first, last] that has a full input window.
ForecastPrediction forecast_from_origins(const io::ForecastModel& model, const at::Tensor& series, int64_t first,
                                         int64_t last, const predict::PredictOptions& options, double level,
                                         std::uint64_t seed);

// The output columns of `credence predict` and `credence forecast` for a forecaster, and their rows
// (one per origin and step, origin-major): origin (the time column's cell, else the index), step,
// then the regression columns.
const std::vector<std::string>& forecast_prediction_columns();
at::Tensor forecast_prediction_values(const ForecastPrediction& prediction);
std::vector<std::string> forecast_origin_labels(const ForecastPrediction& prediction, const std::vector<std::string>& times);

// The test period's scores per step h (origins whose target o + h lies in the test period):
// RMSE, central-interval coverage and mean width, the mean aleatoric and epistemic standard
// deviations, and the RMSE of the naive forecasts "last value" (y_o) and, with a season P, "one
// season ago" (y_{o+h-P}, or further whole seasons back for h > P).
struct StepScores {
  int64_t step = 0, count = 0;
  double rmse = 0, coverage = 0, width = 0, aleatoric_std = 0, epistemic_std = 0;
  double naive_last_rmse = 0, naive_season_rmse = 0;  // the latter NaN without a season
};
std::vector<StepScores> score_test_period(const io::ForecastModel& model, const at::Tensor& series,
                                          const predict::PredictOptions& options, double level, std::uint64_t seed);
nlohmann::json to_json(const std::vector<StepScores>& scores);

// A forecast of `steps` steps past the end of the series (at most the model's horizon), and its plot:
// the last values of the series, the forecast mean, the total and the epistemic central bands.
ForecastPrediction forecast_past_end(const io::ForecastModel& model, const at::Tensor& series, int64_t steps,
                                     const predict::PredictOptions& options, double level, std::uint64_t seed);
std::string forecast_plot_svg(const io::ForecastModel& model, const at::Tensor& series, const ForecastPrediction& forecast,
                              int64_t steps, double level);

}  // namespace credence::workflow

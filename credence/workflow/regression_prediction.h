// Predictions of a regression model for raw rows: draws in original units, the uncertainty split,
// the central interval, the columns `credence predict` writes and the scores `evaluate` reports.
#pragma once

#include "credence/data/csv_table.h"
#include "credence/io/regression_model.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/predict/predictive_samples.h"
#include "credence/predict/uncertainty.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct RegressionPrediction {
  predict::PredictiveSamples samples;  // original units
  predict::RegressionUncertainty uncertainty;
  metrics::Interval interval;
};

// The model's draws for raw (unstandardised) rows, in the target's original units.
predict::PredictiveSamples sample_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                                             const predict::PredictOptions& options);

// S draws (the members' generators seeded by `seed`), their split and the central interval at `level`.
RegressionPrediction predict_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs, int64_t samples,
                                        double level, std::uint64_t seed);

// The model's feature columns of `table`, by name; throws naming the file and the missing column.
at::Tensor model_inputs(const data::CsvTable& table, const std::vector<std::string>& features);

// The output columns of `credence predict` for regression, in order, and their values [N, 6].
const std::vector<std::string>& regression_prediction_columns();
at::Tensor regression_prediction_values(const RegressionPrediction& prediction);

// {"rmse", "nll" (of the predictive mixture, per row), "coverage", "width"} against the targets.
nlohmann::json regression_scores(const RegressionPrediction& prediction, const at::Tensor& targets);

}  // namespace credence::workflow

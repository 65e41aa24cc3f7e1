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

// Summaries only: the draws behind them are reduced chunk by chunk and never held for all rows.
struct RegressionPrediction {
  predict::RegressionUncertainty uncertainty;  // original units
  metrics::Interval interval;
  at::Tensor log_density;  // [N] log predictive density of the targets, when predict_regression had them
};

// The model's draws for raw (unstandardised) rows, in the target's original units, chunk by chunk
// within options' memory budget: visit(draws of the chunk's rows, first_row).
void for_each_regression_chunk(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                               const predict::PredictOptions& options, const predict::PredictiveChunkVisitor& visit);
// All of them at once [D, N] (for few rows).
predict::PredictiveSamples sample_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                                             const predict::PredictOptions& options);

// S draws (options.samples(); the members' generators seeded by `seed`), their split and the central
// interval at `level`, and with `targets` [N] their log predictive density; peak memory within
// options.memory_budget(), the same numbers whatever the budget.
RegressionPrediction predict_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                                        const predict::PredictOptions& options, double level, std::uint64_t seed,
                                        const at::Tensor& targets = at::Tensor());
RegressionPrediction predict_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs, int64_t samples,
                                        double level, std::uint64_t seed, const at::Tensor& targets = at::Tensor());

// The model's feature columns of `table`, by name; throws naming the file and the missing column.
at::Tensor model_inputs(const data::CsvTable& table, const std::vector<std::string>& features);

// The output columns of `credence predict` for regression, in order, and their values [N, 6].
const std::vector<std::string>& regression_prediction_columns();
at::Tensor regression_prediction_values(const RegressionPrediction& prediction);

// {"rmse", "nll" (of the predictive mixture, per row), "coverage", "width"} against the targets
// (those that predict_regression was given, for the NLL).
nlohmann::json regression_scores(const RegressionPrediction& prediction, const at::Tensor& targets);

}  // namespace credence::workflow

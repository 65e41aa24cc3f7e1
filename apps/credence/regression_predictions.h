// Predictions of a regression network on a CSV file, in the columns predict and evaluate share.
#pragma once

#include "credence/data/csv_table.h"
#include "credence/io/regression_model.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/predict/uncertainty.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::cli {

struct RegressionPredictions {
  predict::PredictiveSamples samples;  // original units
  predict::RegressionUncertainty uncertainty;
  metrics::Interval interval;
};

// The model's feature columns of `table`, by name; throws naming the file and the missing column.
at::Tensor model_inputs(const data::CsvTable& table, const std::vector<std::string>& features);

RegressionPredictions predict_regression(io::RegressionModel& model, const data::CsvTable& table, int64_t samples,
                                         double level, std::uint64_t seed);

// The output columns of `credence predict` for regression, in order.
const std::vector<std::string>& regression_prediction_columns();
at::Tensor regression_prediction_values(const RegressionPredictions& predictions);

}  // namespace credence::cli

// Predictions of a regression network on a CSV file.
#include "regression_predictions.h"

#include "credence/core/rng.h"

#include <stdexcept>

namespace credence::cli {

at::Tensor model_inputs(const data::CsvTable& table, const std::vector<std::string>& features) {
  for (const auto& name : features) {
    if (!table.has_column(name)) {
      std::string expected;
      for (size_t i = 0; i < features.size(); ++i) expected += (i ? "," : "") + features[i];
      throw std::runtime_error(table.path() + ":1: missing column '" + name + "' that the model was trained on (model features: " +
                               expected + ")");
    }
  }
  return table.select(features);
}

RegressionPredictions predict_regression(io::RegressionModel& model, const data::CsvTable& table, int64_t samples,
                                         double level, std::uint64_t seed) {
  auto inputs = model_inputs(table, model.feature_names);
  model.net->set_generator(core::make_generator(seed));
  RegressionPredictions p;
  p.samples = model.predict(inputs, predict::PredictOptions().samples(samples));
  p.uncertainty = predict::split_uncertainty(p.samples);
  p.interval = metrics::central_interval(p.uncertainty.mean, at::sqrt(p.uncertainty.total_variance), level);
  return p;
}

const std::vector<std::string>& regression_prediction_columns() {
  static const std::vector<std::string> columns{"mean", "std", "aleatoric_std", "epistemic_std", "lower", "upper"};
  return columns;
}

at::Tensor regression_prediction_values(const RegressionPredictions& p) {
  const auto& u = p.uncertainty;
  return at::stack({u.mean, at::sqrt(u.total_variance), at::sqrt(u.aleatoric_variance), at::sqrt(u.epistemic_variance),
                    p.interval.lower, p.interval.upper},
                   1);
}

}  // namespace credence::cli

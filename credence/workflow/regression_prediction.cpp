// Regression predictions in original units.
#include "credence/workflow/regression_prediction.h"

#include "credence/core/rng.h"
#include "credence/predict/laplace_predictive.h"

#include <stdexcept>

namespace credence::workflow {

predict::PredictiveSamples sample_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                                             const predict::PredictOptions& options) {
  auto members = model.members;
  auto likelihoods = model.likelihoods;
  auto z = model.input_scaler.transform(raw_inputs);
  auto samples = model.laplace ? predict::sample_laplace_predictive(members.front(), likelihoods.front(), *model.laplace, z,
                                                                    options, members.front()->generator())
                               : predict::sample_predictive(members, likelihoods, z, options);
  return {model.target_scaler.inverse_transform(samples.means), model.target_scaler.inverse_transform_variance(samples.variances)};
}

RegressionPrediction predict_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs, int64_t samples,
                                        double level, std::uint64_t seed) {
  auto generator = core::make_generator(seed);
  for (auto member : model.members) member->set_generator(generator);
  RegressionPrediction p;
  p.samples = sample_regression(model, raw_inputs, predict::PredictOptions().samples(samples));
  p.uncertainty = predict::split_uncertainty(p.samples);
  p.interval = metrics::central_interval(p.uncertainty.mean, at::sqrt(p.uncertainty.total_variance), level);
  return p;
}

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

const std::vector<std::string>& regression_prediction_columns() {
  static const std::vector<std::string> columns{"mean", "std", "aleatoric_std", "epistemic_std", "lower", "upper"};
  return columns;
}

at::Tensor regression_prediction_values(const RegressionPrediction& p) {
  const auto& u = p.uncertainty;
  return at::stack({u.mean, at::sqrt(u.total_variance), at::sqrt(u.aleatoric_variance), at::sqrt(u.epistemic_variance),
                    p.interval.lower, p.interval.upper},
                   1);
}

nlohmann::json regression_scores(const RegressionPrediction& p, const at::Tensor& targets) {
  return {
      {"rmse", metrics::root_mean_squared_error(p.uncertainty.mean, targets)},
      {"nll", metrics::mixture_negative_log_likelihood(p.samples.means, p.samples.variances, targets)},
      {"coverage", metrics::interval_coverage(p.interval, targets)},
      {"width", metrics::interval_mean_width(p.interval)},
  };
}

}  // namespace credence::workflow

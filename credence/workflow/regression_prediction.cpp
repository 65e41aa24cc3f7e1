// Regression predictions in original units.
#include "credence/workflow/regression_prediction.h"

#include "credence/core/rng.h"
#include "credence/predict/laplace_predictive.h"

#include <stdexcept>

namespace credence::workflow {

void for_each_regression_chunk(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                               const predict::PredictOptions& options, const predict::PredictiveChunkVisitor& visit) {
  auto members = model.members;
  auto likelihoods = model.likelihoods;
  auto z = model.input_scaler.transform(raw_inputs);
  auto in_original_units = [&](const predict::PredictiveSamples& chunk, int64_t first_row) {
    visit({model.target_scaler.inverse_transform(chunk.means), model.target_scaler.inverse_transform_variance(chunk.variances)},
          first_row);
  };
  if (model.laplace) {
    predict::for_each_laplace_predictive_chunk(members.front(), likelihoods.front(), *model.laplace, z, options,
                                               members.front()->generator(), in_original_units);
  } else {
    predict::for_each_predictive_chunk(members, likelihoods, z, options, in_original_units);
  }
}

predict::PredictiveSamples sample_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                                             const predict::PredictOptions& options) {
  std::vector<at::Tensor> means, variances;
  for_each_regression_chunk(model, raw_inputs, options, [&](const predict::PredictiveSamples& chunk, int64_t) {
    means.push_back(chunk.means);
    variances.push_back(chunk.variances);
  });
  if (means.empty()) return {at::empty({options.samples(), 0}), at::empty({options.samples(), 0})};
  return {at::cat(means, 1), at::cat(variances, 1)};
}

RegressionPrediction predict_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs,
                                        const predict::PredictOptions& options, double level, std::uint64_t seed,
                                        const at::Tensor& targets) {
  if (targets.defined() && targets.size(0) != raw_inputs.size(0)) {
    throw std::invalid_argument("predict_regression: " + std::to_string(targets.size(0)) + " targets for " +
                                std::to_string(raw_inputs.size(0)) + " rows");
  }
  auto generator = core::make_generator(seed);
  for (auto member : model.members) member->set_generator(generator);
  std::vector<predict::RegressionUncertainty> splits;
  std::vector<at::Tensor> log_densities;
  for_each_regression_chunk(model, raw_inputs, options, [&](const predict::PredictiveSamples& chunk, int64_t first_row) {
    splits.push_back(predict::split_uncertainty(chunk));
    if (targets.defined()) {
      log_densities.push_back(
          metrics::mixture_log_density(chunk.means, chunk.variances, targets.slice(0, first_row, first_row + chunk.means.size(1))));
    }
  });
  RegressionPrediction p;
  p.uncertainty = splits.empty() ? predict::split_uncertainty({at::zeros({1, 0}), at::zeros({1, 0})}) : predict::concatenate_rows(splits);
  p.interval = metrics::central_interval(p.uncertainty.mean, at::sqrt(p.uncertainty.total_variance), level);
  if (targets.defined()) p.log_density = log_densities.empty() ? at::zeros({0}, at::kDouble) : at::cat(log_densities, 0);
  return p;
}

RegressionPrediction predict_regression(const io::RegressionModel& model, const at::Tensor& raw_inputs, int64_t samples,
                                        double level, std::uint64_t seed, const at::Tensor& targets) {
  return predict_regression(model, raw_inputs, predict::PredictOptions().samples(samples), level, seed, targets);
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

namespace {

double negative_log_likelihood(const RegressionPrediction& p, const at::Tensor& targets) {
  if (!p.log_density.defined()) throw std::invalid_argument("regression_scores: the prediction was made without the targets");
  if (p.log_density.size(0) != targets.size(0)) throw std::invalid_argument("regression_scores: predictions and targets differ in length");
  if (targets.numel() == 0) throw std::invalid_argument("nll: no rows");
  return -p.log_density.mean().item<double>();
}

}  // namespace

nlohmann::json regression_scores(const RegressionPrediction& p, const at::Tensor& targets) {
  return {
      {"rmse", metrics::root_mean_squared_error(p.uncertainty.mean, targets)},
      {"nll", negative_log_likelihood(p, targets)},
      {"coverage", metrics::interval_coverage(p.interval, targets)},
      {"width", metrics::interval_mean_width(p.interval)},
  };
}

}  // namespace credence::workflow

// fit_forecast: periods, windows and the multi-target regression fit.
#include "credence/workflow/fit_forecast.h"

#include <stdexcept>

namespace credence::workflow {

std::vector<std::string> window_feature_names(const data::ForecastWindowOptions& windows) {
  std::vector<std::string> names;
  const std::string prefix = windows.difference ? "change_" : "lag_";
  for (int64_t k = windows.window - 1; k >= 0; --k) names.push_back(prefix + std::to_string(k));
  return names;
}

ForecastFit fit_forecast(const data::TimeSeries& series, const ForecastFitOptions& options) {
  const auto& settings = options.settings;
  const auto& w = settings.windows;
  if (options.regression.validation_fraction() > 0.0) {
    throw std::invalid_argument("fit_forecast: the validation period is ForecastFitOptions::validation_fraction");
  }
  if (settings.season < 0) throw std::invalid_argument("--season: expected a lag of at least 1 step (or 0 for none)");
  const auto y = series.values.to(at::kDouble);
  ForecastFit fit;
  fit.periods = data::split_in_time(y.size(0), options.validation_fraction, settings.test_fraction);
  // The windows' own checks first (a window longer than the series, a horizon of zero).
  data::check_window_options(y.size(0), w);
  auto training = data::windows_in_period(y, w, 0, fit.periods.train_end);
  const int64_t needed = data::first_origin(w) + w.horizon + 2;
  if (training.inputs.size(0) < 2) {
    throw std::invalid_argument("--window " + std::to_string(w.window) + " and --horizon " + std::to_string(w.horizon) +
                                ": the training period holds " + std::to_string(fit.periods.train_end) + " of the " +
                                std::to_string(y.size(0)) + " values, too few for two examples (at least " +
                                std::to_string(needed) + " needed)");
  }
  auto regression = options.regression;
  if (fit.periods.validation_end > fit.periods.train_end) {
    auto validation = data::windows_in_period(y, w, fit.periods.train_end, fit.periods.validation_end);
    if (validation.inputs.size(0) == 0) {
      throw std::invalid_argument("--validation-fraction: the validation period (" +
                                  std::to_string(fit.periods.validation_end - fit.periods.train_end) +
                                  " values) is shorter than the horizon " + std::to_string(w.horizon) + " and holds no example");
    }
    regression.validation_inputs(validation.inputs.to(at::kFloat)).validation_targets(validation.targets.to(at::kFloat));
    fit.validation_examples = validation.inputs.size(0);
  }
  fit.training_examples = training.inputs.size(0);
  auto fitted = fit_regression(training.inputs.to(at::kFloat), training.targets.to(at::kFloat), window_feature_names(w),
                               series.name, regression);
  fit.model.regression = std::move(fitted.model);
  fit.model.settings = settings;
  fit.histories = std::move(fitted.histories);
  fit.warnings = std::move(fitted.warnings);
  return fit;
}

}  // namespace credence::workflow

// Forecast prediction: origins, steps, scores against the naive baselines, the plot.
#include "credence/workflow/forecast_prediction.h"

#include "credence/core/gaussian.h"
#include "credence/core/tensor_values.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::workflow {

ForecastPrediction forecast_from_origins(const io::ForecastModel& model, const at::Tensor& series, int64_t first,
                                         int64_t last, const predict::PredictOptions& options, double level,
                                         std::uint64_t seed) {
  const auto windows = data::origin_windows(series, model.settings.windows, first, last);
  ForecastPrediction p;
  p.origins = windows.origins;
  p.forecast = predict_regression(model.regression, windows.inputs.to(at::kFloat), options, level, seed);
  if (p.origins.size(0) == 0) {
    // No rows: [0, H] summaries.
    const auto empty = at::zeros({0, model.settings.windows.horizon});
    p.forecast.uncertainty = {empty, empty, empty, empty};
    p.forecast.interval = {empty, empty};
    return p;
  }
  // One step: the regression's one target [N] as the step column [N, 1].
  auto& u = p.forecast.uncertainty;
  if (u.mean.dim() == 1) {
    u = {u.mean.unsqueeze(1), u.aleatoric_variance.unsqueeze(1), u.epistemic_variance.unsqueeze(1),
         u.total_variance.unsqueeze(1)};
    p.forecast.interval = {p.forecast.interval.lower.unsqueeze(1), p.forecast.interval.upper.unsqueeze(1)};
  }
  // Back to levels: the network forecasts the changes since the origin (or the values themselves).
  const auto levels = windows.levels.to(p.forecast.uncertainty.mean.scalar_type()).unsqueeze(1);
  p.forecast.uncertainty.mean = p.forecast.uncertainty.mean + levels;
  p.forecast.interval.lower = p.forecast.interval.lower + levels;
  p.forecast.interval.upper = p.forecast.interval.upper + levels;
  return p;
}

const std::vector<std::string>& forecast_prediction_columns() {
  static const std::vector<std::string> columns{"origin", "step", "mean", "std", "aleatoric_std", "epistemic_std", "lower", "upper"};
  return columns;
}

at::Tensor forecast_prediction_values(const ForecastPrediction& prediction) {
  const auto& u = prediction.forecast.uncertainty;
  const int64_t n = u.mean.size(0), steps = u.mean.size(1);
  const auto step = at::arange(1, steps + 1, u.mean.options()).expand({n, steps});
  auto columns = at::stack({step, u.mean, at::sqrt(u.total_variance), at::sqrt(u.aleatoric_variance),
                            at::sqrt(u.epistemic_variance), prediction.forecast.interval.lower, prediction.forecast.interval.upper},
                           2);
  return columns.reshape({n * steps, 7});
}

std::vector<std::string> forecast_origin_labels(const ForecastPrediction& prediction, const std::vector<std::string>& times) {
  std::vector<std::string> labels;
  const int64_t n = prediction.origins.size(0), steps = prediction.forecast.uncertainty.mean.size(1);
  for (int64_t i = 0; i < n; ++i) {
    const auto o = prediction.origins[i].item<int64_t>();
    const auto label = times.empty() ? std::to_string(o) : times.at(static_cast<size_t>(o));
    for (int64_t h = 0; h < steps; ++h) labels.push_back(label);
  }
  return labels;
}

namespace {

double rmse_of(const at::Tensor& forecast, const at::Tensor& target) {
  return std::sqrt((forecast.to(at::kDouble) - target.to(at::kDouble)).pow(2).mean().item<double>());
}

}  // namespace

std::vector<StepScores> score_test_period(const io::ForecastModel& model, const at::Tensor& series,
                                          const predict::PredictOptions& options, double level, std::uint64_t seed) {
  const auto y = series.to(at::kDouble);
  const int64_t length = y.size(0);
  const auto periods = data::split_in_time(length, 0.0, model.settings.test_fraction);
  if (periods.validation_end >= length) throw std::invalid_argument("the model's test fraction leaves no test period");
  const auto p = forecast_from_origins(model, y, periods.validation_end - 1, length - 2, options, level, seed);
  const auto& u = p.forecast.uncertainty;
  const int64_t season = model.settings.season;
  std::vector<StepScores> scores;
  for (int64_t h = 1; h <= model.settings.windows.horizon; ++h) {
    // The origins whose step-h target lies in the series (and so in the test period).
    const auto keep = (p.origins + h) < length;
    if (!keep.any().item<bool>()) break;
    const auto origins = p.origins.masked_select(keep);
    const auto column = [&](const at::Tensor& t) { return t.select(1, h - 1).masked_select(keep); };
    const auto target = y.index_select(0, origins + h);
    StepScores s;
    s.step = h;
    s.count = origins.size(0);
    s.rmse = rmse_of(column(u.mean), target);
    const metrics::Interval interval{column(p.forecast.interval.lower), column(p.forecast.interval.upper)};
    s.coverage = metrics::interval_coverage(interval, target.to(interval.lower.scalar_type()));
    s.width = metrics::interval_mean_width(interval);
    s.aleatoric_std = at::sqrt(column(u.aleatoric_variance)).mean().item<double>();
    s.epistemic_std = at::sqrt(column(u.epistemic_variance)).mean().item<double>();
    s.naive_last_rmse = rmse_of(y.index_select(0, origins), target);
    s.naive_season_rmse = std::numeric_limits<double>::quiet_NaN();
    if (season > 0) {
      const int64_t back = season * ((h + season - 1) / season);
      const auto source = origins + h - back;
      if ((source >= 0).all().item<bool>()) s.naive_season_rmse = rmse_of(y.index_select(0, source), target);
    }
    scores.push_back(s);
  }
  return scores;
}

nlohmann::json to_json(const std::vector<StepScores>& scores) {
  auto j = nlohmann::json::array();
  for (const auto& s : scores) {
    nlohmann::json row = {{"step", s.step},           {"count", s.count},
                          {"rmse", s.rmse},           {"coverage", s.coverage},
                          {"width", s.width},         {"aleatoric_std", s.aleatoric_std},
                          {"epistemic_std", s.epistemic_std}, {"naive_last_rmse", s.naive_last_rmse}};
    row["naive_season_rmse"] = std::isnan(s.naive_season_rmse) ? nlohmann::json(nullptr) : nlohmann::json(s.naive_season_rmse);
    j.push_back(row);
  }
  return j;
}

ForecastPrediction forecast_past_end(const io::ForecastModel& model, const at::Tensor& series, int64_t steps,
                                     const predict::PredictOptions& options, double level, std::uint64_t seed) {
  const int64_t horizon = model.settings.windows.horizon;
  if (steps < 1 || steps > horizon) {
    throw std::invalid_argument("--steps " + std::to_string(steps) + ": the model forecasts 1 to " + std::to_string(horizon) +
                                " steps (it was trained with --horizon " + std::to_string(horizon) + ")");
  }
  data::last_window(series, model.settings.windows);  // says how many values a forecast needs
  const int64_t length = series.size(0);
  auto p = forecast_from_origins(model, series, length - 1, length - 1, options, level, seed);
  auto first_steps = [&](const at::Tensor& t) { return t.slice(1, 0, steps); };
  auto& u = p.forecast.uncertainty;
  u = {first_steps(u.mean), first_steps(u.aleatoric_variance), first_steps(u.epistemic_variance), first_steps(u.total_variance)};
  p.forecast.interval = {first_steps(p.forecast.interval.lower), first_steps(p.forecast.interval.upper)};
  return p;
}

std::string forecast_plot_svg(const io::ForecastModel& model, const at::Tensor& series, const ForecastPrediction& forecast,
                              int64_t steps, double level) {
  const int64_t length = series.size(0);
  const int64_t shown = std::min<int64_t>(length, std::max<int64_t>(8 * steps, 120));
  std::vector<double> history_x, future_x;
  for (int64_t t = length - shown; t < length; ++t) history_x.push_back(static_cast<double>(t));
  // The bands start at the last known value, so that they join the history.
  future_x.push_back(static_cast<double>(length - 1));
  for (int64_t h = 1; h <= steps; ++h) future_x.push_back(static_cast<double>(length - 1 + h));
  const double last = series[length - 1].item<double>();
  const auto& u = forecast.forecast.uncertainty;
  auto joined = [&](const at::Tensor& row) {
    auto v = core::to_double_vector(row);
    v.insert(v.begin(), last);
    return v;
  };
  const double z = core::standard_normal_quantile(0.5 + 0.5 * level);
  const auto mean = u.mean[0], epistemic = at::sqrt(u.epistemic_variance[0]) * z;
  const auto level_text = std::to_string(static_cast<int>(std::lround(level * 100)));
  report::SvgPlot plot("Forecast of " + model.settings.series + ": " + std::to_string(steps) + " steps past the end",
                       model.settings.time_column.empty() ? "index in the series" : "index in the series (rows of " +
                                                                                        model.settings.time_column + ")",
                       model.settings.series);
  plot.add_band(future_x, joined(forecast.forecast.interval.lower[0]), joined(forecast.forecast.interval.upper[0]), "#4a90d9",
                0.25, level_text + "% interval (total)");
  plot.add_band(future_x, joined(mean - epistemic), joined(mean + epistemic), "#d9534f", 0.35,
                level_text + "% interval of the epistemic part");
  plot.add_line(history_x, core::to_double_vector(series.slice(0, length - shown)), "#333333", "history");
  plot.add_line(future_x, joined(mean), "#1f5fa8", "forecast mean");
  return plot.render();
}

}  // namespace credence::workflow

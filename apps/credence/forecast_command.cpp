// `credence forecast`: the steps past the end of a series, with the uncertainty split, and its plot.
#include "cli_support.h"
#include "commands.h"
#include "forecast_data.h"

#include "credence/data/atomic_file.h"
#include "credence/data/csv_table.h"
#include "credence/io/archive.h"
#include "credence/io/forecast_model.h"
#include "credence/workflow/finite_predictions.h"
#include "credence/workflow/forecast_prediction.h"

#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct ForecastArguments {
  std::string model, data, out, plot;
  int64_t steps = 0, samples = 100;
  double level = 0.95;
  std::uint64_t seed = 0;
  int threads = 0;
  int64_t memory_budget_mb = kDefaultMemoryBudgetMb;
};

void run_forecast(const ForecastArguments& a) {
  const std::vector<Input> inputs{{"--model", a.model}, {"--data", a.data}};
  check_output("--out", a.out, inputs, /*standard_output=*/true);
  if (!a.plot.empty()) {
    check_output("--plot", a.plot, inputs);
    require(!same_path(a.plot, a.out), "--plot", a.plot + " is also the file --out writes");
  }
  apply_threads(a.threads);
  require(a.samples > 0, "--samples", "expected a positive number of samples, got " + std::to_string(a.samples));
  require(a.level > 0.0 && a.level < 1.0, "--level", "expected a probability in (0, 1), got " + std::to_string(a.level));
  require(a.steps > 0, "--steps", "expected a positive number of steps, got " + std::to_string(a.steps));
  auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  require(kind == io::kForecastNetworkKind, "--model",
          a.model + " is a '" + kind + "' model; forecast needs one trained with --task forecast");
  const auto model = io::forecast_model_from_archive(archive);
  const auto series = read_model_series(a.data, model.settings);
  const auto options = predict::PredictOptions().samples(a.samples).memory_budget(memory_budget_bytes(a.memory_budget_mb));
  const auto forecast = workflow::forecast_past_end(model, series.values, a.steps, options, a.level, a.seed);
  const auto values = workflow::forecast_prediction_values(forecast);
  const auto& columns = workflow::forecast_prediction_columns();
  workflow::check_finite_predictions(values, {columns.begin() + 1, columns.end()}, a.data, false, "; nothing written");
  // Both outputs are made before either is written: no half of a result is left behind.
  const auto plot = a.plot.empty() ? std::string() : workflow::forecast_plot_svg(model, series.values, forecast, a.steps, a.level);
  data::write_csv(a.out, columns, values, workflow::forecast_origin_labels(forecast, series.times));
  if (!a.plot.empty()) data::write_file_atomically(a.plot, plot);
}

}  // namespace

void add_forecast_command(CLI::App& app) {
  auto args = std::make_shared<ForecastArguments>();
  auto* c = app.add_subcommand("forecast", "Forecast a series past its end with a model trained by train --task forecast");
  c->add_option("--model", args->model, "A forecaster written by train --task forecast")->required();
  c->add_option("--data", args->data, "The series (a CSV file with the model's value column, and its time column)")->required();
  c->add_option("--steps", args->steps, "Steps past the end (at most the model's --horizon)")->required();
  c->add_option("--out", args->out, "Where to write the forecast (CSV; - for standard output)")->required();
  c->add_option("--plot", args->plot, "Also draw the history, the forecast mean and the total and epistemic bands (SVG)");
  c->add_option("--samples", args->samples, "Monte Carlo samples")->capture_default_str();
  c->add_option("--level", args->level, "Probability of the central intervals")->capture_default_str();
  c->add_option("--seed", args->seed, "Seed of the Monte Carlo draws")->capture_default_str();
  add_memory_budget_option(c, args->memory_budget_mb);
  add_threads_option(c, args->threads);
  c->callback([args] { run_forecast(*args); });
}

}  // namespace credence::cli

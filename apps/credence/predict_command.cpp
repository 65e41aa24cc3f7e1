// `credence predict`: predictive distributions for the rows of a CSV file.
#include "classification_data.h"
#include "cli_support.h"
#include "commands.h"
#include "forecast_data.h"

#include "credence/io/archive.h"
#include "credence/io/classical_archive.h"
#include "credence/io/classification_model.h"
#include "credence/io/forecast_model.h"
#include "credence/io/regression_model.h"
#include "credence/workflow/classical_prediction.h"
#include "credence/workflow/classification_prediction.h"
#include "credence/workflow/finite_predictions.h"
#include "credence/workflow/prediction_progress.h"
#include "credence/workflow/regression_prediction.h"

#include <iostream>

#include <memory>

namespace credence::cli {

namespace {

struct PredictArguments {
  std::string model, data, out;
  int64_t samples = 100;
  double level = 0.95;
  std::uint64_t seed = 0;
  int threads = 0;
  int64_t memory_budget_mb = kDefaultMemoryBudgetMb;
  bool allow_nonfinite = false;
};

constexpr const char* kNonFiniteAdvice = "; nothing written (--allow-nonfinite writes them)";

// The table's values are checked before anything is written; with --allow-nonfinite one warning.
void check_finite(const at::Tensor& values, const std::vector<std::string>& columns, const PredictArguments& a) {
  const auto found = workflow::check_finite_predictions(values, columns, a.data, a.allow_nonfinite, kNonFiniteAdvice);
  if (found.count > 0) {
    std::cerr << "credence: warning: " << workflow::describe_nonfinite_rows(found, a.data) << " (written as nan or inf)\n";
  }
}

// Writes the predictions and returns their row count.
int64_t predict_to_file(const PredictArguments& a, const predict::PredictOptions& options) {
  auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  if (kind == io::kClassificationNetworkKind) {
    auto model = io::classification_model_from_archive(archive);
    auto data = read_data_for_model(model, a.data, false, "--data");
    const auto table = workflow::classification_table(model, workflow::predict_classes(model, data.inputs, options, a.seed));
    check_finite(table.values, {table.columns.begin() + 1, table.columns.end()}, a);
    data::write_csv(a.out, table.columns, table.values, table.classes);
    return table.values.size(0);
  }
  if (io::is_classical_kind(kind)) {
    auto result = workflow::classical_predict(archive, a.data, {a.level, a.samples, a.seed, options.memory_budget()});
    const auto first_value = result.leading_text.empty() ? result.columns.begin() : result.columns.begin() + 1;
    check_finite(result.values, {first_value, result.columns.end()}, a);
    data::write_csv(a.out, result.columns, result.values, result.leading_text);
    return result.values.size(0);
  }
  if (kind == io::kForecastNetworkKind) {
    // Every origin with a full window, every step of the horizon.
    auto model = io::forecast_model_from_archive(archive);
    const auto series = read_model_series(a.data, model.settings);
    const auto forecast =
        workflow::forecast_from_origins(model, series.values, 0, series.values.size(0) - 1, options, a.level, a.seed);
    const auto values = workflow::forecast_prediction_values(forecast);
    const auto& columns = workflow::forecast_prediction_columns();
    check_finite(values, {columns.begin() + 1, columns.end()}, a);
    data::write_csv(a.out, columns, values, workflow::forecast_origin_labels(forecast, series.times));
    return values.size(0);
  }
  auto table = data::read_csv(a.data);
  auto model = io::regression_model_from_archive(archive);
  auto predictions =
      workflow::predict_regression(model, workflow::model_inputs(table, model.feature_names), options, a.level, a.seed);
  const auto values = workflow::regression_prediction_values(predictions);
  check_finite(values, workflow::regression_prediction_columns(), a);
  data::write_csv(a.out, workflow::regression_prediction_columns(), values);
  return values.size(0);
}

void run_predict(const PredictArguments& a) {
  workflow::PredictionProgress progress(std::cerr, stderr_is_terminal());
  check_output("--out", a.out, {{"--model", a.model}, {"--data", a.data}}, /*standard_output=*/true);
  apply_threads(a.threads);
  require(a.samples > 0, "--samples", "expected a positive number of samples, got " + std::to_string(a.samples));
  require(a.level > 0.0 && a.level < 1.0, "--level", "expected a probability in (0, 1), got " + std::to_string(a.level));
  const auto options = predict::PredictOptions()
                           .samples(a.samples)
                           .memory_budget(memory_budget_bytes(a.memory_budget_mb))
                           .progress(progress.callback());
  const int64_t rows = predict_to_file(a, options);
  progress.finish(rows, a.samples, a.out);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArguments>();
  auto* c = app.add_subcommand("predict", "Predict with uncertainty for every row of a CSV file or IDX test set");
  c->add_option("--model", args->model, "A model file written by train or fit")->required();
  c->add_option("--data", args->data, "A CSV file with the model's feature columns (the target may be absent), or idx:DIR for a "
                 "classifier trained on images (DIR/t10k-images-idx3-ubyte.gz)")->required();
  c->add_option("--out", args->out, "Where to write the predictions (CSV; - for standard output)")->required();
  c->add_option("--samples", args->samples, "Monte Carlo samples per row")->capture_default_str();
  c->add_option("--level", args->level, "Probability of the central interval [lower, upper]")->capture_default_str();
  c->add_option("--seed", args->seed, "Seed of the Monte Carlo draws")->capture_default_str();
  add_memory_budget_option(c, args->memory_budget_mb);
  c->add_flag("--allow-nonfinite", args->allow_nonfinite,
              "Write predictions that are NaN or infinite (with a warning) instead of refusing them");
  add_threads_option(c, args->threads);
  c->callback([args] { run_predict(*args); });
}

}  // namespace credence::cli

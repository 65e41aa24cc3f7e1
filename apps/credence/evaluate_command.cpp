// `credence evaluate`: how good and how honest a model's predictions are on labelled data.
#include "classical_models.h"
#include "cli_support.h"
#include "commands.h"
#include "regression_predictions.h"

#include "credence/io/archive.h"
#include "credence/io/regression_model.h"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct EvaluateArguments {
  std::string model, data;
  int64_t samples = 100;
  double level = 0.95;
  std::uint64_t seed = 0;
  int threads = 0;
  bool json = false;
};

void print_report(const nlohmann::json& report, bool as_json) {
  if (as_json) {
    std::cout << report.dump() << "\n";
    return;
  }
  for (const auto& [key, value] : report.items()) {
    std::cout << std::left << std::setw(12) << key << " " << value.dump() << "\n";
  }
}

void run_evaluate(const EvaluateArguments& a) {
  apply_threads(a.threads);
  require(a.samples > 0, "--samples", "expected a positive number of samples, got " + std::to_string(a.samples));
  require(a.level > 0.0 && a.level < 1.0, "--level", "expected a probability in (0, 1), got " + std::to_string(a.level));
  auto archive = io::read_archive(a.model);
  auto table = data::read_csv(a.data);
  const auto kind = io::archive_kind(archive);
  if (is_classical_kind(kind)) {
    print_report(nlohmann::json::parse(classical_evaluate(archive, table, a.level)), a.json);
    return;
  }
  auto model = io::regression_model_from_archive(archive);
  table.column_index(model.target_name);
  auto target = table.select({model.target_name}).squeeze(1);
  auto p = predict_regression(model, table, a.samples, a.level, a.seed);
  nlohmann::json report = {
      {"rmse", metrics::root_mean_squared_error(p.uncertainty.mean, target)},
      {"nll", metrics::mixture_negative_log_likelihood(p.samples.means, p.samples.variances, target)},
      {"coverage", metrics::interval_coverage(p.interval, target)},
      {"width", metrics::interval_mean_width(p.interval)},
  };
  print_report(report, a.json);
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto args = std::make_shared<EvaluateArguments>();
  auto* c = app.add_subcommand("evaluate", "Score a model on labelled data: RMSE, NLL, interval coverage and width");
  c->add_option("--model", args->model, "A model file written by train or fit")->required();
  c->add_option("--data", args->data, "A CSV file with the feature and target columns")->required();
  c->add_option("--samples", args->samples, "Monte Carlo samples per row")->capture_default_str();
  c->add_option("--level", args->level, "Probability of the central interval")->capture_default_str();
  c->add_option("--seed", args->seed, "Seed of the Monte Carlo draws")->capture_default_str();
  c->add_flag("--json", args->json, "Print one JSON object");
  add_threads_option(c, args->threads);
  c->callback([args] { run_evaluate(*args); });
}

}  // namespace credence::cli

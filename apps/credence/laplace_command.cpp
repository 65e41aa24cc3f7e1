// `credence laplace`: fit a Laplace posterior post hoc on a trained deterministic model file
// (regression or classification) and write the model with it.
#include "classification_data.h"
#include "cli_support.h"
#include "commands.h"
#include "laplace_arguments.h"

#include "credence/data/csv_table.h"
#include "credence/io/archive.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"
#include "credence/workflow/fit_laplace.h"
#include "credence/workflow/regression_prediction.h"

#include <chrono>
#include <iostream>
#include <map>
#include <memory>

namespace credence::cli {

namespace {

struct LaplaceCommandArguments {
  std::string model, data, target, features, out;
  LaplaceArguments laplace;
  int threads = 0;
  bool quiet = false;
};

// The training rows' labels as the model's class indices (the data's own class list may differ).
at::Tensor labels_for_model(const io::ClassificationModel& model, const LabelledData& data) {
  std::map<std::string, int64_t> index;
  for (size_t k = 0; k < model.class_names.size(); ++k) index[model.class_names[k]] = static_cast<int64_t>(k);
  std::vector<int64_t> lookup;
  for (const auto& name : data.class_names) {
    const auto found = index.find(name);
    require(found != index.end(), "--data", data.description + " has the class '" + name + "' that the model does not know");
    lookup.push_back(found->second);
  }
  return at::tensor(lookup, at::kLong).index_select(0, data.labels);
}

void report(const LaplaceCommandArguments& a, const inference::LaplacePosterior& p, double seconds) {
  if (a.quiet) return;
  std::cerr << "fitted Laplace (" << inference::to_string(p.subset) << ", " << inference::to_string(p.hessian) << ", "
            << p.parameter_count << " weights, prior precision " << p.prior_precision
            << (p.prior_precision_fitted ? " by the marginal likelihood" : " given") << ", log evidence "
            << p.log_marginal_likelihood << ") on " << p.rows << " rows in " << seconds << " s; model written to " << a.out
            << "\n";
}

void run_laplace(const LaplaceCommandArguments& a) {
  check_output("--out", a.out, {{"--model", a.model}, {"--data", a.data}});
  apply_threads(a.threads);
  auto options = laplace_options(a.laplace);
  auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  require(kind == io::kRegressionNetworkKind || kind == io::kClassificationNetworkKind, "--model",
          a.model + " is a '" + kind + "' model; Laplace is fitted on a deterministic network");
  if (kind == io::kRegressionNetworkKind) {
    auto model = io::regression_model_from_archive(archive);
    workflow::check_laplace_base("--model " + a.model, model.method(), model.members.size());
    require(!is_idx_spec(a.data), "--data", "idx:DIR image folders are for classifiers");
    auto table = data::read_csv(a.data);
    table.column_index(model.target_name);
    auto targets = table.select({model.target_name}).squeeze(1);
    const auto start_fit = std::chrono::steady_clock::now();
    workflow::add_laplace(model, workflow::model_inputs(table, model.feature_names), targets, options);
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_fit).count();
    io::save_regression_model(a.out, model);
    report(a, *model.laplace, fit_seconds);
    return;
  }
  auto model = io::classification_model_from_archive(archive);
  workflow::check_laplace_base("--model " + a.model, model.method(), model.members.size());
  auto data = read_training_data(a.data, a.target.empty() ? model.target_name : a.target, a.features);
  require(data.inputs.size(1) == model.input.width(), "--data",
          data.description + " has " + std::to_string(data.inputs.size(1)) + " inputs per row; the model takes " +
              std::to_string(model.input.width()));
  auto labels = labels_for_model(model, data);
  const auto start_fit = std::chrono::steady_clock::now();
  workflow::add_laplace(model, data.inputs, labels, options);
  const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_fit).count();
  io::save_classification_model(a.out, model);
  report(a, *model.laplace, fit_seconds);
}

}  // namespace

void add_laplace_command(CLI::App& app) {
  auto args = std::make_shared<LaplaceCommandArguments>();
  auto* c = app.add_subcommand("laplace",
                               "Fit a Laplace posterior (GGN, linearised predictive) on a trained deterministic "
                               "network and save the model with it");
  c->add_option("--model", args->model, "A deterministic model file written by train")->required();
  c->add_option("--data", args->data, "The training data: a CSV file, or idx:DIR (train-* files) for classifiers")
      ->required();
  c->add_option("--target", args->target, "The target or label column (default: the model's)");
  c->add_option("--features", args->features, "Classifiers on CSV: feature columns (default: all but the target)");
  c->add_option("--out", args->out, "Where to write the model with its Laplace posterior")->required();
  add_laplace_options(c, args->laplace);
  add_threads_option(c, args->threads);
  c->add_flag("--quiet", args->quiet, "No summary line");
  c->callback([args] { run_laplace(*args); });
}

}  // namespace credence::cli

// `credence train`: fit a Bayesian (or MC-dropout, or deterministic) regression network on a CSV
// file, or a classifier (or an ensemble of them) on a CSV file or an IDX image folder.
#include "classification_data.h"
#include "cli_support.h"
#include "commands.h"

#include "credence/data/csv_table.h"
#include "credence/inference/kl_weighting.h"
#include "credence/io/regression_model.h"
#include "credence/io/classification_model.h"
#include "credence/predict/temperature_scaling.h"
#include "credence/workflow/fit_classification.h"
#include "credence/workflow/fit_regression.h"

#include <cmath>
#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct TrainArguments {
  std::string data, target, out, features, task = "regression";
  std::string method = "bbb", hidden = "50", activation = "relu";
  std::string prior = "gaussian", estimator = "local", likelihood, kl_weighting = "uniform", keep = "best";
  std::string lr_schedule = "constant";
  int64_t epochs = 100, batch_size = 32, samples = 10, patience = 0, members = 1, logit_samples = 10;
  double input_scale = 255.0;
  bool temperature_scaling = false;
  std::uint64_t seed = 0;
  double lr = 1e-3, weight_decay = 0.0, tau = 1.0, dropout = 0.05, input_dropout = 0.0, initial_sigma = 1e-2;
  double prior_sigma = 1.0, prior_pi = 0.5, prior_sigma1 = 1.0, prior_sigma2 = std::exp(-6.0);
  double validation_fraction = 0.0;
  int threads = 0;
  bool quiet = false, autograd = false;
};

std::vector<int64_t> parse_hidden(const std::string& text) { return parse_layer_sizes("--hidden", text); }

void check_common(const TrainArguments& a) {
  require(a.epochs > 0, "--epochs", "expected a positive number of epochs, got " + std::to_string(a.epochs));
  require(a.batch_size > 0, "--batch-size", "expected a positive batch size, got " + std::to_string(a.batch_size));
  require(a.samples > 0, "--samples", "expected a positive number of samples, got " + std::to_string(a.samples));
  require(a.lr > 0.0 && std::isfinite(a.lr), "--lr", "expected a positive learning rate");
  require(a.weight_decay >= 0.0, "--weight-decay", "expected a non-negative value");
  require(a.dropout >= 0.0 && a.dropout < 1.0, "--dropout", "expected a probability in [0, 1)");
  require(a.input_dropout >= 0.0 && a.input_dropout < 1.0, "--input-dropout", "expected a probability in [0, 1)");
  require(a.keep == "best" || a.keep == "last", "--keep", "expected best or last, got '" + a.keep + "'");
  require(a.initial_sigma > 0.0, "--initial-sigma", "expected a positive standard deviation");
  require(a.validation_fraction >= 0.0 && a.validation_fraction < 1.0, "--validation-fraction", "expected a value in [0, 1)");
  require(a.patience >= 0, "--patience", "expected a non-negative number of epochs");
  require(a.patience == 0 || a.validation_fraction > 0.0, "--patience", "early stopping needs --validation-fraction > 0");
}

core::PriorOptions prior_options(const TrainArguments& a) {
  auto prior = core::PriorOptions()
                   .kind(parse_choice("--prior", a.prior, core::prior_kind_from_string))
                   .sigma(a.prior_sigma)
                   .pi(a.prior_pi)
                   .sigma1(a.prior_sigma1)
                   .sigma2(a.prior_sigma2);
  try {
    core::validate(prior);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--prior: " + std::string(e.what()));
  }
  return prior;
}

inference::TrainOptions training_options(const TrainArguments& a) {
  return inference::TrainOptions()
      .epochs(a.epochs)
      .batch_size(a.batch_size)
      .learning_rate(a.lr)
      .learning_rate_schedule(parse_choice("--lr-schedule", a.lr_schedule, inference::learning_rate_schedule_from_string))
      .fused(!a.autograd)
      .weight_decay(a.weight_decay)
      .kl_weighting(parse_choice("--kl-weighting", a.kl_weighting, inference::kl_weighting_from_string))
      .patience(a.patience)
      .restore_best(a.keep == "best")
      .progress(a.quiet ? nullptr : &std::cerr);
}

void run_train_regression(const TrainArguments& a) {
  require(a.tau > 0.0 && std::isfinite(a.tau), "--tau", "expected a positive noise precision");
  if (a.target.empty()) throw std::invalid_argument("--target is required for regression (the target column's name)");
  require(!is_idx_spec(a.data), "--data", "idx:DIR image folders are for --task classification");
  require(a.members == 1, "--members", "ensembles are for --task classification (regression: --members 1)");
  workflow::RegressionFitOptions options;
  options.hidden(parse_hidden(a.hidden));
  options.activation(parse_choice("--activation", a.activation, nn::activation_from_string));
  options.method(parse_choice("--method", a.method, nn::method_from_string));
  options.prior(prior_options(a));
  options.estimator(parse_choice("--estimator", a.estimator, nn::estimator_from_string));
  options.initial_sigma(a.initial_sigma);
  options.dropout(a.dropout);
  options.noise(parse_choice("--likelihood", a.likelihood.empty() ? "homoscedastic" : a.likelihood,
                             inference::noise_model_from_string));
  options.noise_precision(a.tau);
  options.validation_fraction(a.validation_fraction);
  options.validation_samples(a.samples);
  options.seed(a.seed);
  options.training(training_options(a));
  auto table = data::read_csv(a.data);
  table.column_index(a.target);
  auto features = a.features.empty() ? table.columns_except(a.target) : split_list(a.features);
  require(!features.empty(), "--target", "the data has no feature columns besides the target '" + a.target + "'");
  for (const auto& f : features) {
    require(f != a.target, "--features", "the target '" + a.target + "' cannot also be a feature");
  }
  auto inputs = table.select(features);
  auto targets = table.select({a.target}).squeeze(1);

  auto fit = workflow::fit_regression(inputs, targets, features, a.target, options);
  io::save_regression_model(a.out, fit.model);
  if (!a.quiet) {
    std::cerr << "trained " << a.method << " on " << inputs.size(0) << " rows x " << inputs.size(1) << " features in "
              << fit.history.seconds << " s";
    if (fit.history.best_epoch > 0) std::cerr << " (kept epoch " << fit.history.best_epoch << ")";
    std::cerr << "; model written to " << a.out << "\n";
  }
}


// The method names an ensemble too: --method ensemble trains --members (default 5) deterministic networks.
void run_train_classification(const TrainArguments& a) {
  require(a.members >= 1, "--members", "expected at least one member, got " + std::to_string(a.members));
  require(a.logit_samples > 0, "--logit-samples", "expected a positive number of noise draws");
  require(a.input_scale > 0.0 && std::isfinite(a.input_scale), "--input-scale", "expected a positive constant");
  workflow::ClassificationFitOptions options;
  std::string method = a.method;
  int64_t members = a.members;
  if (method == "ensemble") {
    method = "deterministic";
    if (members == 1) members = 5;
  }
  options.hidden(parse_hidden(a.hidden));
  options.activation(parse_choice("--activation", a.activation, nn::activation_from_string));
  options.method(parse_choice("--method", method, nn::method_from_string));
  options.prior(prior_options(a));
  options.estimator(parse_choice("--estimator", a.estimator, nn::estimator_from_string));
  options.initial_sigma(a.initial_sigma);
  options.dropout(a.dropout);
  options.input_dropout(a.input_dropout);
  options.likelihood(parse_choice("--likelihood", a.likelihood.empty() ? "categorical" : a.likelihood,
                                  inference::class_likelihood_from_string));
  options.noise_samples(a.logit_samples);
  options.members(members);
  options.temperature_scaling(a.temperature_scaling);
  options.validation_fraction(a.validation_fraction);
  options.validation_samples(a.samples);
  options.seed(a.seed);
  options.training(training_options(a));
  auto data = read_training_data(a.data, a.target, a.features);
  options.input_scale(data.layout.kind == "image" ? a.input_scale : 0.0);
  auto fit = workflow::fit_classification(data.inputs, data.labels, data.layout, data.class_names, data.target_name,
                                          options);
  io::save_classification_model(a.out, fit.model);
  if (!a.quiet) {
    double seconds = 0.0;
    for (const auto& h : fit.histories) seconds += h.seconds;
    std::cerr << "trained " << fit.model.method() << " (" << members << (members == 1 ? " network" : " networks")
              << ") on " << data.inputs.size(0) << " rows x " << data.inputs.size(1) << " inputs, "
              << data.class_names.size() << " classes, in " << seconds << " s";
    if (a.temperature_scaling) {
      const auto& m = fit.model;
      const auto& t = fit.temperature;
      std::cerr << "; temperature " << m.head.temperature << " (validation NLL " << m.validation_nll_before_temperature
                << " -> " << m.validation_nll_after_temperature << ")";
      if (!t.kept) {
        std::cerr << "; the fitted temperature " << t.fitted_temperature << " lowered the validation NLL by only "
                  << t.improvement << " (standard error " << t.improvement_standard_error << ", fewer than "
                  << predict::kTemperatureEvidence << "), so it is not applied";
      }
    }
    std::cerr << "; model written to " << a.out << "\n";
  }
}

void run_train(const TrainArguments& a) {
  check_output("--out", a.out, {{"--data", a.data}});
  apply_threads(a.threads);
  check_common(a);
  if (a.task == "regression") {
    run_train_regression(a);
  } else if (a.task == "classification") {
    run_train_classification(a);
  } else {
    throw std::invalid_argument("--task: expected regression or classification, got '" + a.task + "'");
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArguments>();
  auto* c = app.add_subcommand("train", "Train a regression network or a classifier and save it");
  c->add_option("--task", args->task, "regression | classification")->capture_default_str();
  c->add_option("--data", args->data, "Training data: a CSV file with a header row, or idx:DIR (classification)")
      ->required();
  c->add_option("--target", args->target, "Name of the target (regression) or label (classification) column");
  c->add_option("--features", args->features, "Feature columns, comma-separated (default: all but the target)");
  c->add_option("--out", args->out, "Where to write the model file")->required();
  c->add_option("--method", args->method, "bbb | mcdropout | deterministic | ensemble (classification)")
      ->capture_default_str();
  c->add_option("--members", args->members, "Ensemble members, each trained from its own seed (classification)")
      ->capture_default_str();
  c->add_option("--hidden", args->hidden, "Hidden layer sizes, comma-separated")->capture_default_str();
  c->add_option("--activation", args->activation, "relu | tanh")->capture_default_str();
  c->add_option("--epochs", args->epochs, "Training epochs")->capture_default_str();
  c->add_option("--batch-size", args->batch_size, "Minibatch size")->capture_default_str();
  c->add_option("--lr", args->lr, "Adam learning rate")->capture_default_str();
  c->add_option("--lr-schedule", args->lr_schedule, "constant | cosine (annealed to zero over the epochs)")
      ->capture_default_str();
  c->add_flag("--autograd", args->autograd,
              "Train with LibTorch autograd even where the hand-written (fused) training step applies");
  c->add_option("--weight-decay", args->weight_decay, "L2 penalty (mcdropout, deterministic)")->capture_default_str();
  c->add_option("--prior", args->prior, "Weight prior (bbb): gaussian | mixture")->capture_default_str();
  c->add_option("--prior-sigma", args->prior_sigma, "Gaussian prior standard deviation")->capture_default_str();
  c->add_option("--prior-pi", args->prior_pi, "Mixture prior weight of the wide component")->capture_default_str();
  c->add_option("--prior-sigma1", args->prior_sigma1, "Mixture prior: wide standard deviation")->capture_default_str();
  c->add_option("--prior-sigma2", args->prior_sigma2, "Mixture prior: narrow standard deviation")->capture_default_str();
  c->add_option("--estimator", args->estimator, "Gradient estimator (bbb): local | reparam | flipout")->capture_default_str();
  c->add_option("--initial-sigma", args->initial_sigma, "Posterior standard deviation at initialisation (bbb)")->capture_default_str();
  c->add_option("--dropout", args->dropout, "Dropout probability (mcdropout)")->capture_default_str();
  c->add_option("--input-dropout", args->input_dropout, "Dropout on the inputs (mcdropout classification)")
      ->capture_default_str();
  c->add_option("--keep", args->keep, "With validation rows: best (epoch by validation NLL) | last")
      ->capture_default_str();
  c->add_option("--likelihood", args->likelihood,
                 "Regression: homoscedastic (default) | heteroscedastic | fixed; classification: categorical "
                 "(default) | noisy-logits");
  c->add_option("--logit-samples", args->logit_samples, "Noise draws per row for --likelihood noisy-logits")
      ->capture_default_str();
  c->add_option("--input-scale", args->input_scale, "Image pixels are divided by this (Blundell et al. use 126)")
      ->capture_default_str();
  c->add_flag("--temperature-scaling", args->temperature_scaling,
              "Fit a softmax temperature on the validation rows (classification, needs --validation-fraction)");
  c->add_option("--tau", args->tau, "Noise precision for --likelihood fixed, in target units^-2")->capture_default_str();
  c->add_option("--kl-weighting", args->kl_weighting, "uniform | blundell")->capture_default_str();
  c->add_option("--validation-fraction", args->validation_fraction, "Rows held out for early stopping")->capture_default_str();
  c->add_option("--patience", args->patience, "Stop after this many epochs without validation gain (0: never)")->capture_default_str();
  c->add_option("--samples", args->samples, "Monte Carlo samples for the validation NLL")->capture_default_str();
  c->add_option("--seed", args->seed, "Seed of the single generator behind every random draw")->capture_default_str();
  add_threads_option(c, args->threads);
  c->add_flag("--quiet", args->quiet, "No progress bar");
  c->callback([args] { run_train(*args); });
}

}  // namespace credence::cli

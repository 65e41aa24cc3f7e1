// `credence train`: fit a Bayesian (or MC-dropout, or deterministic) regression network on a CSV
// file, or a classifier (or an ensemble of them) on a CSV file or an IDX image folder.
#include "classification_data.h"
#include "forecast_data.h"
#include "cli_support.h"
#include "commands.h"
#include "distributed_arguments.h"
#include "laplace_arguments.h"
#include "network_arguments.h"

#include "credence/core/rng.h"
#include "credence/data/csv_table.h"
#include "credence/generative/autoencoder_training.h"
#include "credence/generative/gan_training.h"
#include "credence/generative/vae_training.h"
#include "credence/inference/kl_weighting.h"
#include "credence/io/adversarial_model.h"
#include "credence/io/archive.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"
#include "credence/io/autoencoder_model.h"
#include "credence/io/vae_model.h"
#include "credence/predict/temperature_scaling.h"
#include "credence/workflow/fit_classification.h"
#include "credence/workflow/fit_forecast.h"
#include "credence/workflow/fit_regression.h"

#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>
#include <tuple>

namespace credence::cli {

namespace {

struct TrainArguments {
  std::string data, target, out, features, task = "regression";
  NetworkArguments network;
  LaplaceArguments laplace;
  std::string likelihood, kl_weighting = "uniform", keep = "best";
  std::string lr_schedule = "constant";
  int64_t epochs = 100, batch_size = 32, samples = 10, patience = 0, logit_samples = 10;
  double input_scale = 255.0;
  bool temperature_scaling = false;
  std::uint64_t seed = 0;
  double lr = 1e-3, weight_decay = 0.0, tau = 1.0;
  double validation_fraction = 0.0;
  int threads = 0;
  bool quiet = false, autograd = false, bootstrap = false;
  // Sampled posteriors (--method hmc | sgld | psgld | sghmc | psghmc | svgd).
  int64_t chains = 4, warmup = 500, draws = 500, max_tree_depth = 10, stored_samples = 100, initial_steps = 500;
  double target_accept = 0.8;
  int64_t cycles = 10, epochs_per_cycle = 50, samples_per_cycle = 5, particles = 20;
  double exploration_fraction = 0.5, friction = 0.1, rms_decay = 0.99, rms_floor = 1e-5;
  int64_t swag_pretrain_epochs = 200, swag_epochs = 50, swag_rank = 20;
  bool lr_given = false, epochs_given = false, stored_samples_given = false;
  // Checkpoints (workflow/resumable_training.h).
  std::string checkpoint, resume;
  int64_t checkpoint_every = 1;
  // Forecasting (--task forecast).
  int64_t window = 0, horizon = 0, difference = 0, season = 0;
  std::string date_column, missing = "error";
  // Sequence classification: how an image is a sequence (rows: each row one step).
  std::string sequence;
  double test_fraction = 0.2;
  // Generative models (--task autoencoder | vae | gan | dcgan | infogan).
  int64_t latent = 50, importance_samples = 1;
  int64_t categorical = 10, continuous = 2;  // InfoGAN's codes
  double generator_lr = 0.0;                 // a GAN's generator (0: --lr; infogan: 1e-3)
  bool hidden_given = false, network_given = false, latent_given = false, batch_size_given = false;
  // Data-parallel training: the job this process is a rank of (null: alone).
  DistributedArguments distributed;
  std::shared_ptr<distributed::ProcessGroup> job;
  // Rank 0 (or a process alone) draws the progress, writes the model and checkpoints, and reports.
  bool writes() const { return !job || job->rank() == 0; }
};

workflow::CheckpointSettings checkpoint_settings(const TrainArguments& a) {
  require(a.checkpoint_every > 0, "--checkpoint-every",
          "expected a positive number of epochs, got " + std::to_string(a.checkpoint_every));
  workflow::CheckpointSettings settings;
  settings.path = a.checkpoint;
  settings.write = a.writes();
  settings.every = a.checkpoint_every;
  settings.resume = a.resume;
  return settings;
}

// The sampler settings of the command line on a fit's options (regression or classification).
template <typename Options>
void apply_sampler_arguments(const TrainArguments& a, Options& options) {
  auto nuts = inference::NutsOptions()
                  .warmup(a.warmup)
                  .draws(a.draws)
                  .max_tree_depth(a.max_tree_depth)
                  .target_accept(a.target_accept);
  options.hmc(inference::HmcOptions()
                  .chains(a.chains)
                  .nuts(nuts)
                  .stored_samples(a.stored_samples)
                  .initial_training_steps(a.initial_steps));
  auto sg = inference::SgMcmcOptions()
                .cycles(a.cycles)
                .epochs_per_cycle(a.epochs_per_cycle)
                .samples_per_cycle(a.samples_per_cycle)
                .batch_size(a.batch_size)
                .exploration_fraction(a.exploration_fraction)
                .friction(a.friction)
                .rms_decay(a.rms_decay)
                .rms_floor(a.rms_floor);
  if (a.lr_given) sg.learning_rate(a.lr);
  options.sg_mcmc(sg);
  auto svgd = inference::SvgdOptions().particles(a.particles).batch_size(a.batch_size);
  if (a.lr_given) svgd.learning_rate(a.lr);
  if (a.epochs_given) svgd.epochs(a.epochs);
  options.svgd(svgd);
  auto swag = inference::SwagOptions()
                  .pretrain_epochs(a.swag_pretrain_epochs)
                  .epochs(a.swag_epochs)
                  .rank(a.swag_rank)
                  .batch_size(a.batch_size);
  if (a.lr_given) swag.learning_rate(a.lr);
  if (a.stored_samples_given) swag.samples(a.stored_samples);
  options.swag(swag);
  options.log_density(inference::NetworkLogDensityOptions().prior_sigma(a.network.prior_sigma));
}

// A sampled posterior's diagnostics: all of them, or with --quiet only the warnings.
void print_posterior_report(const std::string& report, bool quiet) {
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) {
    if (!quiet || line.rfind("warning:", 0) == 0) std::cerr << line << "\n";
  }
}

void print_warnings(const std::string& warnings) {
  std::istringstream lines(warnings);
  for (std::string line; std::getline(lines, line);) std::cerr << "warning: " << line << "\n";
}

void check_common(const TrainArguments& a) {
  require(a.epochs > 0, "--epochs", "expected a positive number of epochs, got " + std::to_string(a.epochs));
  require(a.batch_size > 0, "--batch-size", "expected a positive batch size, got " + std::to_string(a.batch_size));
  require(a.samples > 0, "--samples", "expected a positive number of samples, got " + std::to_string(a.samples));
  require(a.lr > 0.0 && std::isfinite(a.lr), "--lr", "expected a positive learning rate");
  require(a.weight_decay >= 0.0, "--weight-decay", "expected a non-negative value");
  require(a.keep == "best" || a.keep == "last", "--keep", "expected best or last, got '" + a.keep + "'");
  require(a.validation_fraction >= 0.0 && a.validation_fraction < 1.0, "--validation-fraction", "expected a value in [0, 1)");
  require(a.patience >= 0, "--patience", "expected a non-negative number of epochs");
  require(a.patience == 0 || a.validation_fraction > 0.0, "--patience", "early stopping needs --validation-fraction > 0");
  require(!a.bootstrap || member_count(a.network) > 1, "--bootstrap",
          "bagging needs an ensemble (--method ensemble, or --members above 1)");
}

// The one deterministic network of a model file that --init-from names, for a `kind` model.
nn::Network initial_network(const std::string& path, const std::string& kind) {
  if (path.empty()) return nullptr;
  auto archive = io::read_archive(path);
  const auto found = io::archive_kind(archive);
  require(found == kind, "--init-from", path + " is a '" + found + "' model; this training needs a '" + kind + "'");
  auto members = kind == io::kRegressionNetworkKind ? io::regression_model_from_archive(archive).members
                                                    : io::classification_model_from_archive(archive).members;
  require(members.size() == 1, "--init-from",
          path + " is an ensemble of " + std::to_string(members.size()) + " networks; start from one deterministic network");
  require(members.front()->method() == "deterministic", "--init-from",
          path + " is a " + members.front()->method() + " network; MOPED starts from a deterministic one");
  return members.front();
}

// "; 2 ranks, gradient sums 0.8 s of 9.6 s (3.81 MB per step)" for a data-parallel job, else "".
template <typename Histories>
std::string job_summary(const TrainArguments& a, const Histories& histories) {
  if (!a.job) return "";
  double seconds = 0.0;
  int64_t steps = 0;
  for (const auto& h : histories) seconds += h.seconds, steps += h.steps;
  const auto t = a.job->traffic();
  std::ostringstream out;
  out.precision(3);
  out << "; " << a.job->size() << " ranks, gradient sums " << t.seconds << " s of " << seconds << " s";
  if (steps > 0 && t.bytes > 0) out << " (" << static_cast<double>(t.bytes) / static_cast<double>(steps) / 1e6 << " MB per step)";
  return out.str();
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
      .progress(a.quiet || !a.writes() ? nullptr : &std::cerr)
      .progress_as_lines(!stderr_is_terminal())
      .replicas(a.job);
}

// A network spec that does not fit the data or the task names --network in its message.
template <typename Fit>
auto fit_with_network_errors(const Fit& fit) -> decltype(fit()) {
  try {
    return fit();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    if (message.rfind("layers[", 0) == 0 || message.rfind("the network", 0) == 0) {
      throw std::invalid_argument("--network: " + message);
    }
    throw;
  }
}

void run_train_regression(const TrainArguments& a) {
  require(a.tau > 0.0 && std::isfinite(a.tau), "--tau", "expected a positive noise precision");
  if (a.target.empty()) throw std::invalid_argument("--target is required for regression (the target column's name)");
  require(!is_idx_spec(a.data), "--data", "idx:DIR image folders are for --task classification");
  workflow::RegressionFitOptions options;
  options.network(network_options(a.network));
  options.members(member_count(a.network));
  options.bootstrap(a.bootstrap);
  options.posterior(posterior_method(a.network));
  options.laplace(laplace_options(a.laplace));
  options.initial_network(initial_network(a.network.init_from, io::kRegressionNetworkKind));
  options.moped_delta(a.network.moped_delta);
  options.noise(parse_choice("--likelihood", a.likelihood.empty() ? "homoscedastic" : a.likelihood,
                             inference::noise_model_from_string));
  options.noise_precision(a.tau);
  options.validation_fraction(a.validation_fraction);
  options.validation_samples(a.samples);
  options.seed(a.seed);
  options.training(training_options(a));
  options.checkpoint(checkpoint_settings(a));
  apply_sampler_arguments(a, options);
  auto table = data::read_csv(a.data);
  table.column_index(a.target);
  auto features = a.features.empty() ? table.columns_except(a.target) : split_list(a.features);
  require(!features.empty(), "--target", "the data has no feature columns besides the target '" + a.target + "'");
  for (const auto& f : features) {
    require(f != a.target, "--features", "the target '" + a.target + "' cannot also be a feature");
  }
  auto inputs = table.select(features);
  auto targets = table.select({a.target}).squeeze(1);

  auto fit = fit_with_network_errors([&] { return workflow::fit_regression(inputs, targets, features, a.target, options); });
  if (!a.writes()) return;
  io::save_regression_model(a.out, fit.model);
  print_warnings(fit.warnings);
  print_posterior_report(fit.posterior_report, a.quiet);
  if (!a.quiet) {
    double seconds = 0.0;
    for (const auto& h : fit.histories) seconds += h.seconds;
    std::cerr << "trained " << fit.model.method() << " (" << fit.model.members.size()
              << (fit.model.members.size() == 1 ? " network" : " networks") << ") on " << inputs.size(0) << " rows x "
              << inputs.size(1) << " features in " << seconds << " s";
    if (fit.histories.size() == 1 && fit.histories.front().best_epoch > 0) {
      std::cerr << " (kept epoch " << fit.histories.front().best_epoch << ")";
    }
    std::cerr << job_summary(a, fit.histories) << "; model written to " << a.out << "\n";
  }
}

// A direct multi-step forecaster of --target's column, on the windows of the training period.
void run_train_forecast(const TrainArguments& a) {
  if (a.target.empty()) throw std::invalid_argument("--target is required for forecasting (the series' column)");
  require(!is_idx_spec(a.data), "--data", "idx:DIR image folders are for --task classification");
  require(a.window > 0, "--window", "expected a positive number of past values per forecast (e.g. --window 24)");
  require(a.horizon > 0, "--horizon", "expected a positive number of steps to forecast (e.g. --horizon 12)");
  require(a.difference == 0 || a.difference == 1, "--difference", "expected 0 (levels) or 1 (changes)");
  require(a.season >= 0, "--season", "expected a lag of at least 1 step, or 0 for no seasonal baseline");
  require(a.test_fraction > 0.0 && a.test_fraction < 1.0, "--test-fraction", "expected a fraction in (0, 1)");
  require(a.validation_fraction >= 0.0 && a.validation_fraction < 1.0, "--validation-fraction", "expected a fraction in [0, 1)");
  workflow::ForecastFitOptions options;
  auto& settings = options.settings;
  settings.series = a.target;
  settings.time_column = a.date_column;
  settings.missing = parse_choice("--missing", a.missing, data::missing_values_from_string);
  settings.windows = {a.window, a.horizon, a.difference};
  settings.test_fraction = a.test_fraction;
  settings.season = a.season;
  options.validation_fraction = a.validation_fraction;
  auto& r = options.regression;
  r.network(network_options(a.network));
  r.members(member_count(a.network));
  r.bootstrap(a.bootstrap);
  r.posterior(posterior_method(a.network));
  r.noise(parse_choice("--likelihood", a.likelihood.empty() ? "heteroscedastic" : a.likelihood, inference::noise_model_from_string));
  r.validation_samples(a.samples);
  r.seed(a.seed);
  r.training(training_options(a));
  r.checkpoint(checkpoint_settings(a));
  const auto table = data::read_csv(a.data);
  const auto series = data::read_time_series(table, a.target, a.date_column, settings.missing);
  auto fit = fit_with_network_errors([&] { return workflow::fit_forecast(series, options); });
  if (!a.writes()) return;
  io::save_forecast_model(a.out, fit.model);
  print_warnings(fit.warnings);
  if (!a.quiet) {
    double seconds = 0.0;
    for (const auto& h : fit.histories) seconds += h.seconds;
    std::cerr << "trained " << fit.model.regression.method() << " forecaster of '" << a.target << "' (" << series.values.size(0)
              << " values";
    if (series.interpolated > 0) std::cerr << ", " << series.interpolated << " interpolated";
    if (series.dropped > 0) std::cerr << ", " << series.dropped << " rows dropped";
    std::cerr << "; training period " << fit.periods.train_end << " values, " << fit.training_examples << " windows of "
              << a.window << " -> " << a.horizon << " steps";
    if (fit.validation_examples > 0) std::cerr << "; validation " << fit.validation_examples << " windows";
    std::cerr << ") in " << seconds << " s" << job_summary(a, fit.histories) << "; model written to " << a.out << "\n";
    const auto scores = workflow::score_test_period(fit.model, series.values, predict::PredictOptions().samples(100), 0.95, a.seed);
    print_forecast_scores(std::cerr, scores, 0.95);
  }
}

// The method names an ensemble too: --method ensemble trains --members (default 5) deterministic networks.
void run_train_classification(const TrainArguments& a) {
  require(a.logit_samples > 0, "--logit-samples", "expected a positive number of noise draws");
  require(a.input_scale > 0.0 && std::isfinite(a.input_scale), "--input-scale", "expected a positive constant");
  workflow::ClassificationFitOptions options;
  const int64_t members = member_count(a.network);
  options.network(network_options(a.network));
  options.initial_network(initial_network(a.network.init_from, io::kClassificationNetworkKind));
  options.moped_delta(a.network.moped_delta);
  options.likelihood(parse_choice("--likelihood", a.likelihood.empty() ? "categorical" : a.likelihood,
                                  inference::class_likelihood_from_string));
  options.noise_samples(a.logit_samples);
  options.members(members);
  options.bootstrap(a.bootstrap);
  options.posterior(posterior_method(a.network));
  options.laplace(laplace_options(a.laplace));
  options.temperature_scaling(a.temperature_scaling);
  options.validation_fraction(a.validation_fraction);
  options.validation_samples(a.samples);
  options.seed(a.seed);
  options.training(training_options(a));
  options.checkpoint(checkpoint_settings(a));
  apply_sampler_arguments(a, options);
  if (!a.sequence.empty()) {
    require(a.sequence == "rows", "--sequence", "expected rows (each image row one step), got '" + a.sequence + "'");
    require(is_idx_spec(a.data), "--sequence", "rows of images need an idx:DIR image folder");
  }
  auto data = read_training_data(a.data, a.target, a.features);
  options.input_scale(data.layout.kind == "image" ? a.input_scale : 0.0);
  auto fit = fit_with_network_errors([&] {
    return workflow::fit_classification(data.inputs, data.labels, data.layout, data.class_names, data.target_name, options);
  });
  if (!a.writes()) return;
  io::save_classification_model(a.out, fit.model);
  print_warnings(fit.warnings);
  print_posterior_report(fit.posterior_report, a.quiet);
  if (!a.quiet) {
    double seconds = 0.0;
    for (const auto& h : fit.histories) seconds += h.seconds;
    const auto networks = fit.model.members.size();  // a sampled posterior's stored draws, or the members
    std::cerr << "trained " << fit.model.method() << " (" << networks << (networks == 1 ? " network" : " networks")
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
    std::cerr << job_summary(a, fit.histories) << "; model written to " << a.out << "\n";
  }
}

// build(), its errors naming --network and the spec file when the networks came from one (the
// file's reader names the file itself: name_file false).
template <typename Build>
auto from_network_file(const TrainArguments& a, const Build& build, bool name_file) {
  try {
    return build();
  } catch (const std::invalid_argument& e) {
    if (!a.network_given) throw;
    throw std::invalid_argument("--network: " + (name_file ? a.network.network + ": " : std::string()) + e.what());
  }
}

bool is_adversarial_task(const std::string& task) { return task == "gan" || task == "dcgan" || task == "infogan"; }

// A GAN, DCGAN or InfoGAN of idx:DIR images (pixels / 255 against the generator's sigmoid):
// --latent noise values (100, InfoGAN 62 as Chen et al.'s MNIST model) and for InfoGAN one
// --categorical code and --continuous codes; Adam at --lr (2e-4 unless given; the generator at
// --generator-lr, InfoGAN's 1e-3 unless given), beta1 0.5, minibatches of 64 unless given.
void run_train_gan(const TrainArguments& a) {
  require(is_idx_spec(a.data), "--data", "--task " + a.task + " trains on images: expected idx:DIR");
  const auto variant = generative::gan_variant_from_string(a.task);
  generative::LatentLayout layout;
  layout.noise = a.latent_given ? a.latent : (variant == generative::GanVariant::infogan ? 62 : 100);
  require(layout.noise >= 1, "--latent", "expected at least 1 noise value, got " + std::to_string(layout.noise));
  if (variant == generative::GanVariant::infogan) {
    require(a.categorical == 0 || a.categorical >= 2, "--categorical",
            "expected 0 (none) or a code of at least 2 values, got " + std::to_string(a.categorical));
    require(a.continuous >= 0, "--continuous", "expected 0 or more continuous codes, got " + std::to_string(a.continuous));
    require(a.categorical > 0 || a.continuous > 0, "--categorical", "an InfoGAN needs at least one code");
    if (a.categorical > 0) layout.categorical = {a.categorical};
    layout.continuous = a.continuous;
  }
  const auto images = read_images(a.data, "train", {}, "--data");
  const nn::Shape shape(images.sizes().begin() + 1, images.sizes().end());
  nn::NetworkSpec generator_spec, discriminator_spec;
  c10::optional<nn::NetworkSpec> q_spec;
  const auto from_file = [&](const auto& build, bool name_file = true) { return from_network_file(a, build, name_file); };
  if (a.network_given) {
    require(!a.hidden_given, "--hidden", "sizes the default networks; a --network spec file gives its own");
    auto specs = from_file([&] { return generative::read_adversarial_specs(a.network.network, shape, layout); }, false);
    generator_spec = specs.generator;
    discriminator_spec = specs.discriminator;
    q_spec = specs.q;
  } else if (variant == generative::GanVariant::gan) {
    std::tie(generator_spec, discriminator_spec) = generative::dense_gan_specs(shape, layout.size());
  } else if (variant == generative::GanVariant::dcgan) {
    std::tie(generator_spec, discriminator_spec) = generative::dcgan_specs(shape, layout.size());
  } else {
    nn::NetworkSpec q;
    std::tie(generator_spec, discriminator_spec, q) = generative::infogan_specs(shape, layout);
    q_spec = q;
  }
  auto generator = core::make_generator(a.seed);
  const auto seeded = [&](const nn::NetworkSpec& spec) {
    auto net = nn::Network(spec);
    net->set_generator(generator);
    net->reset_parameters();
    return net;
  };
  auto generator_net = from_file([&] { return seeded(generator_spec); });
  auto discriminator_net = from_file([&] { return seeded(discriminator_spec); });
  c10::optional<nn::Network> q_head;
  if (q_spec) q_head = from_file([&] { return seeded(*q_spec); });
  generative::GanTrainOptions options;
  options.epochs = a.epochs;
  options.batch_size = a.batch_size_given ? a.batch_size : 64;
  options.learning_rate = a.lr_given ? a.lr : 2e-4;
  require(a.generator_lr >= 0.0, "--generator-lr", "expected a positive learning rate");
  options.generator_learning_rate =
      a.generator_lr > 0.0 ? a.generator_lr : (variant == generative::GanVariant::infogan ? 1e-3 : options.learning_rate);
  options.progress = a.quiet ? nullptr : &std::cerr;
  io::AdversarialModel model{
      from_file([&] { return generative::AdversarialNetwork(generator_net, discriminator_net, q_head, layout, shape, variant); }),
      nlohmann::json{{"epochs", options.epochs}, {"batch_size", options.batch_size}, {"learning_rate", options.learning_rate},
                     {"generator_learning_rate", options.generator_learning_rate},
                     {"beta1", options.beta1}, {"beta2", options.beta2}, {"categorical_weight", options.categorical_weight},
                     {"continuous_weight", options.continuous_weight}, {"seed", a.seed}}};
  const auto history = generative::train_gan(model.gan, images, options, generator);
  io::save_adversarial_model(a.out, model);
  if (!a.quiet) {
    std::cerr << "trained a " << a.task << " (latent " << layout.size() << ") on " << images.size(0) << " images in "
              << history.seconds << " s; last epoch's discriminator loss " << history.discriminator_loss.back()
              << ", generator loss " << history.generator_loss.back() << "; model written to " << a.out << "\n";
  }
}

// An auto-encoder or a VAE of idx:DIR images (pixels / 255, dynamically binarised): Burda et al.'s
// dense architecture with --hidden tanh layers each side (200,200 unless given), or the encoder and
// the decoder of a --network spec file.
void run_train_image_model(const TrainArguments& a) {
  const bool vae = a.task == "vae";
  require(is_idx_spec(a.data), "--data", "--task " + a.task + " trains on images: expected idx:DIR");
  require(a.latent >= 1, "--latent", "expected at least 1 latent unit, got " + std::to_string(a.latent));
  require(a.importance_samples >= 1, "--importance-samples", "expected at least 1, got " + std::to_string(a.importance_samples));
  require(vae || a.importance_samples == 1, "--importance-samples", "is for --task vae (the importance-weighted bound)");
  const auto images = read_images(a.data, "train", {}, "--data");
  const nn::Shape shape(images.sizes().begin() + 1, images.sizes().end());
  const auto likelihood = generative::DecoderLikelihood::bernoulli;
  const int64_t encoder_outputs = vae ? 2 * a.latent : a.latent;
  const auto wrap = [&](const auto& build, bool name_file = true) { return from_network_file(a, build, name_file); };
  std::pair<nn::NetworkSpec, nn::NetworkSpec> specs;
  if (a.network_given) {
    require(!a.hidden_given, "--hidden", "sizes the default networks; a --network spec file gives its own");
    specs = wrap([&] { return generative::read_encoder_decoder_specs(a.network.network, shape, a.latent, encoder_outputs, likelihood); },
                 false);
  } else {
    const auto hidden = a.hidden_given ? parse_hidden(a.network.hidden) : std::vector<int64_t>{200, 200};
    specs = vae ? generative::dense_vae_specs(shape, a.latent, hidden, likelihood)
                : generative::dense_autoencoder_specs(shape, a.latent, hidden, likelihood);
  }
  auto generator = core::make_generator(a.seed);
  auto encoder = wrap([&] { return nn::Network(specs.first); });
  auto decoder = wrap([&] { return nn::Network(specs.second); });
  for (auto* net : {&encoder, &decoder}) {
    (*net)->set_generator(generator);
    (*net)->reset_parameters();
  }
  const nlohmann::json training{{"epochs", a.epochs},         {"batch_size", a.batch_size},
                                {"learning_rate", a.lr},      {"lr_schedule", a.lr_schedule},
                                {"importance_samples", a.importance_samples}, {"binarisation", "dynamic"},
                                {"seed", a.seed}};
  generative::VaeTrainOptions options;
  options.epochs = a.epochs;
  options.batch_size = a.batch_size;
  options.learning_rate = a.lr;
  options.schedule = inference::learning_rate_schedule_from_string(a.lr_schedule);
  options.importance_samples = a.importance_samples;
  options.dynamic_binarisation = true;
  options.progress = a.quiet ? nullptr : &std::cerr;
  generative::BoundTrainingHistory history;
  if (vae) {
    io::VaeModel model{wrap([&] { return generative::VariationalAutoencoder(encoder, decoder, a.latent, shape, likelihood); }),
                       training};
    history = generative::train_vae(model.vae, images, options, generator);
    io::save_vae_model(a.out, model);
  } else {
    io::AutoencoderModel model{wrap([&] { return generative::Autoencoder(encoder, decoder, a.latent, shape, likelihood); }),
                               training};
    history = generative::train_autoencoder(model.autoencoder, images, options, generator);
    io::save_autoencoder_model(a.out, model);
  }
  if (!a.quiet) {
    std::cerr << "trained " << (vae ? "a VAE (" : "an auto-encoder (") << a.latent << (vae ? " latent units" : " code units")
              << ") on " << images.size(0) << " images in " << history.seconds << " s; last epoch's "
              << (!vae ? "reconstruction log-likelihood " : a.importance_samples == 1 ? "ELBO " : "importance-weighted bound ")
              << history.bound.back() << " nats";
    if (!history.kl.empty()) std::cerr << " (KL " << history.kl.back() << ")";
    std::cerr << "; model written to " << a.out << "\n";
  }
}

// The methods a data-parallel job trains: those of the minibatch trainer.
void check_data_parallel_method(const TrainArguments& a) {
  require(a.task != "vae" && a.task != "autoencoder" && !is_adversarial_task(a.task), "--nproc",
          "--task " + a.task + " trains in one process");
  const auto method = posterior_method(a.network);
  require(method.empty(), "--method",
          "data-parallel training (--nproc, torchrun) covers bbb, mcdropout, deterministic and ensemble; '" + method +
              "' trains in one process");
}

void run_train(TrainArguments& a) {
  const std::vector<Input> inputs{
      {"--data", a.data}, {"--network", a.network.network}, {"--init-from", a.network.init_from}, {"--resume", a.resume}};
  check_output("--out", a.out, inputs);
  if (!a.checkpoint.empty()) {
    check_output("--checkpoint", a.checkpoint, {inputs[0], inputs[1], inputs[2]});
    require(!same_path(a.checkpoint, a.out), "--checkpoint", a.checkpoint + " is also the model file --out writes");
  }
  if (!a.resume.empty()) {
    require(!same_path(a.resume, a.out), "--resume", a.resume + " is also the model file --out writes");
  }
  apply_threads(a.threads);
  check_common(a);
  const bool forecast_options = a.window != 0 || a.horizon != 0 || a.difference != 0 || a.season != 0 || !a.date_column.empty();
  require(a.task == "forecast" || !forecast_options, "--task",
          "--window, --horizon, --difference, --season and --date-column are for --task forecast");
  if (a.distributed.nproc != -1 || distributed::launch_settings_from_environment()) check_data_parallel_method(a);
  a.job = join_job(a.distributed);
  apply_rank_threads(a.job.get(), a.threads);
  if (a.task == "regression") {
    run_train_regression(a);
  } else if (a.task == "classification") {
    run_train_classification(a);
  } else if (a.task == "forecast") {
    run_train_forecast(a);
  } else if (a.task == "vae" || a.task == "autoencoder") {
    run_train_image_model(a);
  } else if (is_adversarial_task(a.task)) {
    run_train_gan(a);
  } else {
    throw std::invalid_argument(
        "--task: expected regression, classification, forecast, autoencoder, vae, gan, dcgan or infogan, got '" + a.task + "'");
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArguments>();
  auto* c = app.add_subcommand("train", "Train a regression network or a classifier and save it");
  c->add_option("--task", args->task, "regression | classification | forecast | autoencoder | vae | gan | dcgan | infogan")
      ->capture_default_str();
  c->add_option("--data", args->data, "Training data: a CSV file with a header row, or idx:DIR (classification)")
      ->required();
  c->add_option("--target", args->target, "Name of the target (regression) or label (classification) column");
  c->add_option("--features", args->features, "Feature columns, comma-separated (default: all but the target)");
  c->add_option("--out", args->out, "Where to write the model file")->required();
  add_network_options(c, args->network, /*ensembles=*/true);
  c->add_flag("--bootstrap", args->bootstrap,
              "Ensembles: each member trains on a bootstrap resample of the training rows (bagging)");
  add_laplace_options(c, args->laplace);
  c->add_option("--epochs", args->epochs, "Training epochs (svgd: default 500)")->capture_default_str();
  c->add_option("--batch-size", args->batch_size, "Minibatch size (gan, dcgan, infogan: 64 unless given)")->capture_default_str();
  c->add_option("--lr", args->lr,
                "Adam learning rate (gan, dcgan, infogan: 2e-4 unless given, beta1 0.5; sgld, sghmc: the cycles' peak step per "
                "mean row, default 0.05; psgld, psghmc: the peak RMSprop step, default 3e-3 (psgld) and 1e-2 (psghmc); swag: its SGD step, 0.05; svgd: its Adam step, "
                "default 0.01)")->capture_default_str();
  c->add_option("--lr-schedule", args->lr_schedule, "constant | cosine (annealed to zero over the epochs)")
      ->capture_default_str();
  c->add_flag("--autograd", args->autograd,
              "Train with LibTorch autograd even where the hand-written (fused) training step applies");
  c->add_option("--weight-decay", args->weight_decay, "L2 penalty (mcdropout, deterministic)")->capture_default_str();
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
  const std::string sampling = "Sampled posteriors (--method hmc | sgld | psgld | sghmc | psghmc | svgd | swag; --prior-sigma is the weight prior)";
  c->add_option("--chains", args->chains, "hmc: NUTS chains")->capture_default_str()->group(sampling);
  c->add_option("--warmup", args->warmup, "hmc: warm-up iterations per chain (step size and mass matrix adaptation)")
      ->capture_default_str()->group(sampling);
  c->add_option("--draws", args->draws, "hmc: draws per chain after warm-up")->capture_default_str()->group(sampling);
  c->add_option("--max-tree-depth", args->max_tree_depth, "hmc: at most 2^depth - 1 leapfrog steps per transition")
      ->capture_default_str()->group(sampling);
  c->add_option("--target-accept", args->target_accept, "hmc: the step size's target acceptance statistic")
      ->capture_default_str()->group(sampling);
  c->add_option("--initial-steps", args->initial_steps,
                "hmc: full-batch Adam steps (lr 0.01) that start each chain from its seed's network (0: from the initialisation)")
      ->capture_default_str()->group(sampling);
  c->add_option("--stored-samples", args->stored_samples,
                "hmc: draws kept in the model file (evenly thinned); swag: draws of its Gaussian kept (default 30)")
      ->capture_default_str()->group(sampling);
  c->add_option("--swag-pretrain-epochs", args->swag_pretrain_epochs,
                "swag: SGD epochs before the first snapshot (the step annealed from --lr to half of it)")
      ->capture_default_str()->group(sampling);
  c->add_option("--swag-epochs", args->swag_epochs, "swag: epochs at half the --lr step, one snapshot after each")
      ->capture_default_str()->group(sampling);
  c->add_option("--swag-rank", args->swag_rank, "swag: deviations kept for the low-rank covariance (Maddox et al.: 20)")
      ->capture_default_str()->group(sampling);
  c->add_option("--cycles", args->cycles, "sgld, psgld, sghmc, psghmc: step-size cycles (cosine, Zhang et al. 2020)")
      ->capture_default_str()->group(sampling);
  c->add_option("--epochs-per-cycle", args->epochs_per_cycle, "sgld, psgld, sghmc, psghmc: epochs in one cycle")
      ->capture_default_str()->group(sampling);
  c->add_option("--exploration-fraction", args->exploration_fraction,
                "sgld, psgld, sghmc, psghmc: the first part of each cycle that optimises without noise")
      ->capture_default_str()->group(sampling);
  c->add_option("--samples-per-cycle", args->samples_per_cycle, "sgld, psgld, sghmc, psghmc: samples from each cycle's last epochs")
      ->capture_default_str()->group(sampling);
  c->add_option("--friction", args->friction, "sghmc, psghmc: friction (1 - momentum)")->capture_default_str()->group(sampling);
  c->add_option("--rms-decay", args->rms_decay, "psgld, psghmc: decay of the running mean of squared gradients (Li et al. 2016)")
      ->capture_default_str()->group(sampling);
  c->add_option("--rms-floor", args->rms_floor, "psgld, psghmc: floor added to the root mean square in the preconditioner")
      ->capture_default_str()->group(sampling);
  c->add_option("--particles", args->particles, "svgd: particles (networks)")->capture_default_str()->group(sampling);
  const std::string checkpoints = "Checkpoints (bbb, mcdropout, deterministic, ensembles)";
  c->add_option("--checkpoint", args->checkpoint,
                "Write a checkpoint to this file every --checkpoint-every epochs (replaced atomically)")
      ->group(checkpoints);
  c->add_option("--checkpoint-every", args->checkpoint_every, "Epochs between two checkpoints")
      ->capture_default_str()->group(checkpoints);
  c->add_option("--resume", args->resume,
                "Continue the training of this checkpoint (same data and options; checkpoints go on to it, or to "
                "--checkpoint)")
      ->group(checkpoints);
  c->add_option("--sequence", args->sequence,
                "rows: read each image as a sequence of its rows (the reading of --network lstm and gru on images)");
  const std::string forecasting = "Forecasting (--task forecast; --target names the series' column)";
  c->add_option("--window", args->window, "Past values (or changes) each forecast sees")->group(forecasting);
  c->add_option("--horizon", args->horizon, "Steps forecast at once from each origin")->group(forecasting);
  c->add_option("--difference", args->difference,
                "1: model the changes (a trending series forecast beyond its training range); 0: the values")
      ->capture_default_str()->group(forecasting);
  c->add_option("--date-column", args->date_column, "A time column that must increase (numbers, or ISO dates as text)")
      ->group(forecasting);
  c->add_option("--missing", args->missing,
                "Empty cells of the series: error | interpolate (inner gaps linearly; leading and trailing ones dropped) | "
                "drop")
      ->capture_default_str()->group(forecasting);
  c->add_option("--season", args->season, "The seasonal naive baseline's lag in steps (0: none)")
      ->capture_default_str()->group(forecasting);
  c->add_option("--test-fraction", args->test_fraction, "The last part of the series held out as the test period")
      ->capture_default_str()->group(forecasting);
  const std::string generative =
      "Generative models (--task autoencoder | vae | gan | dcgan | infogan, idx:DIR images; autoencoder, vae: --network "
      "a file {\"encoder\": SPEC, \"decoder\": SPEC}; gan, dcgan, infogan: {\"generator\": SPEC, \"discriminator\": SPEC, "
      "\"q\": SPEC (infogan)})";
  c->add_option("--latent", args->latent,
                "Latent units of the VAE, code units of the auto-encoder (default 50); noise values of a GAN (100, infogan 62)")
      ->group(generative);
  c->add_option("--categorical", args->categorical, "infogan: values of the categorical code (0: none)")
      ->capture_default_str()
      ->group(generative);
  c->add_option("--generator-lr", args->generator_lr,
                "gan, dcgan, infogan: the generator's Adam learning rate (default: --lr's; infogan: 1e-3, Chen et al.'s)")
      ->group(generative);
  c->add_option("--continuous", args->continuous, "infogan: continuous codes, uniform in [-1, 1]")
      ->capture_default_str()
      ->group(generative);
  c->add_option("--importance-samples", args->importance_samples,
                "1: train on the ELBO; K > 1: on the importance-weighted bound with K samples (IWAE)")
      ->capture_default_str()
      ->group(generative);
  add_distributed_options(c, args->distributed);
  add_threads_option(c, args->threads);
  c->add_flag("--quiet", args->quiet, "No progress bar");
  c->callback([args, c] {
    args->lr_given = c->get_option("--lr")->count() > 0;
    args->epochs_given = c->get_option("--epochs")->count() > 0;
    args->stored_samples_given = c->get_option("--stored-samples")->count() > 0;
    args->hidden_given = c->get_option("--hidden")->count() > 0;
    args->network_given = c->get_option("--network")->count() > 0;
    args->latent_given = c->get_option("--latent")->count() > 0;
    args->batch_size_given = c->get_option("--batch-size")->count() > 0;
    run_train(*args);
  });
}

}  // namespace credence::cli

// Sampled posteriors: the log density of the standardised training rows, the sampler, thinning,
// and the samples packaged as the members of a model.
#include "credence/workflow/fit_sampled_posterior.h"

#include "credence/core/rng.h"
#include "credence/data/split.h"
#include "credence/data/standardizer.h"
#include "credence/inference/stochastic_gradient_mcmc.h"
#include "credence/workflow/network_start.h"
#include "credence/workflow/training_settings.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace credence::workflow {

bool is_sampled_posterior(const std::string& method) {
  return method == "hmc" || method == "svgd" || method == "swag" || inference::is_sg_mcmc_method(method);
}

namespace {

struct SamplerSettings {
  std::string method;
  std::uint64_t seed = 0;
  inference::NetworkLogDensityOptions log_density;
  inference::HmcOptions hmc;
  inference::SgMcmcOptions sg_mcmc;
  inference::SvgdOptions svgd;
  inference::SwagOptions swag;
  inference::ProgressStream progress = nullptr;
};

struct Samples {
  std::vector<at::Tensor> positions;  // the stored samples
  std::string report;
  double seconds = 0.0;
};

// The stochastic-gradient sampler's options with the kind that --method names (sgld, psgld, sghmc, psghmc).
inference::SgMcmcOptions sg_mcmc_options(const SamplerSettings& s) {
  return inference::SgMcmcOptions(s.sg_mcmc).kind(inference::sg_mcmc_kind(s.method));
}

nlohmann::json settings_json(const SamplerSettings& s) {
  nlohmann::json j{{"method", s.method},
                   {"prior_sigma", s.log_density.prior_sigma()},
                   {"log_noise_prior_mean", s.log_density.log_noise_prior_mean()},
                   {"log_noise_prior_sigma", s.log_density.log_noise_prior_sigma()}};
  if (s.method == "hmc") {
    const auto& h = s.hmc;
    j.update({{"chains", h.chains()},
              {"warmup", h.nuts().warmup()},
              {"draws", h.nuts().draws()},
              {"max_tree_depth", h.nuts().max_tree_depth()},
              {"target_accept", h.nuts().target_accept()},
              {"adapt_mass_matrix", h.nuts().adapt_mass_matrix()},
              {"initial_training_steps", h.initial_training_steps()},
              {"initial_learning_rate", h.initial_learning_rate()},
              {"stored_samples", h.stored_samples()}});
  } else if (s.method == "swag") {
    const auto& w = s.swag;
    j.update({{"pretrain_epochs", w.pretrain_epochs()}, {"epochs", w.epochs()}, {"rank", w.rank()},
              {"batch_size", w.batch_size()}, {"learning_rate", w.learning_rate()}, {"momentum", 0.9},
              {"stored_samples", w.samples()}});
  } else if (s.method == "svgd") {
    const auto& v = s.svgd;
    j.update({{"particles", v.particles()}, {"epochs", v.epochs()}, {"batch_size", v.batch_size()},
              {"learning_rate", v.learning_rate()}, {"kernel", "rbf, median heuristic"}});
  } else {
    const auto g = sg_mcmc_options(s);
    j.update({{"cycles", g.cycles()},
              {"epochs_per_cycle", g.epochs_per_cycle()},
              {"batch_size", g.batch_size()},
              {"learning_rate", inference::peak_learning_rate(g)},
              {"exploration_fraction", g.exploration_fraction()},
              {"samples_per_cycle", g.samples_per_cycle()}});
    if (g.kind() == inference::SgMcmcKind::sghmc || g.kind() == inference::SgMcmcKind::psghmc) j["friction"] = g.friction();
    if (inference::is_preconditioned(g.kind())) j.update({{"rms_decay", g.rms_decay()}, {"rms_floor", g.rms_floor()}});
  }
  return j;
}

// Fails before any work on settings that cannot run (zero chains, particles, draws, a network too large).
void check_settings(const SamplerSettings& s, int64_t dimension) {
  if (s.method == "hmc") {
    inference::check_hmc_options(s.hmc, dimension);
  } else if (s.method == "swag") {
    inference::check_swag_options(s.swag);
  } else if (s.method == "svgd") {
    inference::check_svgd_options(s.svgd);
  } else {
    inference::check_sg_mcmc_options(s.sg_mcmc);
  }
}

at::Tensor starting_positions(const inference::NetworkLogDensity& density, const nn::NetworkSpec& spec, std::uint64_t seed,
                              int64_t count, const at::Device& device) {
  std::vector<at::Tensor> positions;
  for (int64_t c = 0; c < count; ++c) {
    auto generator = core::make_generator(seed + static_cast<std::uint64_t>(c), device);
    positions.push_back(density.position_of(start_network(spec, generator, nullptr, 0.0, device)));
  }
  return at::stack(positions);
}

Samples sample(inference::NetworkLogDensity& density, const nn::NetworkSpec& spec, SamplerSettings s, const at::Device& device) {
  check_settings(s, density.dimension());
  auto generator = core::make_generator(s.seed, device);
  Samples out;
  const auto started = std::chrono::steady_clock::now();
  std::ostringstream report;
  report.precision(4);
  // The minibatch estimate of log p and its gradient that SWAG and SG-MCMC step on.
  const inference::MinibatchLogDensity minibatch = [&density](const at::Tensor& q, at::Tensor& g, const at::Tensor& rows) {
    return density.log_density_and_gradient(q, g, rows);
  };
  if (s.method == "hmc") {
    auto hmc = s.hmc;
    auto nuts = hmc.nuts();
    nuts.progress(s.progress);
    hmc.nuts(nuts);
    auto result = inference::sample_network_posterior(density, starting_positions(density, spec, s.seed, hmc.chains(), device),
                                                      hmc, generator);
    auto flat = result.draws.reshape({-1, density.dimension()});
    const int64_t total = flat.size(0);
    const int64_t stored = std::min(hmc.stored_samples(), total);
    for (int64_t i = 0; i < stored; ++i) out.positions.push_back(flat[i * total / stored]);
    report << result.report();
    report << "hmc: " << stored << " of " << total << " draws stored\n";
  } else if (s.method == "swag") {
    auto options = s.swag;
    options.progress(s.progress);
    auto result = inference::run_swag(minibatch, density.rows(), starting_positions(density, spec, s.seed, 1, device)[0], options,
                                      generator);
    for (int64_t k = 0; k < result.samples.size(0); ++k) out.positions.push_back(result.samples[k]);
    report << "swag: " << result.moments.count() << " snapshots (rank " << result.moments.deviations().size(1) << "), "
           << result.samples.size(0) << " samples stored, " << result.gradient_evaluations << " minibatch gradients in "
           << result.seconds << " s\n";
  } else if (s.method == "svgd") {
    auto options = s.svgd;
    options.progress(s.progress);
    inference::BatchedLogDensity f = [&density](const at::Tensor& q, at::Tensor& g, const at::Tensor& rows) {
      return density.log_density_and_gradient_batch(q, g, rows);
    };
    auto result = inference::run_svgd(f, density.rows(), starting_positions(density, spec, s.seed, options.particles(), device),
                                      options, generator);
    for (int64_t p = 0; p < result.particles.size(0); ++p) out.positions.push_back(result.particles[p]);
    report << "svgd: " << options.particles() << " particles, " << result.gradient_evaluations << " steps in " << result.seconds
           << " s (" << (density.batches_particles() ? "batched" : "one particle at a time") << ")\n";
  } else {
    auto options = sg_mcmc_options(s);
    options.progress(s.progress);
    auto result = inference::run_sg_mcmc(minibatch, density.rows(), starting_positions(density, spec, s.seed, 1, device)[0], options,
                                         generator);
    for (int64_t k = 0; k < result.samples.size(0); ++k) out.positions.push_back(result.samples[k]);
    report << s.method << ": " << options.cycles() << " cycles, " << result.samples.size(0) << " samples, "
           << result.gradient_evaluations << " minibatch gradients in " << result.seconds << " s\n";
  }
  out.report = report.str();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

void check_deterministic(const nn::NetworkSpec& spec, const std::string& method) {
  nn::Network probe(spec);
  if (probe->is_stochastic()) {
    throw std::invalid_argument("--method " + method + ": samples the weights of a deterministic network; the spec has " +
                                probe->method() + " layers");
  }
}

}  // namespace

RegressionFit fit_sampled_regression(const at::Tensor& inputs, const at::Tensor& targets,
                                     const std::vector<std::string>& feature_names, const std::string& target_name,
                                     const RegressionFitOptions& options) {
  const auto device = inputs.device();
  auto split_generator = core::make_generator(options.seed(), device);
  auto [train_index, validation_index] =
      data::train_validation_split(inputs.size(0), options.validation_fraction(), split_generator);
  auto x_train = inputs.index_select(0, train_index.to(device));
  auto y_train = targets.index_select(0, train_index.to(device));
  io::RegressionModel model;
  model.input_scaler = data::Standardizer::fit(x_train);
  model.target_scaler = data::Standardizer::fit(y_train);
  model.feature_names = feature_names;
  model.target_name = target_name;
  model.seed = options.seed();
  model.posterior = options.posterior();

  inference::GaussianLikelihood likelihood(regression_likelihood_options(options, model.target_scaler));
  const auto spec = nn::network_spec_for(options.network(), {inputs.size(1)}, likelihood->output_width());
  check_deterministic(spec, options.posterior());
  nn::Network net(spec);
  inference::NetworkLogDensity density(net, likelihood, model.input_scaler.transform(x_train),
                                       model.target_scaler.transform(y_train), options.log_density());
  SamplerSettings settings{options.posterior(), options.seed(), options.log_density(), options.hmc(), options.sg_mcmc(),
                           options.svgd(), options.swag(), options.training().progress()};
  auto j = nlohmann::json::parse(training_settings_json(options));
  j["sampler"] = settings_json(settings);
  model.training_json = j.dump();
  auto samples = sample(density, spec, settings, device);
  for (size_t k = 0; k < samples.positions.size(); ++k) {
    const auto& position = samples.positions[k];
    auto member = density.network_at(position);
    member->to(device);
    model.members.push_back(member);
    inference::GaussianLikelihood l = nullptr;
    try {
      l = density.likelihood_at(position);
    } catch (const std::runtime_error& e) {
      const bool unpreconditioned = inference::is_sg_mcmc_method(options.posterior()) &&
                                    !inference::is_preconditioned(inference::sg_mcmc_kind(options.posterior()));
      throw std::runtime_error("--method " + options.posterior() + ": sample " + std::to_string(k + 1) + " of " +
                               std::to_string(samples.positions.size()) + ": " + e.what() + "; the sampler diverged (lower --lr" +
                               (unpreconditioned ? ", or use --method psgld or psghmc)" : ")"));
    }
    l->to(device);
    model.likelihoods.push_back(l);
  }
  RegressionFit fit;
  fit.model = model;
  inference::TrainingHistory history;
  history.seconds = samples.seconds;
  fit.histories.push_back(history);
  fit.posterior_report = samples.report;
  return fit;
}

ClassificationFit fit_sampled_classification(const at::Tensor& inputs, const at::Tensor& labels, const io::InputLayout& layout,
                                             const std::vector<std::string>& class_names, const std::string& target_name,
                                             const ClassificationFitOptions& options) {
  if (options.likelihood() != inference::ClassLikelihood::categorical) {
    throw std::invalid_argument("--method " + options.posterior() + ": only for --likelihood categorical");
  }
  if (options.temperature_scaling()) throw std::invalid_argument("--temperature-scaling: not for --method " + options.posterior());
  const auto device = inputs.device();
  auto split_generator = core::make_generator(options.seed(), device);
  auto [train_index, validation_index] =
      data::train_validation_split(inputs.size(0), options.validation_fraction(), split_generator);
  auto x_train = inputs.index_select(0, train_index.to(device));
  auto y_train = labels.index_select(0, train_index.to(device));
  io::ClassificationModel model;
  model.input = layout;
  model.class_names = class_names;
  model.target_name = target_name;
  model.seed = options.seed();
  model.head.likelihood = options.likelihood();
  model.posterior = options.posterior();
  if (options.input_scale() > 0.0) {
    model.input_scaler = {at::zeros({inputs.size(1)}, inputs.options()),
                          at::full({inputs.size(1)}, options.input_scale(), inputs.options())};
  } else {
    model.input_scaler = data::Standardizer::fit(x_train);
  }
  const int64_t classes = static_cast<int64_t>(class_names.size());
  const auto spec = nn::network_spec_for(options.network(), layout.shape(),
                                         inference::class_output_width(options.likelihood(), classes));
  check_deterministic(spec, options.posterior());
  nn::Network net(spec);
  inference::NetworkLogDensity density(net, model.input_scaler.transform(x_train), y_train, options.log_density());
  SamplerSettings settings{options.posterior(), options.seed(), options.log_density(), options.hmc(), options.sg_mcmc(),
                           options.svgd(), options.swag(), options.training().progress()};
  auto j = training_settings(options.training(), options.validation_fraction(), options.validation_samples());
  j["input_scale"] = options.input_scale();
  j["sampler"] = settings_json(settings);
  model.training_json = j.dump();
  auto samples = sample(density, spec, settings, device);
  for (const auto& position : samples.positions) {
    auto member = density.network_at(position);
    member->to(device);
    model.members.push_back(member);
  }
  ClassificationFit fit;
  fit.model = model;
  inference::TrainingHistory history;
  history.seconds = samples.seconds;
  fit.histories.push_back(history);
  fit.posterior_report = samples.report;
  return fit;
}

}  // namespace credence::workflow

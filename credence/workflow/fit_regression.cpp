// fit_regression: standardisation, validation split, member training and packaging.
#include "credence/workflow/fit_regression.h"

#include "credence/core/rng.h"
#include "credence/data/split.h"
#include "credence/data/standardizer.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/predict/predictive_samples.h"
#include "credence/workflow/fit_laplace.h"
#include "credence/workflow/fit_sampled_posterior.h"
#include "credence/workflow/member_placement.h"
#include "credence/workflow/network_start.h"
#include "credence/workflow/posterior_method.h"
#include "credence/workflow/training_settings.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <ostream>
#include <stdexcept>
#include <tuple>

namespace credence::workflow {

std::string training_settings_json(const RegressionFitOptions& options) {
  auto j = training_settings(options.training(), options.validation_fraction(), options.validation_samples());
  j["noise_precision"] = options.noise_precision();
  j["members"] = options.members();
  if (options.bootstrap()) j["bootstrap"] = true;
  if (options.initial_network()) j["moped_delta"] = options.moped_delta();
  return j.dump();
}

inference::GaussianLikelihoodOptions regression_likelihood_options(const RegressionFitOptions& options,
                                                                   const data::Standardizer& target_scaler) {
  inference::GaussianLikelihoodOptions likelihood_options;
  likelihood_options.noise(options.noise()).targets(target_scaler.mean.numel());
  if (options.noise() == inference::NoiseModel::heteroscedastic) {
    likelihood_options.min_log_variance(inference::kStandardisedMinLogVariance)
        .max_log_variance(inference::kStandardisedMaxLogVariance);
  }
  if (options.noise() == inference::NoiseModel::fixed) {
    if (!(options.noise_precision() > 0.0)) throw std::invalid_argument("--tau: the noise precision must be positive");
    if (target_scaler.std.numel() != 1) {
      throw std::invalid_argument("--likelihood fixed: a known noise precision is for one target (use homoscedastic or heteroscedastic)");
    }
    const double target_std = target_scaler.std.item<double>();
    likelihood_options.noise_variance(1.0 / (options.noise_precision() * target_std * target_std));
  } else {
    likelihood_options.noise_variance(0.1);  // a starting guess in standardised units
  }
  return likelihood_options;
}

RegressionFit fit_regression(const at::Tensor& inputs, const at::Tensor& given_targets,
                             const std::vector<std::string>& feature_names, const std::string& target_name,
                             const RegressionFitOptions& options) {
  // One target given as a column [n, 1] is the one target [n].
  const auto targets =
      given_targets.dim() == 2 && given_targets.size(1) == 1 ? given_targets.squeeze(1) : given_targets;
  if (inputs.dim() != 2 || targets.dim() < 1 || targets.dim() > 2 || inputs.size(0) != targets.size(0)) {
    throw std::invalid_argument("fit_regression: expected inputs [n, d] and targets [n] or [n, k]");
  }
  const bool several_targets = targets.dim() == 2 && targets.size(1) > 1;
  if (several_targets && !options.posterior().empty()) {
    throw std::invalid_argument("--method " + options.posterior() + ": not available for several targets per row (a forecast's steps)");
  }
  if (static_cast<int64_t>(feature_names.size()) != inputs.size(1)) {
    throw std::invalid_argument("fit_regression: one feature name per input column expected");
  }
  if (options.members() < 1) throw std::invalid_argument("--members: expected at least one member");
  check_posterior_method(options.posterior());
  check_checkpoints_apply(options.checkpoint(), options.posterior());
  // Each posterior method dispatches here to its own fit (workflow/fit_<method>.h).
  if (options.posterior() == "laplace") return fit_laplace_regression(inputs, targets, feature_names, target_name, options);
  if (is_sampled_posterior(options.posterior())) {
    return fit_sampled_regression(inputs, targets, feature_names, target_name, options);
  }
  if (!options.posterior().empty()) {
    throw std::invalid_argument("--method " + options.posterior() + ": not available in this build");
  }
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
  model.training_json = training_settings_json(options);

  const auto likelihood_options = regression_likelihood_options(options, model.target_scaler);
  const int64_t output_width = inference::GaussianLikelihood(likelihood_options)->output_width();
  const auto spec = nn::network_spec_for(options.network(), {inputs.size(1)}, output_width);

  auto z_train = model.input_scaler.transform(x_train);
  auto t_train = model.target_scaler.transform(y_train);
  at::Tensor z_validation, t_validation;
  if (validation_index.numel() > 0) {
    z_validation = model.input_scaler.transform(inputs.index_select(0, validation_index.to(device)));
    t_validation = model.target_scaler.transform(targets.index_select(0, validation_index.to(device)));
  }
  if (options.validation_inputs().defined() && options.validation_inputs().size(0) > 0) {
    if (options.validation_fraction() > 0.0) throw std::invalid_argument("fit_regression: validation rows given and drawn");
    auto given = options.validation_targets();
    if (given.dim() == 2 && given.size(1) == 1) given = given.squeeze(1);
    z_validation = model.input_scaler.transform(options.validation_inputs().to(device));
    t_validation = model.target_scaler.transform(given.to(device));
  }
  RegressionFit fit;
  ResumableMembers resumable(options.checkpoint(), training_fingerprint(model.training_json, spec.to_json(), options.seed(),
                                                                        feature_names, inputs, targets));
  fit.warnings = resumable.warning();
  const MemberPlacement placement(options.training(), options.members(), options.checkpoint().enabled());
  std::vector<std::vector<at::Tensor>> member_tensors;
  for (int64_t m = 0; m < options.members(); ++m) {
    auto generator = core::make_generator(options.seed() + static_cast<std::uint64_t>(m), device);
    auto net = start_network(spec, generator, options.initial_network(), options.moped_delta(), device);
    inference::GaussianLikelihood likelihood(likelihood_options);
    likelihood->to(device);
    member_tensors.push_back(inference::training_tensors(net, likelihood.ptr().get()));
    if (auto history = resumable.restore_finished(m, net, likelihood.ptr().get())) {
      fit.histories.push_back(*history);
      model.members.push_back(net);
      model.likelihoods.push_back(likelihood);
      continue;
    }
    if (!placement.trains_here(m)) {  // another replica trains it; exchange() brings it here
      fit.histories.emplace_back();
      model.members.push_back(net);
      model.likelihoods.push_back(likelihood);
      continue;
    }
    inference::ValidationScore validation;
    if (z_validation.defined()) {
      const int64_t samples = options.validation_samples();
      // In the target's original units, as `credence evaluate` reports it: a density of the
      // standardised target is target_std times that of the original one.
      // Several targets: the sum of their NLLs (each target's own predictive mixture).
      const auto log_target_std = at::log(model.target_scaler.std.to(at::kDouble));
      validation = [net, likelihood, z_validation, t_validation, samples, log_target_std]() mutable {
        auto draws = predict::sample_predictive(net, likelihood, z_validation, predict::PredictOptions().samples(samples));
        if (t_validation.dim() == 1) {
          return metrics::mixture_negative_log_likelihood(draws.means, draws.variances, t_validation) +
                 log_target_std[0].item<double>();
        }
        double total = 0.0;
        for (int64_t k = 0; k < t_validation.size(1); ++k) {
          total += metrics::mixture_negative_log_likelihood(draws.means.select(2, k), draws.variances.select(2, k),
                                                            t_validation.select(1, k)) +
                   log_target_std[k].item<double>();
        }
        return total;
      };
    }
    auto training = placement.options_for(resumable.options_for(m, options.training()));
    if (training.progress() && options.members() > 1) {
      *training.progress() << "member " << (m + 1) << "/" << options.members() << "\n";
    }
    auto member_inputs = z_train, member_targets = t_train;
    if (options.bootstrap()) std::tie(member_inputs, member_targets) = data::bootstrap_rows(z_train, t_train, generator);
    fit.histories.push_back(
        inference::train(net, likelihood, member_inputs, member_targets, training, generator, validation));
    resumable.member_finished(m, net, likelihood.ptr().get(), fit.histories.back());
    model.members.push_back(net);
    model.likelihoods.push_back(likelihood);
  }
  placement.exchange(member_tensors, fit.histories);
  fit.model = model;
  return fit;
}

}  // namespace credence::workflow

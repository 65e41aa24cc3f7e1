// fit_regression: standardisation, validation split, training and packaging.
#include "credence/workflow/fit_regression.h"

#include "credence/core/rng.h"
#include "credence/data/split.h"
#include "credence/data/standardizer.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/predict/predictive_samples.h"
#include "credence/workflow/training_settings.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::workflow {

std::string training_settings_json(const RegressionFitOptions& options) {
  auto j = training_settings(options.training(), options.validation_fraction(), options.validation_samples());
  j["noise_precision"] = options.noise_precision();
  return j.dump();
}

RegressionFit fit_regression(const at::Tensor& inputs, const at::Tensor& targets,
                             const std::vector<std::string>& feature_names, const std::string& target_name,
                             const RegressionFitOptions& options) {
  if (inputs.dim() != 2 || targets.dim() != 1 || inputs.size(0) != targets.size(0)) {
    throw std::invalid_argument("fit_regression: expected inputs [n, d] and targets [n]");
  }
  if (static_cast<int64_t>(feature_names.size()) != inputs.size(1)) {
    throw std::invalid_argument("fit_regression: one feature name per input column expected");
  }
  auto generator = core::make_generator(options.seed(), inputs.device());
  auto [train_index, validation_index] =
      data::train_validation_split(inputs.size(0), options.validation_fraction(), generator);

  auto x_train = inputs.index_select(0, train_index.to(inputs.device()));
  auto y_train = targets.index_select(0, train_index.to(inputs.device()));
  auto input_scaler = data::Standardizer::fit(x_train);
  auto target_scaler = data::Standardizer::fit(y_train);

  inference::GaussianLikelihoodOptions likelihood_options;
  likelihood_options.noise(options.noise());
  if (options.noise() == inference::NoiseModel::fixed) {
    if (!(options.noise_precision() > 0.0)) throw std::invalid_argument("--tau: the noise precision must be positive");
    const double target_std = target_scaler.std.item<double>();
    likelihood_options.noise_variance(1.0 / (options.noise_precision() * target_std * target_std));
  } else {
    likelihood_options.noise_variance(0.1);  // a starting guess in standardised units
  }
  io::RegressionModel model;
  model.likelihood = inference::GaussianLikelihood(likelihood_options);
  auto net_options = nn::MlpOptions(inputs.size(1), options.hidden(), model.likelihood->output_width())
                         .activation(options.activation())
                         .method(options.method())
                         .prior(options.prior())
                         .estimator(options.estimator())
                         .initial_sigma(options.initial_sigma())
                         .dropout(options.dropout());
  model.net = nn::Mlp(net_options);
  model.net->set_generator(generator);
  model.net->reset_parameters();
  model.net->to(inputs.device());
  model.likelihood->to(inputs.device());
  model.input_scaler = input_scaler;
  model.target_scaler = target_scaler;
  model.feature_names = feature_names;
  model.target_name = target_name;
  model.seed = options.seed();
  model.training_json = training_settings_json(options);

  auto z_train = input_scaler.transform(x_train);
  auto t_train = target_scaler.transform(y_train);
  inference::ValidationScore validation;
  at::Tensor z_validation, t_validation;
  if (validation_index.numel() > 0) {
    z_validation = input_scaler.transform(inputs.index_select(0, validation_index.to(inputs.device())));
    t_validation = target_scaler.transform(targets.index_select(0, validation_index.to(inputs.device())));
    auto net = model.net;
    auto likelihood = model.likelihood;
    const int64_t samples = options.validation_samples();
    validation = [net, likelihood, z_validation, t_validation, samples]() mutable {
      auto draws = predict::sample_predictive(net, likelihood, z_validation, predict::PredictOptions().samples(samples));
      return metrics::mixture_negative_log_likelihood(draws.means, draws.variances, t_validation);
    };
  }
  RegressionFit fit;
  fit.history = inference::train(model.net, model.likelihood, z_train, t_train, options.training(), generator, validation);
  fit.model = model;
  return fit;
}

}  // namespace credence::workflow

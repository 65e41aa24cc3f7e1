// fit_classification: scaling, validation split, member training and temperature scaling.
#include "credence/workflow/fit_classification.h"

#include "credence/core/rng.h"
#include "credence/data/split.h"
#include "credence/data/standardizer.h"
#include "credence/metrics/classification_metrics.h"
#include "credence/predict/class_probability_samples.h"
#include "credence/predict/temperature_scaling.h"
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

namespace {

std::string settings_json(const ClassificationFitOptions& options) {
  auto j = training_settings(options.training(), options.validation_fraction(), options.validation_samples());
  j["input_scale"] = options.input_scale();
  j["keep"] = options.training().restore_best() ? "best" : "last";
  j["temperature_scaling"] = options.temperature_scaling();
  j["members"] = options.members();
  if (options.bootstrap()) j["bootstrap"] = true;
  if (options.initial_network()) j["moped_delta"] = options.moped_delta();
  return j.dump();
}

void check(const at::Tensor& inputs, const at::Tensor& labels, const io::InputLayout& layout,
           const std::vector<std::string>& class_names, const ClassificationFitOptions& options) {
  if (inputs.dim() != 2 || labels.dim() != 1 || inputs.size(0) != labels.size(0)) {
    throw std::invalid_argument("fit_classification: expected inputs [n, d] and labels [n]");
  }
  if (labels.scalar_type() != at::kLong) throw std::invalid_argument("fit_classification: labels must be int64");
  if (layout.width() != inputs.size(1)) {
    throw std::invalid_argument("fit_classification: the input layout does not match the input columns");
  }
  if (class_names.size() < 2) throw std::invalid_argument("classification needs at least two classes");
  if (labels.numel() > 0 && (labels.min().item<int64_t>() < 0 ||
                             labels.max().item<int64_t>() >= static_cast<int64_t>(class_names.size()))) {
    throw std::invalid_argument("fit_classification: a label is outside 0.." + std::to_string(class_names.size() - 1));
  }
  if (options.members() < 1) throw std::invalid_argument("--members: expected at least one member");
  check_posterior_method(options.posterior());
  // Each posterior method dispatches here to its own fit (workflow/fit_<method>.h).
  if (!options.posterior().empty() && options.posterior() != "laplace" && !is_sampled_posterior(options.posterior())) {
    throw std::invalid_argument("--method " + options.posterior() + ": not available in this build");
  }
  if (options.input_scale() < 0.0 || !std::isfinite(options.input_scale())) {
    throw std::invalid_argument("--input-scale: expected a positive constant");
  }
  if (options.temperature_scaling()) {
    if (options.validation_fraction() <= 0.0) {
      throw std::invalid_argument("--temperature-scaling: needs validation rows (--validation-fraction > 0)");
    }
    if (options.likelihood() != inference::ClassLikelihood::categorical) {
      throw std::invalid_argument("--temperature-scaling: only for the categorical likelihood");
    }
  }
}

}  // namespace

ClassificationFit fit_classification(const at::Tensor& inputs, const at::Tensor& labels, const io::InputLayout& layout,
                                     const std::vector<std::string>& class_names, const std::string& target_name,
                                     const ClassificationFitOptions& options) {
  check(inputs, labels, layout, class_names, options);
  check_checkpoints_apply(options.checkpoint(), options.posterior());
  if (options.posterior() == "laplace") {
    return fit_laplace_classification(inputs, labels, layout, class_names, target_name, options);
  }
  if (is_sampled_posterior(options.posterior())) {
    return fit_sampled_classification(inputs, labels, layout, class_names, target_name, options);
  }
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
  model.training_json = settings_json(options);
  model.head.likelihood = options.likelihood();
  model.head.noise_samples = options.noise_samples();
  if (options.input_scale() > 0.0) {
    model.input_scaler = {at::zeros({inputs.size(1)}, inputs.options()),
                          at::full({inputs.size(1)}, options.input_scale(), inputs.options())};
  } else {
    model.input_scaler = data::Standardizer::fit(x_train);
  }
  auto z_train = model.input_scaler.transform(x_train);
  at::Tensor z_validation, y_validation;
  if (validation_index.numel() > 0) {
    z_validation = model.input_scaler.transform(inputs.index_select(0, validation_index.to(device)));
    y_validation = labels.index_select(0, validation_index.to(device));
  }

  const int64_t classes = static_cast<int64_t>(class_names.size());
  const auto spec = nn::network_spec_for(options.network(), layout.shape(),
                                         inference::class_output_width(options.likelihood(), classes));
  ClassificationFit fit;
  ResumableMembers resumable(options.checkpoint(), training_fingerprint(model.training_json, spec.to_json(), options.seed(),
                                                                        layout.features, inputs, labels));
  fit.warnings = resumable.warning();
  const MemberPlacement placement(options.training(), options.members(), options.checkpoint().enabled());
  std::vector<std::vector<at::Tensor>> member_tensors;
  for (int64_t m = 0; m < options.members(); ++m) {
    auto generator = core::make_generator(options.seed() + static_cast<std::uint64_t>(m), device);
    auto net = start_network(spec, generator, options.initial_network(), options.moped_delta(), device);
    member_tensors.push_back(inference::training_tensors(net, nullptr));
    if (auto history = resumable.restore_finished(m, net, nullptr)) {
      fit.histories.push_back(*history);
      model.members.push_back(net);
      continue;
    }
    if (!placement.trains_here(m)) {  // another replica trains it; exchange() brings it here
      fit.histories.emplace_back();
      model.members.push_back(net);
      continue;
    }

    // Categorical training goes through train_classifier (which may use the fused step); only
    // noisy logits need an element-wise likelihood for the autograd step.
    inference::NegativeLogLikelihood nll;
    if (options.likelihood() == inference::ClassLikelihood::noisy_logits) {
      const int64_t noise_samples = options.noise_samples();
      nll = [noise_samples, generator](const at::Tensor& outputs, const at::Tensor& targets) {
        return inference::noisy_logit_negative_log_likelihood(outputs, targets, noise_samples, generator);
      };
    }
    inference::ValidationScore validation;
    if (z_validation.defined()) {
      inference::ClassifierHead head = model.head;
      const int64_t samples = options.validation_samples();
      validation = [net, head, z_validation, y_validation, samples, generator]() mutable {
        std::vector<nn::Network> single{net};
        auto p = predict::sample_class_probabilities(single, head, z_validation,
                                                     predict::PredictOptions().samples(samples), generator)
                     .mean(0);
        return metrics::negative_log_likelihood(p, y_validation);
      };
    }
    auto training = placement.options_for(resumable.options_for(m, options.training()));
    if (training.progress() && options.members() > 1) {
      *training.progress() << "member " << (m + 1) << "/" << options.members() << "\n";
    }
    auto member_inputs = z_train, member_labels = y_train;
    if (options.bootstrap()) std::tie(member_inputs, member_labels) = data::bootstrap_rows(z_train, y_train, generator);
    fit.histories.push_back(
        options.likelihood() == inference::ClassLikelihood::categorical
            ? inference::train_classifier(net, member_inputs, member_labels, training, generator, validation)
            : inference::train(net, nullptr, nll, member_inputs, member_labels, training, generator, validation));
    resumable.member_finished(m, net, nullptr, fit.histories.back());
    model.members.push_back(net);
  }
  placement.exchange(member_tensors, fit.histories);

  if (options.temperature_scaling()) {
    auto logits = predict::sample_ensemble_outputs(model.members, z_validation,
                                                   predict::PredictOptions().samples(options.validation_samples()));
    auto temperature = predict::fit_temperature(logits, y_validation);
    model.head.temperature = temperature.temperature;
    model.validation_nll_before_temperature = temperature.nll_before;
    model.validation_nll_after_temperature = temperature.nll_after;
    model.fitted_temperature = temperature.fitted_temperature;
    fit.temperature = temperature;
  }
  fit.model = model;
  return fit;
}

}  // namespace credence::workflow

// Laplace fits on deterministic networks: the training recipes and the post-hoc fit.
#include "credence/workflow/fit_laplace.h"

#include "credence/core/rng.h"
#include "credence/data/split.h"

#include <stdexcept>

namespace credence::workflow {

namespace {

// The rows fit_regression and fit_classification train on: the same split from the same seed.
at::Tensor training_rows(int64_t n, double validation_fraction, std::uint64_t seed, const at::Device& device) {
  auto generator = core::make_generator(seed, device);
  return data::train_validation_split(n, validation_fraction, generator).first.to(device);
}

}  // namespace

void check_laplace_base(const std::string& what, const std::string& method, size_t members) {
  if (members != 1) {
    throw std::invalid_argument(what + ": an ensemble of " + std::to_string(members) +
                                " networks; Laplace is fitted on one deterministic network");
  }
  if (method != "deterministic") {
    throw std::invalid_argument(what + ": a " + method + " model; Laplace is fitted on a deterministic network");
  }
}

void add_laplace(io::RegressionModel& model, const at::Tensor& raw_inputs, const at::Tensor& raw_targets,
                 const inference::LaplaceOptions& options) {
  check_laplace_base("Laplace", model.method(), model.members.size());
  auto net = model.members.front();
  auto likelihood = model.likelihoods.front();
  auto z = model.input_scaler.transform(raw_inputs);
  auto t = model.target_scaler.transform(raw_targets);
  auto log_likelihood = [likelihood](const at::Tensor& outputs, const at::Tensor& targets) {
    return -likelihood->negative_log_likelihood(outputs, targets).sum().item<double>();
  };
  model.laplace = inference::fit_laplace(net, inference::OutputHessian::gaussian(likelihood), log_likelihood, z, t, options);
  model.posterior = "laplace";
}

void add_laplace(io::ClassificationModel& model, const at::Tensor& raw_inputs, const at::Tensor& labels,
                 const inference::LaplaceOptions& options) {
  check_laplace_base("Laplace", model.method(), model.members.size());
  if (model.head.likelihood != inference::ClassLikelihood::categorical) {
    throw std::invalid_argument("Laplace: only for the categorical likelihood (the model has " +
                                inference::to_string(model.head.likelihood) + ")");
  }
  auto net = model.members.front();
  auto z = model.input_scaler.transform(raw_inputs);
  auto log_likelihood = [](const at::Tensor& outputs, const at::Tensor& targets) {
    return -inference::categorical_negative_log_likelihood(outputs, targets).sum().item<double>();
  };
  model.laplace = inference::fit_laplace(net, inference::OutputHessian::categorical(), log_likelihood, z, labels, options);
  model.posterior = "laplace";
}

RegressionFit fit_laplace_regression(const at::Tensor& inputs, const at::Tensor& targets,
                                     const std::vector<std::string>& feature_names, const std::string& target_name,
                                     const RegressionFitOptions& options) {
  if (options.members() != 1) throw std::invalid_argument("--members: Laplace is fitted on one network");
  auto deterministic = options;
  deterministic.posterior("");
  auto fit = fit_regression(inputs, targets, feature_names, target_name, deterministic);
  check_laplace_base("--method laplace", fit.model.method(), fit.model.members.size());
  auto rows = training_rows(inputs.size(0), options.validation_fraction(), options.seed(), inputs.device());
  add_laplace(fit.model, inputs.index_select(0, rows), targets.index_select(0, rows), options.laplace());
  return fit;
}

ClassificationFit fit_laplace_classification(const at::Tensor& inputs, const at::Tensor& labels, const io::InputLayout& layout,
                                             const std::vector<std::string>& class_names, const std::string& target_name,
                                             const ClassificationFitOptions& options) {
  if (options.members() != 1) throw std::invalid_argument("--members: Laplace is fitted on one network");
  if (options.temperature_scaling()) {
    throw std::invalid_argument("--temperature-scaling: not with --method laplace (its predictive is calibrated by the prior precision)");
  }
  auto deterministic = options;
  deterministic.posterior("");
  auto fit = fit_classification(inputs, labels, layout, class_names, target_name, deterministic);
  check_laplace_base("--method laplace", fit.model.method(), fit.model.members.size());
  auto rows = training_rows(inputs.size(0), options.validation_fraction(), options.seed(), inputs.device());
  add_laplace(fit.model, inputs.index_select(0, rows), labels.index_select(0, rows), options.laplace());
  return fit;
}

}  // namespace credence::workflow

// Converting regression networks to and from model files.
#include "credence/io/regression_model.h"

#include <nlohmann/json.hpp>

namespace credence::io {

namespace {

using nlohmann::json;

json prior_to_json(const core::PriorOptions& prior) {
  return {{"kind", core::to_string(prior.kind())}, {"sigma", prior.sigma()}, {"pi", prior.pi()},
          {"sigma1", prior.sigma1()}, {"sigma2", prior.sigma2()}};
}

core::PriorOptions prior_from_json(const json& j) {
  return core::PriorOptions()
      .kind(core::prior_kind_from_string(j.at("kind").get<std::string>()))
      .sigma(j.at("sigma").get<double>())
      .pi(j.at("pi").get<double>())
      .sigma1(j.at("sigma1").get<double>())
      .sigma2(j.at("sigma2").get<double>());
}

template <typename Module>
void add_module_tensors(Archive& archive, const std::string& prefix, const Module& module) {
  for (const auto& item : module->named_parameters()) {
    if (item.value().defined()) archive.add(prefix + item.key(), item.value());
  }
  for (const auto& item : module->named_buffers()) {
    if (item.value().defined()) archive.add(prefix + item.key(), item.value());
  }
}

template <typename Module>
void load_module_tensors(const Archive& archive, const std::string& prefix, Module& module) {
  at::NoGradGuard no_grad;
  auto load = [&](const std::string& name, at::Tensor& target) {
    if (!target.defined()) return;
    const auto& stored = archive.get(prefix + name);
    if (stored.sizes() != target.sizes()) {
      throw ArchiveError(archive.path + ": model file is corrupted (tensor '" + prefix + name + "' has the wrong shape)");
    }
    target.copy_(stored);
  };
  for (auto& item : module->named_parameters()) load(item.key(), item.value());
  for (auto& item : module->named_buffers()) load(item.key(), item.value());
}

}  // namespace

predict::PredictiveSamples RegressionModel::predict(const at::Tensor& raw_inputs,
                                                    const predict::PredictOptions& options) const {
  auto net_copy = net;
  auto likelihood_copy = likelihood;
  auto samples = predict::sample_predictive(net_copy, likelihood_copy, input_scaler.transform(raw_inputs), options);
  return {target_scaler.inverse_transform(samples.means), target_scaler.inverse_transform_variance(samples.variances)};
}

std::string archive_kind(const Archive& archive) {
  try {
    return json::parse(archive.metadata_json).at("kind").get<std::string>();
  } catch (const json::exception&) {
    throw ArchiveError(archive.path + ": model file has no 'kind' field");
  }
}

Archive to_archive(const RegressionModel& model) {
  const auto& o = model.net->options;
  json metadata = {
      {"kind", kRegressionNetworkKind},
      {"method", nn::to_string(o.method())},
      {"architecture", {{"input", o.input()}, {"hidden", o.hidden()}, {"output", o.output()},
                        {"activation", nn::to_string(o.activation())}}},
      {"prior", prior_to_json(o.prior())},
      {"estimator", nn::to_string(o.estimator())},
      {"initial_sigma", o.initial_sigma()},
      {"dropout", o.dropout()},
      {"likelihood", {{"noise", inference::to_string(model.likelihood->options.noise())},
                      {"noise_variance", model.likelihood->options.noise_variance()}}},
      {"features", model.feature_names},
      {"target", model.target_name},
      {"seed", model.seed},
      {"training", json::parse(model.training_json)},
  };
  Archive archive;
  archive.metadata_json = metadata.dump();
  add_module_tensors(archive, "net.", model.net);
  add_module_tensors(archive, "likelihood.", model.likelihood);
  archive.add("input_mean", model.input_scaler.mean);
  archive.add("input_std", model.input_scaler.std);
  archive.add("target_mean", model.target_scaler.mean);
  archive.add("target_std", model.target_scaler.std);
  return archive;
}

RegressionModel regression_model_from_archive(const Archive& archive) {
  RegressionModel model;
  try {
    const json metadata = json::parse(archive.metadata_json);
    if (metadata.at("kind").get<std::string>() != kRegressionNetworkKind) {
      throw ArchiveError(archive.path + ": not a regression network (kind '" + metadata.at("kind").get<std::string>() + "')");
    }
    const auto& a = metadata.at("architecture");
    auto options = nn::MlpOptions(a.at("input").get<int64_t>(), a.at("hidden").get<std::vector<int64_t>>(),
                                  a.at("output").get<int64_t>())
                       .activation(nn::activation_from_string(a.at("activation").get<std::string>()))
                       .method(nn::method_from_string(metadata.at("method").get<std::string>()))
                       .prior(prior_from_json(metadata.at("prior")))
                       .estimator(nn::estimator_from_string(metadata.at("estimator").get<std::string>()))
                       .initial_sigma(metadata.at("initial_sigma").get<double>())
                       .dropout(metadata.at("dropout").get<double>());
    const auto& l = metadata.at("likelihood");
    auto likelihood_options = inference::GaussianLikelihoodOptions()
                                  .noise(inference::noise_model_from_string(l.at("noise").get<std::string>()))
                                  .noise_variance(l.at("noise_variance").get<double>());
    model.net = nn::Mlp(options);
    model.likelihood = inference::GaussianLikelihood(likelihood_options);
    model.feature_names = metadata.at("features").get<std::vector<std::string>>();
    model.target_name = metadata.at("target").get<std::string>();
    model.seed = metadata.at("seed").get<std::uint64_t>();
    model.training_json = metadata.at("training").dump();
    if (static_cast<int64_t>(model.feature_names.size()) != options.input()) {
      throw ArchiveError(archive.path + ": model file is corrupted (feature names do not match the input size)");
    }
  } catch (const json::exception& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (metadata: " + std::string(e.what()) + ")");
  } catch (const std::invalid_argument& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (" + std::string(e.what()) + ")");
  }
  load_module_tensors(archive, "net.", model.net);
  load_module_tensors(archive, "likelihood.", model.likelihood);
  model.input_scaler = {archive.get("input_mean").to(at::kFloat), archive.get("input_std").to(at::kFloat)};
  model.target_scaler = {archive.get("target_mean").to(at::kFloat), archive.get("target_std").to(at::kFloat)};
  model.net->eval();
  return model;
}

void save_regression_model(const std::string& path, const RegressionModel& model) {
  write_archive(path, to_archive(model));
}

RegressionModel load_regression_model(const std::string& path) {
  return regression_model_from_archive(read_archive(path));
}

}  // namespace credence::io

// Converting regression networks to and from model files.
#include "credence/io/regression_model.h"

#include "credence/io/network_archive.h"

#include <nlohmann/json.hpp>

namespace credence::io {

using nlohmann::json;

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
  json metadata = mlp_options_to_json(model.net->options);
  metadata.update({
      {"kind", kRegressionNetworkKind},
      {"likelihood", {{"noise", inference::to_string(model.likelihood->options.noise())},
                      {"noise_variance", model.likelihood->options.noise_variance()}}},
      {"features", model.feature_names},
      {"target", model.target_name},
      {"seed", model.seed},
      {"training", json::parse(model.training_json)},
  });
  Archive archive;
  archive.metadata_json = metadata.dump();
  add_module_tensors(archive, "net.", *model.net);
  add_module_tensors(archive, "likelihood.", *model.likelihood);
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
    auto options = mlp_options_from_json(metadata);
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
  load_module_tensors(archive, "net.", *model.net);
  load_module_tensors(archive, "likelihood.", *model.likelihood);
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

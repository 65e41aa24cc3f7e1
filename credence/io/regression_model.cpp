// Converting regression networks to and from model files.
#include "credence/io/regression_model.h"

#include "credence/io/laplace_archive.h"
#include "credence/io/network_archive.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace credence::io {

using nlohmann::json;

std::string RegressionModel::method() const {
  if (!posterior.empty()) return posterior;
  if (members.size() > 1) return "ensemble";
  return members.empty() ? "none" : members.front()->method();
}

namespace {

// The likelihood's settings; the log-variance bounds only when set (files without them predict
// with an unbounded head, as they were trained).
json likelihood_json(const inference::GaussianLikelihoodOptions& likelihood) {
  json j = {{"noise", inference::to_string(likelihood.noise())}, {"noise_variance", likelihood.noise_variance()}};
  if (std::isfinite(likelihood.min_log_variance())) j["min_log_variance"] = likelihood.min_log_variance();
  if (std::isfinite(likelihood.max_log_variance())) j["max_log_variance"] = likelihood.max_log_variance();
  if (likelihood.targets() != 1) j["targets"] = likelihood.targets();
  return j;
}

}  // namespace

std::string archive_kind(const Archive& archive) {
  try {
    return json::parse(archive.metadata_json).at("kind").get<std::string>();
  } catch (const json::exception&) {
    throw ArchiveError(archive.path + ": model file has no 'kind' field");
  }
}

Archive to_archive(const RegressionModel& model) {
  if (model.likelihoods.size() != model.members.size()) throw std::invalid_argument("to_archive: one likelihood per member expected");
  const auto& likelihood = model.likelihoods.front()->options;
  json metadata = {
      {"kind", kRegressionNetworkKind},
      {"method", model.method()},
      {"likelihood", likelihood_json(likelihood)},
      {"features", model.feature_names},
      {"target", model.target_name},
      {"seed", model.seed},
      {"training", json::parse(model.training_json)},
  };
  Archive archive;
  add_members(archive, metadata, model.members);
  if (model.laplace) add_laplace_posterior(archive, metadata, *model.laplace);
  for (size_t m = 0; m < model.likelihoods.size(); ++m) {
    add_module_tensors(archive, "likelihood" + std::to_string(m) + ".", *model.likelihoods[m]);
  }
  archive.add("input_mean", model.input_scaler.mean);
  archive.add("input_std", model.input_scaler.std);
  archive.add("target_mean", model.target_scaler.mean);
  archive.add("target_std", model.target_scaler.std);
  archive.metadata_json = metadata.dump();
  return archive;
}

RegressionModel regression_model_from_archive(const Archive& archive) {
  RegressionModel model;
  const bool version1 = archive.format_version == 1;
  json metadata;
  inference::GaussianLikelihoodOptions likelihood_options;
  try {
    metadata = json::parse(archive.metadata_json);
    if (metadata.at("kind").get<std::string>() != kRegressionNetworkKind) {
      throw ArchiveError(archive.path + ": not a regression network (kind '" + metadata.at("kind").get<std::string>() + "')");
    }
    const auto& l = metadata.at("likelihood");
    likelihood_options.noise(inference::noise_model_from_string(l.at("noise").get<std::string>()))
        .noise_variance(l.at("noise_variance").get<double>());
    if (l.contains("min_log_variance")) likelihood_options.min_log_variance(l.at("min_log_variance").get<double>());
    if (l.contains("max_log_variance")) likelihood_options.max_log_variance(l.at("max_log_variance").get<double>());
    if (l.contains("targets")) likelihood_options.targets(l.at("targets").get<int64_t>());
    if (likelihood_options.targets() < 1) throw std::invalid_argument("the likelihood's target count is below 1");
    if (!(likelihood_options.min_log_variance() < likelihood_options.max_log_variance())) {
      throw std::invalid_argument("the likelihood's log-variance bounds are not min < max");
    }
    model.feature_names = metadata.at("features").get<std::vector<std::string>>();
    model.target_name = metadata.at("target").get<std::string>();
    model.seed = metadata.at("seed").get<std::uint64_t>();
    model.training_json = metadata.at("training").dump();
  } catch (const json::exception& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (metadata: " + std::string(e.what()) + ")");
  } catch (const std::invalid_argument& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (" + std::string(e.what()) + ")");
  }
  model.members = read_members(archive, metadata, [](int64_t) { return std::string("net."); });
  // A posterior whose members are samples (hmc, svgd, ...) keeps its name; others derive it.
  const auto stored = metadata.find("method");
  const auto stored_method = stored != metadata.end() && stored->is_string() ? stored->get<std::string>() : std::string();
  if (!stored_method.empty() && stored_method != model.method()) model.posterior = stored_method;
  model.laplace = read_laplace_posterior(archive, metadata, model.members.front());
  const auto& input = model.members.front()->input_shape();
  // A table row's features, seen as [features], [1, features] (a 1-D convolution) or [features, 1] (a sequence).
  if (nn::element_count(input) != static_cast<int64_t>(model.feature_names.size())) {
    throw ArchiveError(archive.path + ": model file is corrupted (feature names do not match the input size)");
  }
  for (size_t m = 0; m < model.members.size(); ++m) {
    inference::GaussianLikelihood likelihood(likelihood_options);
    load_module_tensors(archive, version1 ? "likelihood." : "likelihood" + std::to_string(m) + ".", *likelihood);
    if (model.members[m]->output_shape() != nn::Shape{likelihood->output_width()}) {
      throw ArchiveError(archive.path + ": model file is corrupted (the network's output does not fit the likelihood)");
    }
    model.likelihoods.push_back(likelihood);
  }
  model.input_scaler = {archive.get("input_mean").to(at::kFloat), archive.get("input_std").to(at::kFloat)};
  model.target_scaler = {archive.get("target_mean").to(at::kFloat), archive.get("target_std").to(at::kFloat)};
  return model;
}

void save_regression_model(const std::string& path, const RegressionModel& model) {
  write_archive(path, to_archive(model));
}

RegressionModel load_regression_model(const std::string& path) {
  return regression_model_from_archive(read_archive(path));
}

}  // namespace credence::io

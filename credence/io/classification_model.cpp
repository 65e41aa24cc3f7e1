// Converting classifiers and ensembles to and from model files.
#include "credence/io/classification_model.h"

#include "credence/io/laplace_archive.h"
#include "credence/io/network_archive.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::io {

using nlohmann::json;

int64_t InputLayout::width() const {
  return kind == "image" ? image_rows * image_cols : static_cast<int64_t>(features.size());
}

nn::Shape InputLayout::shape() const {
  if (kind == "image") return {1, image_rows, image_cols};
  return {static_cast<int64_t>(features.size())};
}

std::string ClassificationModel::method() const {
  if (!posterior.empty()) return posterior;
  if (members.size() > 1) return "ensemble";
  return members.empty() ? "none" : members.front()->method();
}

Archive to_archive(const ClassificationModel& model) {
  json metadata = {
      {"kind", kClassificationNetworkKind},
      {"method", model.method()},
      {"likelihood", inference::to_string(model.head.likelihood)},
      {"noise_samples", model.head.noise_samples},
      {"temperature", model.head.temperature},
      {"validation_nll_before_temperature", model.validation_nll_before_temperature},
      {"validation_nll_after_temperature", model.validation_nll_after_temperature},
      {"fitted_temperature", model.fitted_temperature},
      {"input", {{"kind", model.input.kind}, {"rows", model.input.image_rows}, {"cols", model.input.image_cols},
                 {"features", model.input.features}}},
      {"classes", model.class_names},
      {"target", model.target_name},
      {"seed", model.seed},
      {"training", json::parse(model.training_json)},
  };
  Archive archive;
  add_members(archive, metadata, model.members);
  if (model.laplace) add_laplace_posterior(archive, metadata, *model.laplace);
  archive.add("input_mean", model.input_scaler.mean);
  archive.add("input_std", model.input_scaler.std);
  archive.metadata_json = metadata.dump();
  return archive;
}

ClassificationModel classification_model_from_archive(const Archive& archive) {
  ClassificationModel model;
  json metadata;
  try {
    metadata = json::parse(archive.metadata_json);
    const auto kind = metadata.at("kind").get<std::string>();
    if (kind != kClassificationNetworkKind) {
      throw ArchiveError(archive.path + ": not a classification network (kind '" + kind + "')");
    }
    model.head.likelihood = inference::class_likelihood_from_string(metadata.at("likelihood").get<std::string>());
    model.head.noise_samples = metadata.at("noise_samples").get<int64_t>();
    model.head.temperature = metadata.at("temperature").get<double>();
    model.validation_nll_before_temperature = metadata.at("validation_nll_before_temperature").get<double>();
    model.validation_nll_after_temperature = metadata.at("validation_nll_after_temperature").get<double>();
    // Files written before the fit could be declined have no fitted_temperature: it was the one applied.
    model.fitted_temperature = metadata.value("fitted_temperature", model.head.temperature);
    const auto& input = metadata.at("input");
    model.input.kind = input.at("kind").get<std::string>();
    model.input.image_rows = input.at("rows").get<int64_t>();
    model.input.image_cols = input.at("cols").get<int64_t>();
    model.input.features = input.at("features").get<std::vector<std::string>>();
    model.class_names = metadata.at("classes").get<std::vector<std::string>>();
    model.target_name = metadata.at("target").get<std::string>();
    model.seed = metadata.at("seed").get<std::uint64_t>();
    model.training_json = metadata.at("training").dump();
  } catch (const json::exception& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (metadata: " + std::string(e.what()) + ")");
  } catch (const std::invalid_argument& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (" + std::string(e.what()) + ")");
  }
  auto corrupted = [&](const std::string& what) { return ArchiveError(archive.path + ": model file is corrupted (" + what + ")"); };
  if (model.input.kind != "image" && model.input.kind != "table") throw corrupted("unknown input kind '" + model.input.kind + "'");
  if (model.class_names.size() < 2) throw corrupted("fewer than two classes");
  if (!(model.head.temperature > 0.0)) throw corrupted("the temperature is not positive");
  model.members = read_members(archive, metadata, [](int64_t m) { return "member" + std::to_string(m) + "."; });
  // A posterior whose members are samples (hmc, svgd, ...) keeps its name; others derive it.
  const auto stored = metadata.find("method");
  const auto stored_method = stored != metadata.end() && stored->is_string() ? stored->get<std::string>() : std::string();
  if (!stored_method.empty() && stored_method != model.method()) model.posterior = stored_method;
  model.laplace = read_laplace_posterior(archive, metadata, model.members.front());
  const auto& net = model.members.front();
  if (nn::element_count(net->input_shape()) != model.input.width()) {
    throw corrupted("the input layout does not match the network's input size");
  }
  if (net->output_shape() != nn::Shape{inference::class_output_width(model.head.likelihood, model.classes())}) {
    throw corrupted("the class count does not match the network's output size");
  }
  model.input_scaler = {archive.get("input_mean").to(at::kFloat), archive.get("input_std").to(at::kFloat)};
  return model;
}

void save_classification_model(const std::string& path, const ClassificationModel& model) {
  write_archive(path, to_archive(model));
}

ClassificationModel load_classification_model(const std::string& path) {
  return classification_model_from_archive(read_archive(path));
}

}  // namespace credence::io

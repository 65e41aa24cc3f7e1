// `credence inspect`: a model file's metadata and, for a network, its layer table.
#include "cli_support.h"
#include "commands.h"

#include "credence/io/archive.h"
#include "credence/io/classification_model.h"
#include "credence/io/forecast_model.h"
#include "credence/io/regression_model.h"
#include "credence/nn/network_summary.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct InspectArguments {
  std::string model;
  bool json = false;
};

// The first member's network of a network model file (either version), or nullptr.
nn::Network first_network(const io::Archive& archive, const std::string& kind) {
  if (kind == io::kRegressionNetworkKind) return io::regression_model_from_archive(archive).members.front();
  if (kind == io::kClassificationNetworkKind) return io::classification_model_from_archive(archive).members.front();
  if (kind == io::kForecastNetworkKind) return io::forecast_model_from_archive(archive).regression.members.front();
  return nullptr;
}

// "key: value" lines for the scalar fields, nested objects indented, long lists in one line.
void print_fields(const nlohmann::json& j, const std::string& indent) {
  for (const auto& [key, value] : j.items()) {
    if (value.is_object()) {
      std::cout << indent << key << ":\n";
      print_fields(value, indent + "  ");
    } else {
      std::cout << indent << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
    }
  }
}

void run_inspect(const InspectArguments& a) {
  auto archive = io::read_archive(a.model);
  auto metadata = nlohmann::json::parse(archive.metadata_json);
  int64_t values = 0;
  for (const auto& [name, tensor] : archive.tensors) values += tensor.numel();
  metadata["stored_tensors"] = archive.tensors.size();
  metadata["stored_values"] = values;
  const auto net = first_network(archive, io::archive_kind(archive));
  if (a.json) {
    if (net) metadata["summary"] = nn::to_json(nn::summarise(net));
    std::cout << metadata.dump() << "\n";
    return;
  }
  // The spec is long; the layer table says the same more readably.
  metadata.erase("network");
  print_fields(metadata, "");
  if (net) std::cout << "\nnetwork (per member):\n" << nn::to_text(nn::summarise(net));
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArguments>();
  auto* c = app.add_subcommand("inspect",
                               "Print a model file's metadata (method, data, settings, versions) and its network's layer table");
  c->add_option("--model", args->model, "A model file")->required();
  c->add_flag("--json", args->json, "One line of JSON (the metadata with the network spec and a layer summary)");
  c->callback([args] { run_inspect(*args); });
}

}  // namespace credence::cli

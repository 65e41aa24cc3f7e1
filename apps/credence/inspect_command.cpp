// `credence inspect`: the metadata of a model file.
#include "cli_support.h"
#include "commands.h"

#include "credence/io/archive.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct InspectArguments {
  std::string model;
  bool json = false;
};

void run_inspect(const InspectArguments& a) {
  auto archive = io::read_archive(a.model);
  auto metadata = nlohmann::json::parse(archive.metadata_json);
  int64_t values = 0;
  for (const auto& [name, tensor] : archive.tensors) values += tensor.numel();
  metadata["stored_tensors"] = archive.tensors.size();
  metadata["stored_values"] = values;
  std::cout << (a.json ? metadata.dump() : metadata.dump(2)) << "\n";
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArguments>();
  auto* c = app.add_subcommand("inspect", "Print a model file's metadata (method, architecture, data, settings, versions)");
  c->add_option("--model", args->model, "A model file")->required();
  c->add_flag("--json", args->json, "One line of JSON instead of indented JSON");
  c->callback([args] { run_inspect(*args); });
}

}  // namespace credence::cli

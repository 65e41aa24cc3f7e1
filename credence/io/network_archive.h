// Networks in an archive: the members of a model as their spec (JSON) and their tensors under
// "member<k>." name prefixes; and the version-1 layout (MLP options, tensors named "layer<k>."),
// which files written before the spec still have. Shared by the regression and classification
// model files.
#pragma once

#include "credence/io/archive.h"
#include "credence/nn/network.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace credence::io {

// Maps a module's own tensor name to the name it is stored under (after the prefix).
using TensorNames = std::function<std::string(const std::string& name)>;

// Every defined parameter and buffer of `module`, named prefix + its own name.
void add_module_tensors(Archive& archive, const std::string& prefix, const torch::nn::Module& module);
// Copies them back; throws ArchiveError naming the archive for a missing tensor or a wrong shape.
void load_module_tensors(const Archive& archive, const std::string& prefix, torch::nn::Module& module,
                         const TensorNames& stored_name = nullptr);

// One named network of a model (a VAE's "encoder", a GAN's "generator"): metadata[name] = its spec,
// its tensors under "<name>.". read_network gives it in evaluation mode and throws ArchiveError
// naming the file when the spec or a tensor is missing or malformed.
void add_network(Archive& archive, nlohmann::json& metadata, const std::string& name, const nn::Network& network);
nn::Network read_network(const Archive& archive, const nlohmann::json& metadata, const std::string& name);

// Version 2: metadata["network"] = the members' spec, metadata["members"] = their count, tensors
// "member<k>.<layer>.<parameter>".
void add_members(Archive& archive, nlohmann::json& metadata, const std::vector<nn::Network>& members);
// The members of a model file of either version (`version1_prefix(k)` names member k's tensors in a
// version-1 file). Throws ArchiveError naming the file when the spec or a tensor is missing or malformed.
std::vector<nn::Network> read_members(const Archive& archive, const nlohmann::json& metadata,
                                      const std::function<std::string(int64_t member)>& version1_prefix);

// The network spec of a version-1 file's MLP options ({"method", "architecture", "prior",
// "estimator", "initial_sigma", "dropout", "input_dropout"}). Throws nlohmann::json::exception or
// std::invalid_argument for a missing or malformed field.
nn::NetworkSpec spec_from_version1(const nlohmann::json& metadata);

}  // namespace credence::io

// Storing an Mlp in an archive: its options as JSON and its tensors under a name prefix.
// Shared by the regression and classification model files.
#pragma once

#include "credence/io/archive.h"
#include "credence/nn/mlp.h"

#include <nlohmann/json.hpp>

#include <string>

namespace credence::io {

// {"method", "architecture", "prior", "estimator", "initial_sigma", "dropout"}.
nlohmann::json mlp_options_to_json(const nn::MlpOptions& options);
// Throws nlohmann::json::exception or std::invalid_argument for a missing or malformed field.
nn::MlpOptions mlp_options_from_json(const nlohmann::json& j);

// Every defined parameter and buffer of `module`, named prefix + its own name.
void add_module_tensors(Archive& archive, const std::string& prefix, const torch::nn::Module& module);
// Copies them back; throws ArchiveError naming the archive for a missing tensor or a wrong shape.
void load_module_tensors(const Archive& archive, const std::string& prefix, torch::nn::Module& module);

}  // namespace credence::io

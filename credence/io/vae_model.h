// The model file of a variational auto-encoder (kind "variational_autoencoder"): the encoder's and
// the decoder's specs and tensors (prefixes "encoder." and "decoder."), the latent size, the
// decoder likelihood, the data rows' shape and the training settings.
#pragma once

#include "credence/generative/variational_autoencoder.h"
#include "credence/io/archive.h"

#include <nlohmann/json.hpp>

#include <string>

namespace credence::io {

inline constexpr const char* kVariationalAutoencoderKind = "variational_autoencoder";

struct VaeModel {
  generative::VariationalAutoencoder vae;
  nlohmann::json training = nlohmann::json::object();  // the settings it was trained with
};

Archive vae_model_to_archive(const VaeModel& model);
// Throws ArchiveError naming the file for another kind, a missing or malformed field or tensor.
VaeModel vae_model_from_archive(const Archive& archive);
void save_vae_model(const std::string& path, const VaeModel& model);
VaeModel load_vae_model(const std::string& path);

}  // namespace credence::io

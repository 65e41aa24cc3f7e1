// The model file of an auto-encoder (kind "autoencoder"): the encoder's and the decoder's specs and
// tensors (prefixes "encoder." and "decoder."), the code size, the decoder likelihood, the data
// rows' shape and the training settings.
#pragma once

#include "credence/generative/autoencoder.h"
#include "credence/io/archive.h"

#include <nlohmann/json.hpp>

#include <string>

namespace credence::io {

inline constexpr const char* kAutoencoderKind = "autoencoder";

struct AutoencoderModel {
  generative::Autoencoder autoencoder;
  nlohmann::json training = nlohmann::json::object();  // the settings it was trained with
};

Archive autoencoder_model_to_archive(const AutoencoderModel& model);
// Throws ArchiveError naming the file for another kind, a missing or malformed field or tensor.
AutoencoderModel autoencoder_model_from_archive(const Archive& archive);
void save_autoencoder_model(const std::string& path, const AutoencoderModel& model);
AutoencoderModel load_autoencoder_model(const std::string& path);

}  // namespace credence::io

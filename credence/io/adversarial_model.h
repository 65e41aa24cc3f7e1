// The model file of a generative adversarial network (kind "adversarial_network"): the variant
// (gan, dcgan, infogan), the generator's, the discriminator's and (InfoGAN) the Q head's specs and
// tensors (prefixes "generator.", "discriminator.", "q_head."; batch normalisation's running
// statistics included), the latent layout, the images' shape and the training settings.
#pragma once

#include "credence/generative/adversarial_network.h"
#include "credence/io/archive.h"

#include <nlohmann/json.hpp>

#include <string>

namespace credence::io {

inline constexpr const char* kAdversarialNetworkKind = "adversarial_network";

struct AdversarialModel {
  generative::AdversarialNetwork gan;
  nlohmann::json training = nlohmann::json::object();  // the settings it was trained with
};

Archive adversarial_model_to_archive(const AdversarialModel& model);
// Throws ArchiveError naming the file for another kind, a missing or malformed field or tensor.
AdversarialModel adversarial_model_from_archive(const Archive& archive);
void save_adversarial_model(const std::string& path, const AdversarialModel& model);
AdversarialModel load_adversarial_model(const std::string& path);

}  // namespace credence::io

// The adversarial network's model file.
#include "credence/io/adversarial_model.h"

#include "credence/io/network_archive.h"
#include "credence/nn/network_spec.h"

#include <stdexcept>

namespace credence::io {

using json = nlohmann::json;

Archive adversarial_model_to_archive(const AdversarialModel& model) {
  const auto& gan = model.gan;
  json metadata = {{"kind", kAdversarialNetworkKind},
                   {"variant", generative::to_string(gan.variant)},
                   {"latent", {{"noise", gan.layout.noise}, {"categorical", gan.layout.categorical}, {"continuous", gan.layout.continuous}}},
                   {"data_shape", gan.data_shape},
                   {"q_head", json()},
                   {"training", model.training}};
  Archive archive;
  add_network(archive, metadata, "generator", gan.generator);
  add_network(archive, metadata, "discriminator", gan.discriminator);
  if (gan.q_head) add_network(archive, metadata, "q_head", *gan.q_head);
  archive.metadata_json = metadata.dump();
  return archive;
}

AdversarialModel adversarial_model_from_archive(const Archive& archive) {
  const auto corrupted = [&](const std::string& what) { return ArchiveError(archive.path + ": " + what); };
  const auto metadata = metadata_of_kind(archive, kAdversarialNetworkKind, "a generative adversarial network");
  try {
    const auto network = [&](const char* name) { return read_network(archive, metadata, name); };
    generative::LatentLayout layout;
    const auto& latent = metadata.at("latent");
    layout.noise = latent.at("noise").get<int64_t>();
    layout.categorical = latent.at("categorical").get<std::vector<int64_t>>();
    layout.continuous = latent.at("continuous").get<int64_t>();
    c10::optional<nn::Network> q_head;
    if (!metadata.at("q_head").is_null()) q_head = network("q_head");
    return AdversarialModel{generative::AdversarialNetwork(network("generator"), network("discriminator"), q_head, layout,
                                                           metadata.at("data_shape").get<nn::Shape>(),
                                                           generative::gan_variant_from_string(metadata.at("variant"))),
                            metadata.value("training", json::object())};
  } catch (const json::exception& e) {
    throw corrupted("metadata: " + std::string(e.what()));
  } catch (const std::invalid_argument& e) {
    throw corrupted(e.what());
  }
}

void save_adversarial_model(const std::string& path, const AdversarialModel& model) {
  write_archive(path, adversarial_model_to_archive(model));
}

AdversarialModel load_adversarial_model(const std::string& path) { return adversarial_model_from_archive(read_archive(path)); }

}  // namespace credence::io

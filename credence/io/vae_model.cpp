// The VAE's model file.
#include "credence/io/vae_model.h"

#include "credence/io/network_archive.h"
#include "credence/nn/network_spec.h"

#include <stdexcept>

namespace credence::io {

using json = nlohmann::json;

Archive vae_model_to_archive(const VaeModel& model) {
  const auto& vae = model.vae;
  json metadata = {{"kind", kVariationalAutoencoderKind},
                   {"latent", vae.latent},
                   {"likelihood", generative::to_string(vae.likelihood)},
                   {"data_shape", vae.data_shape},
                   {"training", model.training}};
  Archive archive;
  add_network(archive, metadata, "encoder", vae.encoder);
  add_network(archive, metadata, "decoder", vae.decoder);
  archive.metadata_json = metadata.dump();
  return archive;
}

VaeModel vae_model_from_archive(const Archive& archive) {
  const auto corrupted = [&](const std::string& what) { return ArchiveError(archive.path + ": " + what); };
  const auto metadata = metadata_of_kind(archive, kVariationalAutoencoderKind, "a variational auto-encoder");
  try {
    auto encoder = read_network(archive, metadata, "encoder");
    auto decoder = read_network(archive, metadata, "decoder");
    VaeModel model{generative::VariationalAutoencoder(encoder, decoder, metadata.at("latent").get<int64_t>(),
                                                      metadata.at("data_shape").get<nn::Shape>(),
                                                      generative::decoder_likelihood_from_string(metadata.at("likelihood"))),
                   metadata.value("training", json::object())};
    return model;
  } catch (const json::exception& e) {
    throw corrupted("metadata: " + std::string(e.what()));
  } catch (const std::invalid_argument& e) {
    throw corrupted(e.what());
  }
}

void save_vae_model(const std::string& path, const VaeModel& model) { write_archive(path, vae_model_to_archive(model)); }

VaeModel load_vae_model(const std::string& path) { return vae_model_from_archive(read_archive(path)); }

}  // namespace credence::io

// The auto-encoder's model file.
#include "credence/io/autoencoder_model.h"

#include "credence/io/network_archive.h"

#include <stdexcept>

namespace credence::io {

using json = nlohmann::json;

Archive autoencoder_model_to_archive(const AutoencoderModel& model) {
  const auto& ae = model.autoencoder;
  json metadata = {{"kind", kAutoencoderKind},
                   {"latent", ae.latent},
                   {"likelihood", generative::to_string(ae.likelihood)},
                   {"data_shape", ae.data_shape},
                   {"training", model.training}};
  Archive archive;
  add_network(archive, metadata, "encoder", ae.encoder);
  add_network(archive, metadata, "decoder", ae.decoder);
  archive.metadata_json = metadata.dump();
  return archive;
}

AutoencoderModel autoencoder_model_from_archive(const Archive& archive) {
  const auto metadata = metadata_of_kind(archive, kAutoencoderKind, "an auto-encoder");
  try {
    auto encoder = read_network(archive, metadata, "encoder");
    auto decoder = read_network(archive, metadata, "decoder");
    return {generative::Autoencoder(encoder, decoder, metadata.at("latent").get<int64_t>(),
                                    metadata.at("data_shape").get<nn::Shape>(),
                                    generative::decoder_likelihood_from_string(metadata.at("likelihood"))),
            metadata.value("training", json::object())};
  } catch (const json::exception& e) {
    throw ArchiveError(archive.path + ": metadata: " + std::string(e.what()));
  } catch (const std::invalid_argument& e) {
    throw ArchiveError(archive.path + ": " + e.what());
  }
}

void save_autoencoder_model(const std::string& path, const AutoencoderModel& model) {
  write_archive(path, autoencoder_model_to_archive(model));
}

AutoencoderModel load_autoencoder_model(const std::string& path) { return autoencoder_model_from_archive(read_archive(path)); }

}  // namespace credence::io

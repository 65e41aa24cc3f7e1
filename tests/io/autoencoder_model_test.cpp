// The auto-encoder's model file: a round trip gives the same networks and the same reconstruction
// score; another kind of file, and a VAE's, are refused naming the file.
#include "credence/core/rng.h"
#include "credence/generative/autoencoder_training.h"
#include "credence/io/autoencoder_model.h"
#include "credence/io/vae_model.h"
#include "credence/nn/network_spec.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using namespace credence::testing;

TEST(AutoencoderModelFile, RoundTripKeepsBothNetworksAndTheScore) {
  TemporaryDirectory dir;
  const auto [encoder_spec, decoder_spec] =
      generative::dense_autoencoder_specs({1, 4, 4}, 3, {8}, generative::DecoderLikelihood::bernoulli);
  io::AutoencoderModel model{generative::Autoencoder(seeded_network(encoder_spec, 1), seeded_network(decoder_spec, 2), 3, {1, 4, 4},
                                                     generative::DecoderLikelihood::bernoulli),
                             nlohmann::json{{"epochs", 5}}};
  const std::string path = dir.path("ae.model");
  io::save_autoencoder_model(path, model);
  auto loaded = io::load_autoencoder_model(path);
  EXPECT_EQ(loaded.autoencoder.latent, 3);
  EXPECT_EQ(loaded.autoencoder.data_shape, (nn::Shape{1, 4, 4}));
  EXPECT_EQ(loaded.autoencoder.likelihood, generative::DecoderLikelihood::bernoulli);
  EXPECT_EQ(loaded.training.at("epochs"), 5);
  auto g = core::make_generator(3);
  const auto x = at::bernoulli(at::full({10, 1, 4, 4}, 0.3), g);
  EXPECT_TRUE(at::equal(generative::score_autoencoder(model.autoencoder, x).per_row,
                        generative::score_autoencoder(loaded.autoencoder, x).per_row));
  EXPECT_EQ(error_message_of([&] { io::load_vae_model(path); }), path + ": is a 'autoencoder' model, not a variational auto-encoder");
  const std::string other = CREDENCE_SOURCE_DIR "/tests/io/fixtures/v1/classification_bbb.model";
  EXPECT_EQ(error_message_of([&] { io::load_autoencoder_model(other); }),
            other + ": is a 'classification_network' model, not an auto-encoder");
}

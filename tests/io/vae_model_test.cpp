// The VAE's model file: a round trip gives the same encoder and decoder (every tensor, batch
// normalisation's running statistics included) and the same bound; other kinds are refused.
#include "credence/core/rng.h"
#include "credence/io/vae_model.h"
#include "credence/nn/network_spec.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using namespace credence::testing;

TEST(VaeModelFile, RoundTripKeepsBothNetworksAndTheBound) {
  TemporaryDirectory dir;
  const auto encoder_spec = nn::NetworkSpec::from_json(nlohmann::json::parse(R"({"input": [1, 4, 4], "layers": [
      {"type": "flatten"}, {"type": "linear", "out_features": 8}, {"type": "batch_norm1d"}, {"type": "tanh"},
      {"type": "linear", "out_features": 6}]})"), "encoder");
  const auto decoder_spec = nn::NetworkSpec::from_json(nlohmann::json::parse(R"({"input": [3], "layers": [
      {"type": "linear", "out_features": 16}, {"type": "unflatten", "shape": [1, 4, 4]}]})"), "decoder");
  io::VaeModel model{generative::VariationalAutoencoder(seeded_network(encoder_spec, 1), seeded_network(decoder_spec, 2), 3,
                                                        {1, 4, 4}, generative::DecoderLikelihood::bernoulli),
                     nlohmann::json{{"epochs", 7}}};
  // Some training-mode passes move batch normalisation's running statistics off their start.
  auto g = core::make_generator(3);
  const auto x = at::bernoulli(at::full({10, 1, 4, 4}, 0.4), g);
  model.vae.encoder->train();
  for (int i = 0; i < 3; ++i) model.vae.encoder->forward(x);
  model.vae.encoder->eval();
  const std::string path = dir.path("vae.model");
  io::save_vae_model(path, model);
  const auto loaded = io::load_vae_model(path);
  EXPECT_EQ(loaded.vae.latent, 3);
  EXPECT_EQ(loaded.vae.data_shape, (nn::Shape{1, 4, 4}));
  EXPECT_EQ(loaded.training.at("epochs"), 7);
  EXPECT_EQ(loaded.vae.encoder->spec().to_json(), model.vae.encoder->spec().to_json());
  for (const auto& [a, b] : {std::make_pair(model.vae.encoder, loaded.vae.encoder), std::make_pair(model.vae.decoder, loaded.vae.decoder)}) {
    const auto pa = a->named_buffers(), pb = b->named_buffers();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(at::equal(pa[i].value(), pb[i].value())) << pa[i].key();
    const auto qa = a->parameters(), qb = b->parameters();
    for (size_t i = 0; i < qa.size(); ++i) EXPECT_TRUE(at::equal(qa[i], qb[i]));
  }
  auto g1 = core::make_generator(9), g2 = core::make_generator(9);
  at::NoGradGuard no_grad;
  auto again = loaded;
  EXPECT_TRUE(at::equal(model.vae.importance_weighted_bound(x, 20, g1), again.vae.importance_weighted_bound(x, 20, g2)));
  // Another kind of model file is refused, naming the file.
  EXPECT_NE(error_message_of([&] { io::load_vae_model(CREDENCE_SOURCE_DIR "/tests/io/fixtures/v1/classification_bbb.model"); })
                .find("not a variational auto-encoder"),
            std::string::npos);
}

// The GAN's model file: a round trip keeps the variant, the latent layout, every tensor of the
// generator, the discriminator and the Q head (batch normalisation's running statistics included)
// and so the same images and codes; other kinds are refused.
#include "credence/core/rng.h"
#include "credence/io/adversarial_model.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using namespace credence::testing;

TEST(AdversarialModelFile, RoundTripKeepsTheNetworksAndTheLatentLayout) {
  TemporaryDirectory dir;
  generative::LatentLayout layout{6, {4}, 2};
  const auto [g_spec, d_spec, q_spec] = generative::infogan_specs({1, 8, 8}, layout, {{8, 4}, {4, 8}, 16});
  io::AdversarialModel model{generative::AdversarialNetwork(seeded_network(g_spec, 1), seeded_network(d_spec, 2),
                                                            seeded_network(q_spec, 3), layout, {1, 8, 8},
                                                            generative::GanVariant::infogan),
                             nlohmann::json{{"epochs", 3}}};
  // Training-mode passes move batch normalisation's running statistics off their start.
  auto g = core::make_generator(4);
  model.gan.train();
  for (int i = 0; i < 3; ++i) model.gan.codes(model.gan.generate(generative::sample_latent(layout, 10, g).z));
  model.gan.eval();
  const std::string path = dir.path("gan.model");
  io::save_adversarial_model(path, model);
  auto loaded = io::load_adversarial_model(path);
  EXPECT_EQ(loaded.gan.variant, generative::GanVariant::infogan);
  EXPECT_EQ(loaded.gan.layout.noise, 6);
  EXPECT_EQ(loaded.gan.layout.categorical, (std::vector<int64_t>{4}));
  EXPECT_EQ(loaded.gan.layout.continuous, 2);
  EXPECT_EQ(loaded.gan.data_shape, (nn::Shape{1, 8, 8}));
  EXPECT_EQ(loaded.training.at("epochs"), 3);
  ASSERT_TRUE(loaded.gan.q_head.has_value());
  const std::vector<std::pair<nn::Network, nn::Network>> pairs{{model.gan.generator, loaded.gan.generator},
                                                               {model.gan.discriminator, loaded.gan.discriminator},
                                                               {*model.gan.q_head, *loaded.gan.q_head}};
  for (const auto& [a, b] : pairs) {
    EXPECT_EQ(a->spec().to_json(), b->spec().to_json());
    const auto ba = a->named_buffers(), bb = b->named_buffers();
    ASSERT_EQ(ba.size(), bb.size());
    ASSERT_GT(ba.size(), 0u);
    for (size_t i = 0; i < ba.size(); ++i) EXPECT_TRUE(at::equal(ba[i].value(), bb[i].value())) << ba[i].key();
    const auto pa = a->parameters(), pb = b->parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(at::equal(pa[i], pb[i]));
  }
  at::NoGradGuard no_grad;
  auto g1 = core::make_generator(9), g2 = core::make_generator(9);
  const auto images = model.gan.generate(generative::sample_latent(layout, 5, g1).z);
  EXPECT_TRUE(at::equal(images, loaded.gan.generate(generative::sample_latent(layout, 5, g2).z)));
  EXPECT_TRUE(at::equal(model.gan.codes(images), loaded.gan.codes(images)));

  // A plain GAN has no Q head, and keeps none.
  const auto [dense_g, dense_d] = generative::dense_gan_specs({1, 8, 8}, 5, {16}, {16});
  io::AdversarialModel plain{generative::AdversarialNetwork(seeded_network(dense_g, 1), seeded_network(dense_d, 2), c10::nullopt,
                                                            {5, {}, 0}, {1, 8, 8}, generative::GanVariant::gan)};
  io::save_adversarial_model(dir.path("plain.model"), plain);
  const auto plain_loaded = io::load_adversarial_model(dir.path("plain.model"));
  EXPECT_FALSE(plain_loaded.gan.q_head.has_value());
  EXPECT_EQ(plain_loaded.gan.variant, generative::GanVariant::gan);
  EXPECT_NE(error_message_of([&] {
              io::load_adversarial_model(CREDENCE_SOURCE_DIR "/tests/io/fixtures/v1/classification_bbb.model");
            }).find("not a generative adversarial network"),
            std::string::npos);
}

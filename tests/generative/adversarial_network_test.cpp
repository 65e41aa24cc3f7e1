// The adversarial network: its losses and InfoGAN's information bound against hand-computed
// values, the latent layout and code sweeps, the spec builders' shapes, and shapes that do not fit.
#include "credence/core/rng.h"
#include "credence/generative/adversarial_network.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;
using namespace credence::testing;
using generative::AdversarialNetwork;
using generative::GanVariant;
using generative::LatentLayout;

namespace {

nn::NetworkSpec spec_of(const std::string& text) { return nn::NetworkSpec::from_json(nlohmann::json::parse(text), "spec"); }

}  // namespace

TEST(AdversarialLosses, MatchHandComputedBinaryCrossEntropy) {
  const auto real = at::tensor({2.0, -1.0}, kDouble), fake = at::tensor({0.5, -3.0}, kDouble);
  // (softplus(-2) + softplus(1)) / 2 + (softplus(0.5) + softplus(-3)) / 2, log(1 + e^x) by hand.
  EXPECT_NEAR(generative::discriminator_loss(real, fake).item<double>(), 1.2314270171575221, 1e-12);
  // The non-saturating loss -log sigmoid(l) = softplus(-l): (softplus(-0.5) + softplus(3)) / 2.
  EXPECT_NEAR(generative::generator_loss(fake).item<double>(), 1.7613321678769243, 1e-12);
  // Its gradient stays large where D rejects the fakes (l -> -inf), unlike log(1 - D(G(z))).
  auto rejected = at::tensor({-8.0}, kDouble).requires_grad_();
  generative::generator_loss(rejected).backward();
  EXPECT_NEAR(rejected.grad().item<double>(), -1.0 / (1.0 + std::exp(-8.0)), 1e-12);
}

TEST(InformationBound, EqualsTheCrossEntropyBoundByHand) {
  LatentLayout layout{2, {3}, 1};
  const auto q = at::tensor({1.0, 2.0, 0.0, 0.2, 0.0, 0.0, 3.0, 0.1}, kDouble).view({2, 4});
  const auto categorical = at::tensor({1, 2}, at::kLong).view({2, 1});
  const auto continuous = at::tensor({0.5, -0.4}, kDouble).view({2, 1});
  const auto bound = generative::information_bound(layout, q, categorical, continuous);
  // log 3 + mean log softmax(row)[code]; log 2 + mean log N(c; mean, 1).
  EXPECT_NEAR(bound.categorical.item<double>(), 0.8473478282354392, 1e-12);
  EXPECT_NEAR(bound.continuous.item<double>(), -0.31079135264472735, 1e-12);
  // The categorical bound never exceeds the code's entropy log K and reaches it as Q becomes sure.
  const auto sure = at::tensor({0.0, 40.0, 0.0, 0.0, 0.0, 0.0, 40.0, 0.0}, kDouble).view({2, 4});
  const double at_sure = generative::information_bound(layout, sure, categorical, continuous).categorical.item<double>();
  EXPECT_LE(at_sure, std::log(3.0));
  EXPECT_NEAR(at_sure, std::log(3.0), 1e-12);
  auto g = core::make_generator(4);
  for (int trial = 0; trial < 20; ++trial) {
    const auto random_q = at::randn({2, 4}, g, kDouble) * 5.0;
    EXPECT_LE(generative::information_bound(layout, random_q, categorical, continuous).categorical.item<double>(), std::log(3.0));
  }
}

TEST(LatentLayout, DrawsNoiseOneHotCodesAndUniformContinuousCodes) {
  LatentLayout layout{5, {10, 3}, 2};
  EXPECT_EQ(layout.size(), 20);
  auto g = core::make_generator(1);
  const auto draw = generative::sample_latent(layout, 4000, g);
  ASSERT_EQ(draw.z.sizes().vec(), (std::vector<int64_t>{4000, 20}));
  // Each one-hot block sums to one at the drawn value; the codes cover their values evenly.
  EXPECT_TRUE(at::equal(draw.z.narrow(1, 5, 10).argmax(1), draw.categorical.select(1, 0)));
  EXPECT_TRUE(at::allclose(draw.z.narrow(1, 5, 13).sum(1), at::full({4000}, 2.0)));
  const auto counts = at::bincount(draw.categorical.select(1, 0), {}, 10).to(at::kDouble) / 4000.0;
  EXPECT_LT((counts - 0.1).abs().max().item<double>(), 0.03);
  EXPECT_GE(draw.continuous.min().item<double>(), -1.0);
  EXPECT_LE(draw.continuous.max().item<double>(), 1.0);
  EXPECT_NEAR(draw.continuous.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(draw.z.narrow(1, 0, 5).std().item<double>(), 1.0, 0.05);

  // A sweep of the first categorical code: rows of 10 images that share noise and differ only in c.
  const auto z = generative::code_sweep_latent(layout, {true, 0, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}, 3, g);
  ASSERT_EQ(z.sizes().vec(), (std::vector<int64_t>{30, 20}));
  for (int64_t row = 0; row < 3; ++row) {
    for (int64_t column = 0; column < 10; ++column) {
      const auto image = z[row * 10 + column];
      EXPECT_EQ(image.narrow(0, 5, 10).argmax().item<int64_t>(), column);
      EXPECT_TRUE(at::equal(image.narrow(0, 0, 5), z[row * 10].narrow(0, 0, 5)));
      EXPECT_TRUE(at::equal(image.narrow(0, 15, 5), z[row * 10].narrow(0, 15, 5)));
    }
  }
  EXPECT_FALSE(at::equal(z[0].narrow(0, 0, 5), z[10].narrow(0, 0, 5)));
  const auto continuous = generative::code_sweep_latent(layout, {false, 1, {-1.0, 0.0, 1.0}}, 2, g);
  EXPECT_TRUE(at::allclose(continuous.select(1, 19), at::tensor({-1.0, 0.0, 1.0, -1.0, 0.0, 1.0}).to(at::kFloat)));
  EXPECT_EQ(error_message_of([&] { generative::code_sweep_latent(layout, {true, 0, {10}}, 1, g); }),
            "--code: the categorical code takes 0 to 9, not 10");
  EXPECT_EQ(error_message_of([&] { generative::code_sweep_latent(layout, {false, 2, {0}}, 1, g); }),
            "--code: the model has 2 continuous codes, no code 3");
}

TEST(AdversarialSpecs, BuildNetworksOfTheImageShape) {
  auto g = core::make_generator(2);
  const auto check = [&](const nn::NetworkSpec& generator, const nn::NetworkSpec& discriminator, int64_t latent) {
    auto gen = seeded_network(generator, 1);
    auto dis = seeded_network(discriminator, 2);
    EXPECT_EQ(gen->output_shape(), (nn::Shape{1, 28, 28}));
    EXPECT_EQ(dis->output_shape(), (nn::Shape{1}));
    at::NoGradGuard no_grad;
    gen->eval();
    const auto images = gen->forward(at::randn({3, latent}, g));
    EXPECT_GE(images.min().item<double>(), 0.0);  // the sigmoid's pixels
    EXPECT_LE(images.max().item<double>(), 1.0);
  };
  const auto [dense_g, dense_d] = generative::dense_gan_specs({1, 28, 28}, 100);
  check(dense_g, dense_d, 100);
  const auto [conv_g, conv_d] = generative::dcgan_specs({1, 28, 28}, 100);
  check(conv_g, conv_d, 100);
  EXPECT_EQ(conv_g.layers.at(4).at("type"), "conv_transpose2d");
  LatentLayout layout{62, {10}, 2};
  const auto [info_g, info_d, info_q] = generative::infogan_specs({1, 28, 28}, layout);
  check(info_g, info_d, 74);
  AdversarialNetwork gan(seeded_network(info_g, 1), seeded_network(info_d, 2), seeded_network(info_q, 3), layout, {1, 28, 28},
                         GanVariant::infogan);
  gan.eval();
  at::NoGradGuard no_grad;
  const auto x = at::rand({4, 1, 28, 28}, g);
  EXPECT_EQ(gan.codes(x).sizes().vec(), (std::vector<int64_t>{4, 12}));
  EXPECT_EQ(gan.body(x).sizes().vec(), (std::vector<int64_t>{4, 128}));
  EXPECT_TRUE(at::allclose(gan.logit(x), gan.discriminator->forward(x).squeeze(1)));
  EXPECT_EQ(error_message_of([] { generative::dcgan_specs({1, 10, 10}, 8); }),
            "a DCGAN draws images [channels, height, width] with sides divisible by 4 (two upsamplings by 2), not [1, 10, 10]");
}

TEST(AdversarialNetwork, RefusesShapesThatDoNotFit) {
  const auto generator = spec_of(R"({"input": [4], "layers": [{"type": "linear", "out_features": 49},
      {"type": "unflatten", "shape": [1, 7, 7]}, {"type": "conv_transpose2d", "out_channels": 1, "kernel_size": 4, "stride": 2,
      "padding": 1}, {"type": "sigmoid"}]})");
  const auto discriminator = spec_of(R"({"input": [1, 28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 1}]})");
  EXPECT_EQ(error_message_of([&] {
              AdversarialNetwork(seeded_network(generator, 1), seeded_network(discriminator, 2), c10::nullopt, {4, {}, 0},
                                 {1, 28, 28}, GanVariant::dcgan);
            }),
            "the generator's output [1, 14, 14] (layers[3], sigmoid) does not match the images [1, 28, 28]");
  const auto two_logits = spec_of(R"({"input": [1, 14, 14], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 2}]})");
  EXPECT_EQ(error_message_of([&] {
              AdversarialNetwork(seeded_network(generator, 1), seeded_network(two_logits, 2), c10::nullopt, {4, {}, 0}, {1, 14, 14},
                                 GanVariant::dcgan);
            }),
            "the discriminator's output is [2]; it must end in one logit [1] after at least one body layer");
  EXPECT_EQ(error_message_of([&] {
              AdversarialNetwork(seeded_network(generator, 1), seeded_network(discriminator, 2), c10::nullopt, {3, {}, 0},
                                 {1, 14, 14}, GanVariant::gan);
            }),
            "the generator takes [4] but the latent row is [3]");
}

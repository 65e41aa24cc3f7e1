// Adversarial training: one discriminator step lowers its loss on a fixed problem, a small GAN
// learns a 1-D Gaussian's mean and spread across seeds, an InfoGAN's Q learns to read its
// categorical code, and a diverging run is stopped and named.
#include "credence/core/rng.h"
#include "credence/generative/gan_training.h"
#include "credence/inference/trainer.h"
#include "credence/metrics/assignment.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <torch/optim/adam.h>

#include <cmath>
#include <limits>

using namespace credence;
using namespace credence::testing;
using generative::AdversarialNetwork;
using generative::GanVariant;
using generative::LatentLayout;

namespace {

nn::NetworkSpec dense_spec(int64_t input, const std::vector<int64_t>& hidden, int64_t output) {
  nn::NetworkSpec spec{{input}, {}};
  for (int64_t width : hidden) {
    spec.layers.push_back({{"type", "linear"}, {"out_features", width}});
    spec.layers.push_back({{"type", "leaky_relu"}, {"negative_slope", 0.2}});
  }
  spec.layers.push_back({{"type", "linear"}, {"out_features", output}});
  return spec;
}

// A GAN of rows [1]: a dense generator from `noise` values and a dense discriminator.
AdversarialNetwork one_dimensional_gan(std::uint64_t seed, const LatentLayout& layout = {4, {}, 0}) {
  c10::optional<nn::Network> q;
  if (layout.has_codes()) q = seeded_network(dense_spec(32, {}, layout.categorical_width() + layout.continuous), seed + 2);
  return AdversarialNetwork(seeded_network(dense_spec(layout.size(), {32, 32}, 1), seed),
                            seeded_network(dense_spec(1, {32, 32}, 1), seed + 1), q, layout, {1}, GanVariant::gan);
}

}  // namespace

TEST(GanTraining, OneDiscriminatorStepLowersItsLoss) {
  auto gan = one_dimensional_gan(3);
  auto g = core::make_generator(8);
  const auto real = 3.0 + 0.5 * at::randn({256, 1}, g);
  const auto fake = gan.generate(generative::sample_latent(gan.layout, 256, g).z).detach();
  const auto loss = [&] { return generative::discriminator_loss(gan.logit(real), gan.logit(fake)); };
  torch::optim::Adam adam(gan.discriminator_parameters(), torch::optim::AdamOptions(1e-2));
  const double before = loss().item<double>();
  adam.zero_grad();
  loss().backward();
  adam.step();
  const double after = loss().item<double>();
  EXPECT_LT(after, before - 1e-3) << before << " -> " << after;
}

// Data N(3, 0.5^2): after 25 epochs over 2000 rows the generated mean and standard deviation are
// those of the data within 0.25 and 0.2 for each of three seeds.
TEST(GanTraining, LearnsAOneDimensionalGaussianAcrossSeeds) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    auto gan = one_dimensional_gan(10 * seed);
    auto g = core::make_generator(seed);
    const auto data = 3.0 + 0.5 * at::randn({2000, 1}, g);
    generative::GanTrainOptions options;
    options.epochs = 25;
    options.learning_rate = 1e-3;
    const auto history = generative::train_gan(gan, data, options, g);
    ASSERT_EQ(history.discriminator_loss.size(), 25u);
    at::NoGradGuard no_grad;
    const auto drawn = gan.generate(generative::sample_latent(gan.layout, 5000, g).z);
    EXPECT_NEAR(drawn.mean().item<double>(), 3.0, 0.25) << "seed " << seed;
    EXPECT_NEAR(drawn.std().item<double>(), 0.5, 0.2) << "seed " << seed;
    // At an equilibrium D cannot tell the two apart: its mean scores sit near one half.
    EXPECT_NEAR(history.real_score.back(), 0.5, 0.2) << "seed " << seed;
    EXPECT_NEAR(history.fake_score.back(), 0.5, 0.2) << "seed " << seed;
  }
}

// A two-mode mixture 0.5 N(-2, 0.3^2) + 0.5 N(2, 0.3^2) and an InfoGAN with a two-valued code:
// the generator puts mass on both modes, and Q, trained without labels, tells the modes apart.
TEST(GanTraining, InfoGanCodeFindsTheModesOfATwoModeMixture) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    auto gan = one_dimensional_gan(10 * seed, {2, {2}, 0});
    auto g = core::make_generator(seed);
    const auto modes = at::randint(2, {2000}, g, at::TensorOptions().dtype(at::kLong));
    const auto data = (modes.to(at::kFloat) * 4.0 - 2.0).unsqueeze(1) + 0.3 * at::randn({2000, 1}, g);
    generative::GanTrainOptions options;
    options.epochs = 25;
    options.learning_rate = 1e-3;
    const auto history = generative::train_gan(gan, data, options, g);
    EXPECT_GT(history.information.back(), 0.5 * std::log(2.0)) << "seed " << seed;
    at::NoGradGuard no_grad;
    const auto drawn = gan.generate(generative::sample_latent(gan.layout, 4000, g).z);
    const double upper = (drawn > 0.0).to(at::kDouble).mean().item<double>();
    EXPECT_GT(upper, 0.3) << "seed " << seed;
    EXPECT_LT(upper, 0.7) << "seed " << seed;
    const auto match = metrics::best_assignment_accuracy(gan.predicted_category(data), modes, 2, 2);
    EXPECT_GT(match.accuracy, 0.9) << "seed " << seed;
  }
}

TEST(GanTraining, StopsADivergedRunNamingTheEpochAndBatch) {
  auto gan = one_dimensional_gan(5);
  auto g = core::make_generator(1);
  auto data = at::randn({100, 1}, g);
  data[70][0] = std::numeric_limits<float>::quiet_NaN();
  generative::GanTrainOptions options;
  options.epochs = 3;
  options.batch_size = 100;
  EXPECT_EQ(error_message_of([&] { generative::train_gan(gan, data, options, g); }),
            "training diverged at epoch 1, batch 1: the discriminator loss is NaN (try a smaller --lr)");
  EXPECT_THROW(generative::train_gan(gan, data, options, g), inference::TrainingDiverged);
}

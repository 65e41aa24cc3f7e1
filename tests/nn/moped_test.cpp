// MOPED: a Bayesian network started from a deterministic one predicts as it does at the posterior
// mean, with sigma = delta |w|; networks of another spec or method are refused.
#include "credence/core/gaussian.h"
#include "credence/nn/mean_field_layer.h"
#include "credence/nn/method.h"
#include "credence/nn/moped.h"
#include "credence/nn/network_presets.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;


TEST(Moped, ReproducesTheDeterministicPredictionsAtThePosteriorMean) {
  nn::NetworkSpec plain{{1, 10, 10},
                        {{{"type", "conv2d"}, {"out_channels", 3}, {"kernel_size", 3}, {"padding", 1}},
                         {{"type", "relu"}},
                         {{"type", "avg_pool2d"}, {"kernel_size", 2}},
                         {{"type", "flatten"}},
                         {{"type", "linear"}, {"out_features", 4}}}};
  for (uint64_t seed : {1, 2, 3}) {
    auto deterministic = credence::testing::seeded_network(plain, seed);
    auto bayesian = credence::testing::seeded_network(nn::apply_method(plain, nn::MethodOptions()), seed + 10);
    nn::initialise_from_deterministic(bayesian, deterministic, 0.1);
    auto x = at::randn({6, 1, 10, 10});
    at::NoGradGuard no_grad;
    bayesian->set_sampling(false);
    EXPECT_TRUE(at::allclose(bayesian->forward(x), deterministic->forward(x), 1e-6, 1e-6)) << "seed " << seed;
    // sigma = 0.1 |w| for every weight and bias.
    for (size_t i = 0; i < bayesian->size(); ++i) {
      auto* layer = dynamic_cast<nn::MeanFieldLayer*>(&bayesian->layer(i));
      if (!layer) continue;
      auto w = deterministic->layer(i).module().named_parameters(false)["weight"];
      EXPECT_TRUE(at::equal(layer->weight_mu, w));
      EXPECT_TRUE(at::allclose(layer->weight_sigma(), (w.abs() * 0.1).clamp_min(nn::kMopedSigmaFloor), 1e-5, 1e-9));
    }
    // Sampling spreads the predictions around the deterministic ones.
    bayesian->set_sampling(true);
    auto draws = bayesian->forward_samples(x, 200);
    EXPECT_GT(draws.std(0).mean().item<double>(), 0.0);
    EXPECT_TRUE(at::allclose(draws.mean(0), deterministic->forward(x), 0.05, 0.05));
  }
}

TEST(Moped, RefusesAnotherSpecOrMethod) {
  auto plain = nn::mlp_spec(4, {6}, 2);
  auto bayesian = credence::testing::seeded_network(nn::apply_method(plain, nn::MethodOptions()), 1);
  auto wider = credence::testing::seeded_network(nn::mlp_spec(4, {7}, 2), 2);
  try {
    nn::initialise_from_deterministic(bayesian, wider, 0.1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layers[0] differs"), std::string::npos) << e.what();
  }
  auto dropout = credence::testing::seeded_network(nn::apply_method(plain, nn::MethodOptions().method(nn::Method::mcdropout)), 3);
  EXPECT_THROW(nn::initialise_from_deterministic(bayesian, dropout, 0.1), std::invalid_argument);
  EXPECT_THROW(nn::initialise_from_deterministic(bayesian, bayesian, 0.1), std::invalid_argument);
  auto deterministic = credence::testing::seeded_network(plain, 4);
  EXPECT_THROW(nn::initialise_from_deterministic(bayesian, deterministic, 0.0), std::invalid_argument);
  EXPECT_NO_THROW(nn::initialise_from_deterministic(bayesian, deterministic, 0.1));
}

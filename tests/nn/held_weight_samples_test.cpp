// Held weight samples: every chunk of a prediction sees the same S networks.
#include "credence/core/rng.h"
#include "credence/nn/mlp.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

TEST(HeldWeightSamples, SampleSIsOneLinearFunctionAcrossCalls) {
  nn::BayesLinear layer(nn::BayesLinearOptions(6, 4).initial_sigma(0.5));
  auto gen = core::make_generator(8);
  layer->set_generator(gen);
  layer->reset_parameters();
  at::NoGradGuard no_grad;
  const int64_t s = 7;
  auto x1 = at::randn({s, 3, 6}, gen), x2 = at::randn({s, 3, 6}, gen);
  auto zero = at::zeros({s, 3, 6});
  layer->hold_weight_samples(s);
  ASSERT_TRUE(layer->holds_weight_samples());
  // With one weight matrix per sample held, f_s(x1 + x2) = f_s(x1) + f_s(x2) - f_s(0) across calls.
  auto sum = layer->forward_samples(x1 + x2, s);
  auto parts = layer->forward_samples(x1, s) + layer->forward_samples(x2, s) - layer->forward_samples(zero, s);
  EXPECT_TRUE(at::allclose(sum, parts, 1e-4, 1e-5));
  layer->release_weight_samples();
  EXPECT_FALSE(layer->holds_weight_samples());
  // Without them every call draws afresh and the identity fails.
  auto fresh = layer->forward_samples(x1, s) + layer->forward_samples(x2, s) - layer->forward_samples(zero, s);
  EXPECT_FALSE(at::allclose(layer->forward_samples(x1 + x2, s), fresh, 1e-4, 1e-5));
}

TEST(HeldWeightSamples, HeldDrawsHaveThePosteriorMoments) {
  nn::BayesLinear layer(nn::BayesLinearOptions(2, 1).initial_sigma(0.3));
  auto gen = core::make_generator(9);
  layer->set_generator(gen);
  layer->reset_parameters();
  at::NoGradGuard no_grad;
  const int64_t s = 20000;
  layer->hold_weight_samples(s);
  // Input (1, 0) per sample: the output is w_0 + b, mean mu_0 + b_mu, variance sigma_0^2 + sigma_b^2.
  auto x = at::zeros({s, 1, 2});
  x.select(2, 0).fill_(1.0);
  auto y = layer->forward_samples(x, s).flatten();
  const double mean = layer->weight_mu[0][0].item<double>() + layer->bias_mu[0].item<double>();
  const double variance = 0.09 + 0.09;
  EXPECT_NEAR(y.mean().item<double>(), mean, 5 * std::sqrt(variance / s));
  EXPECT_NEAR(y.var().item<double>(), variance, 0.05 * variance);
}

TEST(HeldWeightSamples, MlpHoldsOnlyWhereTheCostModelSaysSo) {
  nn::Mlp net(nn::MlpOptions(20, {30, 30}, 2).method(nn::Method::bbb));
  net->hold_weight_samples(100, 100000);  // many rows: one product per sample wins
  EXPECT_FALSE(net->bayes_layers[0]->holds_weight_samples());  // the shared first layer never holds
  EXPECT_TRUE(net->bayes_layers[1]->holds_weight_samples());
  net->release_weight_samples();
  net->hold_weight_samples(100, 1);  // one row: drawing 100 weight matrices costs more than it saves
  EXPECT_FALSE(net->bayes_layers[1]->holds_weight_samples());
  net->release_weight_samples();
}

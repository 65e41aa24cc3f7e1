// Held weight samples: every chunk of a prediction sees the same S networks.
#include "credence/core/rng.h"
#include "credence/nn/bayes_conv.h"
#include "credence/nn/bayes_linear.h"
#include "credence/nn/mc_dropout.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

namespace {

at::Tensor per_sample(nn::MeanFieldLayer& layer, const at::Tensor& x, int64_t samples) {
  return layer.forward_samples(nn::SampleBatch::per_sample(x, samples)).values;
}

}  // namespace

TEST(HeldWeightSamples, SampleSIsOneLinearFunctionAcrossCalls) {
  nn::BayesLinear layer(nn::BayesLinearOptions(6, 4).initial_sigma(0.5));
  auto gen = core::make_generator(8);
  layer->set_generator(gen);
  layer->reset_parameters();
  at::NoGradGuard no_grad;
  const int64_t s = 7;
  auto x1 = at::randn({s * 3, 6}, gen), x2 = at::randn({s * 3, 6}, gen);
  auto zero = at::zeros({s * 3, 6});
  layer->hold_weight_samples(s);
  ASSERT_TRUE(layer->holds_weight_samples());
  // With one weight matrix per sample held, f_s(x1 + x2) = f_s(x1) + f_s(x2) - f_s(0) across calls.
  auto sum = per_sample(*layer, x1 + x2, s);
  auto parts = per_sample(*layer, x1, s) + per_sample(*layer, x2, s) - per_sample(*layer, zero, s);
  EXPECT_TRUE(at::allclose(sum, parts, 1e-4, 1e-5));
  layer->release_weight_samples();
  EXPECT_FALSE(layer->holds_weight_samples());
  // Without them every call draws afresh and the identity fails.
  auto fresh = per_sample(*layer, x1, s) + per_sample(*layer, x2, s) - per_sample(*layer, zero, s);
  EXPECT_FALSE(at::allclose(per_sample(*layer, x1 + x2, s), fresh, 1e-4, 1e-5));
}

TEST(HeldWeightSamples, ConvolutionSampleSIsOneFunctionAcrossCalls) {
  nn::BayesConv2d layer(nn::BayesConv2dOptions(2, 3, 3).padding(1).initial_sigma(0.5));
  auto gen = core::make_generator(18);
  layer->set_generator(gen);
  layer->reset_parameters();
  at::NoGradGuard no_grad;
  const int64_t s = 5;
  auto x1 = at::randn({s * 2, 2, 6, 6}, gen), x2 = at::randn({s * 2, 2, 6, 6}, gen);
  auto zero = at::zeros({s * 2, 2, 6, 6});
  layer->hold_weight_samples(s);
  auto sum = per_sample(*layer, x1 + x2, s);
  auto parts = per_sample(*layer, x1, s) + per_sample(*layer, x2, s) - per_sample(*layer, zero, s);
  EXPECT_TRUE(at::allclose(sum, parts, 1e-4, 1e-5));
  // Sample s is the convolution with weights held for s: row r of sample 2 equals the mean
  // convolution plus a fixed perturbation, the same for every row of that sample.
  auto batch = per_sample(*layer, zero, s).view({s, 2, 3, 6, 6});
  EXPECT_TRUE(at::allclose(batch[2][0], batch[2][1]));
  EXPECT_FALSE(at::allclose(batch[2][0], batch[3][0]));
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
  auto x = at::zeros({s, 2});
  x.select(1, 0).fill_(1.0);
  auto y = per_sample(*layer, x, s).flatten();
  const double mean = layer->weight_mu[0][0].item<double>() + layer->bias_mu[0].item<double>();
  const double variance = 0.09 + 0.09;
  EXPECT_NEAR(y.mean().item<double>(), mean, 5 * std::sqrt(variance / s));
  EXPECT_NEAR(y.var().item<double>(), variance, 0.05 * variance);
}

TEST(HeldWeightSamples, NetworkHoldsOnlyWhereTheCostModelSaysSo) {
  // 784 inputs: the shared first layer's two products cost less than S products with their weight
  // noise; the 30-unit layer after it holds one weight matrix per sample for many rows.
  auto net = credence::testing::mlp_network(784, {30, 30}, 2, nn::Method::bbb);
  auto layer = [&](size_t i) { return dynamic_cast<nn::MeanFieldLayer*>(&net->layer(i)); };
  ASSERT_TRUE(layer(0) && layer(2) && layer(4));
  net->hold_weight_samples(100, 100000);
  EXPECT_FALSE(layer(0)->holds_weight_samples());
  EXPECT_TRUE(layer(2)->holds_weight_samples());
  net->release_weight_samples();
  net->hold_weight_samples(100, 1);  // one row: drawing 100 weight matrices costs more than it saves
  EXPECT_FALSE(layer(2)->holds_weight_samples());
  net->release_weight_samples();
  // A narrow first layer (20 inputs): a normal draw per output costs more than 20 multiply-adds,
  // so S weight samples win even for the shared input.
  auto narrow = credence::testing::mlp_network(20, {30}, 2, nn::Method::bbb);
  narrow->hold_weight_samples(100, 100000);
  EXPECT_TRUE(dynamic_cast<nn::MeanFieldLayer&>(narrow->layer(0)).holds_weight_samples());
}

TEST(HeldWeightSamples, AConvolutionFirstLayerHoldsItsKernelsForEveryChunk) {
  // A 5x5 kernel on one channel: 25 multiply-adds per output, far cheaper than a normal draw per
  // output, so even the shared first layer draws S kernels once.
  nn::NetworkSpec spec{{1, 12, 12},
                       {{{"type", "bayes_conv2d"}, {"out_channels", 4}, {"kernel_size", 5}},
                        {{"type", "flatten"}},
                        {{"type", "bayes_linear"}, {"out_features", 2}}}};
  auto net = credence::testing::seeded_network(spec, 5);
  auto* first = dynamic_cast<nn::MeanFieldLayer*>(&net->layer(0));
  net->hold_weight_samples(30, 1000);
  EXPECT_TRUE(first->holds_weight_samples());
  // Sample s is one function across chunks: the same row in two calls gives the same draws.
  at::NoGradGuard no_grad;
  auto x = at::randn({3, 1, 12, 12});
  EXPECT_TRUE(at::equal(net->forward_samples(x, 30), net->forward_samples(x, 30)));
  net->release_weight_samples();
  EXPECT_FALSE(at::equal(net->forward_samples(x, 30), net->forward_samples(x, 30)));
}

TEST(HeldWeightSamples, HeldDropoutMasksAreAddressedByRowAndKeepOneMinusP) {
  nn::McDropout layer(nn::McDropoutOptions(0.3));
  auto gen = core::make_generator(10);
  layer->set_generator(gen);
  at::NoGradGuard no_grad;
  const int64_t s = 50, rows = 40, width = 100;
  const auto x = at::ones({rows, width});
  layer->hold_weight_samples(s, rows, {width}, true);
  const auto whole = layer->forward_samples(nn::SampleBatch::shared_input(x, s)).by_sample();  // [S, rows, width]
  // Rows 10..24 alone, as a chunk that starts at row 10, get the same masks.
  const auto part = layer->forward_samples(nn::SampleBatch::shared_input(x.slice(0, 10, 25), s, 10)).by_sample();
  EXPECT_TRUE(at::equal(part, whole.slice(1, 10, 25)));
  // Kept units are scaled by 1 / (1 - p); the kept fraction is 1 - p within 5 standard errors.
  const auto kept = (whole > 0).to(at::kDouble);
  EXPECT_TRUE(at::allclose(whole.masked_select(whole > 0), at::full({1}, 1.0 / 0.7), 1e-6));
  const double n = static_cast<double>(kept.numel());
  EXPECT_NEAR(kept.mean().item<double>(), 0.7, 5.0 * std::sqrt(0.21 / n));
  layer->release_weight_samples();
  EXPECT_FALSE(at::equal(layer->forward_samples(nn::SampleBatch::shared_input(x, s)).by_sample(), whole));
}

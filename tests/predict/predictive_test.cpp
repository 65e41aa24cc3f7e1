// Monte Carlo prediction: the uncertainty split, MC dropout, deterministic networks, batching.
#include "credence/core/rng.h"
#include "support/test_support.h"
#include "credence/predict/predictive_samples.h"
#include "credence/predict/uncertainty.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

TEST(Uncertainty, SplitIsTheLawOfTotalVarianceComputedByHand) {
  // Two rows, three draws.
  predict::PredictiveSamples s{at::tensor({1.0, 2.0, 3.0, 0.0, 0.0, 6.0}, at::kDouble).view({3, 2}),
                               at::tensor({0.5, 1.0, 1.5, 1.0, 1.0, 4.0}, at::kDouble).view({3, 2})};
  auto u = predict::split_uncertainty(s);
  // Row 0: means 1, 3, 0 -> mean 4/3, variance ((1/3)^2 + (5/3)^2 + (4/3)^2) / 3 = 42/27.
  EXPECT_NEAR(u.mean[0].item<double>(), 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(u.epistemic_variance[0].item<double>(), 42.0 / 27.0, 1e-12);
  EXPECT_NEAR(u.aleatoric_variance[0].item<double>(), (0.5 + 1.5 + 1.0) / 3.0, 1e-12);
  EXPECT_TRUE(at::allclose(u.total_variance, u.aleatoric_variance + u.epistemic_variance));
  // The total equals the mixture variance E[var] + E[mean^2] - E[mean]^2.
  auto mixture_variance = s.variances.mean(0) + (s.means * s.means).mean(0) - u.mean * u.mean;
  EXPECT_TRUE(at::allclose(u.total_variance, mixture_variance));
}

namespace {
predict::PredictiveSamples predict_with(nn::Method method, int64_t seed, const at::Tensor& x) {
  auto generator = core::make_generator(seed);
  inference::GaussianLikelihood likelihood;
  auto net = credence::testing::mlp_network(3, {16, 16}, 1, nn::MethodOptions().method(method).dropout(0.2), seed);
  net->set_generator(generator);
  return predict::sample_predictive(net, likelihood, x, predict::PredictOptions().samples(50));
}
}  // namespace

TEST(Prediction, McDropoutStaysStochasticAtPredictionTime) {
  auto x = at::randn({10, 3});
  auto s = predict_with(nn::Method::mcdropout, 4, x);
  auto u = predict::split_uncertainty(s);
  EXPECT_GT(u.epistemic_variance.min().item<double>(), 0.0);
  EXPECT_FALSE(at::equal(s.means[0], s.means[1]));
}

TEST(Prediction, DeterministicNetworkHasExactlyZeroEpistemicVariance) {
  auto x = at::randn({10, 3});
  auto u = predict::split_uncertainty(predict_with(nn::Method::deterministic, 4, x));
  EXPECT_EQ(u.epistemic_variance.abs().max().item<double>(), 0.0);
  EXPECT_GT(u.aleatoric_variance.min().item<double>(), 0.0);
}

TEST(Prediction, BbbInMeanModeHasZeroEpistemicVariance) {
  auto generator = core::make_generator(3);
  inference::GaussianLikelihood likelihood;
  auto net = credence::testing::mlp_network(3, {8}, 1, nn::Method::bbb);
  net->set_sampling(false);
  auto u = predict::split_uncertainty(predict::sample_predictive(net, likelihood, at::randn({5, 3})));
  EXPECT_EQ(u.epistemic_variance.abs().max().item<double>(), 0.0);
}

TEST(Prediction, BatchedPassMatchesSeparateForwardPasses) {
  // The batched pass (shared first layer, per-layer strategy, chunking) must give each row the
  // same predictive distribution as S independent forward passes with explicit weight samples.
  auto generator = core::make_generator(6);
  auto net = credence::testing::mlp_network(4, {12, 12}, 1,
                                  nn::MethodOptions().estimator(nn::Estimator::reparameterization).initial_sigma(0.3), 6);
  net->set_generator(generator);
  net->to(at::kDouble);
  auto x = at::randn({6, 4}, generator, at::kDouble);
  const int64_t samples = 20000;
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> loop;
  for (int64_t s = 0; s < samples; ++s) loop.push_back(net->forward(x).squeeze(1));
  auto looped = at::stack(loop);
  inference::GaussianLikelihood likelihood;
  likelihood->to(at::kDouble);
  auto batched = predict::sample_predictive(net, likelihood, x,
                                            predict::PredictOptions().samples(samples).max_chunk_elements(samples * 12 * 2))
                     .means;
  ASSERT_EQ(batched.sizes(), looped.sizes());
  // Means within 5 standard errors of their difference; standard deviations within 5%
  // (20,000 draws give a relative standard error of 0.5% on each).
  auto se = at::sqrt((looped.var(0) + batched.var(0)) / samples);
  EXPECT_LT(((looped.mean(0) - batched.mean(0)).abs() / se).max().item<double>(), 5.0);
  EXPECT_LT(((looped.std(0) / batched.std(0)) - 1.0).abs().max().item<double>(), 0.05);
}

TEST(Prediction, ChunkRowsBoundsTheWidestActivation) {
  auto net = credence::testing::mlp_network(8, {50, 400}, 1, nn::Method::bbb);
  EXPECT_EQ(predict::chunk_rows(net, 100, 400 * 100 * 7), 7);
  EXPECT_EQ(predict::chunk_rows(net, 100, 10), 1);
  // A convolution's widest activation is a feature map: 6 x 28 x 28 = 4704 values per row.
  nn::NetworkSpec conv{{1, 28, 28}, {{{"type", "conv2d"}, {"out_channels", 6}, {"kernel_size", 5}, {"padding", 2}},
                                     {{"type", "max_pool2d"}, {"kernel_size", 2}}, {{"type", "flatten"}},
                                     {{"type", "linear"}, {"out_features", 10}}}};
  EXPECT_EQ(predict::chunk_rows(nn::Network(conv), 10, 4704 * 10 * 3), 3);
}

TEST(Prediction, EnsembleDrawsAreSplitEvenlyOverTheMembers) {
  std::vector<nn::Network> members{credence::testing::mlp_network(3, {8}, 1, nn::Method::bbb, 1),
                                   credence::testing::mlp_network(3, {8}, 1, nn::Method::deterministic, 2)};
  std::vector<inference::GaussianLikelihood> likelihoods{inference::GaussianLikelihood(), inference::GaussianLikelihood()};
  auto x = at::randn({5, 3});
  auto s = predict::sample_predictive(members, likelihoods, x, predict::PredictOptions().samples(10));
  // 5 draws of the Bayesian member, one of the deterministic one.
  ASSERT_EQ(s.means.size(0), 6);
  at::NoGradGuard no_grad;
  members[1]->eval();
  EXPECT_TRUE(at::allclose(s.means[5], members[1]->forward(x).squeeze(1)));
}

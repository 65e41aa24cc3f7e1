// BayesLinear: its estimators and batched sampling against the exact pre-activation distribution.
#include "credence/core/kl_divergence.h"
#include "credence/core/rng.h"
#include "credence/nn/bayes_linear.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

namespace {

// A layer in float64 with varied means and standard deviations.
nn::BayesLinear make_layer(int64_t in, int64_t out, nn::Estimator estimator, at::Generator& generator) {
  nn::BayesLinear layer(nn::BayesLinearOptions(in, out).estimator(estimator));
  layer->to(at::kDouble);
  layer->set_generator(generator);
  at::NoGradGuard no_grad;
  layer->weight_mu.copy_(at::randn({out, in}, generator, at::kDouble));
  layer->weight_rho.copy_(at::randn({out, in}, generator, at::kDouble) - 1.0);
  layer->bias_mu.copy_(at::randn({out}, generator, at::kDouble));
  layer->bias_rho.copy_(at::randn({out}, generator, at::kDouble) - 1.0);
  return layer;
}

struct Moments {
  at::Tensor mean, variance;
};

// Exact mean x mu^T + b and variance x^2 sigma^2^T + sigma_b^2 of the pre-activations.
Moments exact_moments(nn::BayesLinear& layer, const at::Tensor& x) {
  auto ws = layer->weight_sigma();
  auto bs = layer->bias_sigma();
  return {at::linear(x, layer->weight_mu, layer->bias_mu), at::linear(x * x, ws * ws, bs * bs)};
}

void expect_moments(const at::Tensor& samples, const Moments& exact) {
  credence::testing::expect_moments(samples, exact.mean, exact.variance);
}

}  // namespace

TEST(BayesLinear, LocalReparameterizationAndFlipoutMatchExplicitWeightSampling) {
  auto generator = core::make_generator(1);
  auto x = at::randn({3, 5}, generator, at::kDouble);
  const int64_t draws = 20000;
  auto local = make_layer(5, 4, nn::Estimator::local_reparameterization, generator);
  auto explicit_weights = make_layer(5, 4, nn::Estimator::reparameterization, generator);
  auto flipout = make_layer(5, 4, nn::Estimator::flipout, generator);
  {
    at::NoGradGuard no_grad;
    for (auto& p : explicit_weights->named_parameters()) p.value().copy_(local->named_parameters()[p.key()]);
    for (auto& p : flipout->named_parameters()) p.value().copy_(local->named_parameters()[p.key()]);
  }
  std::vector<at::Tensor> local_draws, weight_draws, flipout_draws;
  at::NoGradGuard no_grad;
  for (int64_t i = 0; i < draws; ++i) {
    local_draws.push_back(local->forward(x));
    weight_draws.push_back(explicit_weights->forward(x));
    flipout_draws.push_back(flipout->forward(x));
  }
  auto exact = exact_moments(local, x);
  expect_moments(at::stack(local_draws), exact);
  expect_moments(at::stack(weight_draws), exact);
  // Flipout: every row's pre-activations have the exact marginal distribution too.
  expect_moments(at::stack(flipout_draws), exact);
}

TEST(BayesLinear, BatchedSamplingStrategiesGiveTheExactMarginals) {
  auto generator = core::make_generator(2);
  auto layer = make_layer(6, 3, nn::Estimator::local_reparameterization, generator);
  auto x = at::randn({4, 6}, generator, at::kDouble);
  auto exact = exact_moments(layer, x);
  const int64_t samples = 20000;
  at::NoGradGuard no_grad;
  for (auto strategy : {nn::SamplingStrategy::pre_activations, nn::SamplingStrategy::weights}) {
    SCOPED_TRACE(strategy == nn::SamplingStrategy::weights ? "weights" : "pre-activations");
    // Shared input [B, in] and per-sample input [S*B, in].
    auto shared = layer->forward_samples(nn::SampleBatch::shared_input(x, samples), strategy);
    ASSERT_FALSE(shared.shared);
    ASSERT_EQ(shared.values.sizes(), (std::vector<int64_t>{samples * 4, 3}));
    expect_moments(shared.by_sample(), exact);
    auto tiled = layer->forward_samples(nn::SampleBatch::per_sample(x.repeat({samples, 1}), samples), strategy);
    expect_moments(tiled.by_sample(), exact);
  }
}

TEST(BayesLinear, MeanModeIsDeterministicAndUsesTheMeans) {
  auto generator = core::make_generator(3);
  auto layer = make_layer(3, 2, nn::Estimator::local_reparameterization, generator);
  auto x = at::randn({5, 3}, generator, at::kDouble);
  layer->set_sampling(false);
  auto a = layer->forward(x);
  auto b = layer->forward(x);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_TRUE(at::allclose(a, at::linear(x, layer->weight_mu, layer->bias_mu)));
}

TEST(BayesLinear, KlIsTheClosedFormOverWeightsAndBias) {
  auto generator = core::make_generator(4);
  auto layer = make_layer(3, 2, nn::Estimator::local_reparameterization, generator);
  const double expected = core::kl_gaussian_closed_form(layer->weight_mu, layer->weight_sigma(), 1.0).item<double>() +
                          core::kl_gaussian_closed_form(layer->bias_mu, layer->bias_sigma(), 1.0).item<double>();
  EXPECT_NEAR(layer->kl().item<double>(), expected, 1e-12);
}

TEST(BayesLinear, MixturePriorKlReusesTheForwardSampleWithReparameterization) {
  auto generator = core::make_generator(5);
  auto prior = core::PriorOptions().kind(core::PriorKind::scale_mixture);
  nn::BayesLinear layer(nn::BayesLinearOptions(2, 2).prior(prior).estimator(nn::Estimator::reparameterization));
  layer->set_generator(generator);
  auto x = at::randn({1, 2}, generator);
  layer->forward(x);
  auto kl = layer->kl();
  EXPECT_TRUE(std::isfinite(kl.item<double>()));
  // The gradient reaches mu and rho through the sampled weights.
  kl.backward();
  EXPECT_GT(layer->weight_rho.grad().abs().sum().item<double>(), 0.0);
}

TEST(BayesLinear, KlAfterAnInPlaceUpdateUsesTheNewParameters) {
  auto generator = core::make_generator(6);
  auto layer = make_layer(3, 2, nn::Estimator::local_reparameterization, generator);
  layer->forward(at::randn({4, 3}, generator, at::kDouble));
  {
    at::NoGradGuard no_grad;
    layer->weight_rho.add_(0.5);  // what an optimiser step does
  }
  const double expected = core::kl_gaussian_closed_form(layer->weight_mu, layer->weight_sigma(), 1.0).item<double>() +
                          core::kl_gaussian_closed_form(layer->bias_mu, layer->bias_sigma(), 1.0).item<double>();
  EXPECT_NEAR(layer->kl().item<double>(), expected, 1e-12);
}

TEST(BayesLinear, FlipoutDecorrelatesRowsThatShareTheWeightSample) {
  // Two identical rows: with one weight sample per pass (reparameterization) their outputs
  // are the same draw; Flipout's random signs make them uncorrelated.
  auto generator = core::make_generator(8);
  auto flipout = make_layer(4, 3, nn::Estimator::flipout, generator);
  auto shared = make_layer(4, 3, nn::Estimator::reparameterization, generator);
  auto row = at::randn({1, 4}, generator, at::kDouble);
  auto x = at::cat({row, row});
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> f, r;
  for (int i = 0; i < 20000; ++i) {
    f.push_back(flipout->forward(x));
    r.push_back(shared->forward(x));
  }
  auto correlation = [](const at::Tensor& draws) {  // [n, 2, out] -> per output unit
    auto a = draws.select(1, 0), b = draws.select(1, 1);
    auto ca = a - a.mean(0), cb = b - b.mean(0);
    return (ca * cb).mean(0) / (ca.std(0, false) * cb.std(0, false));
  };
  // 20,000 draws: the sample correlation of independent rows has sd 1/sqrt(20000) = 0.007.
  EXPECT_LT(correlation(at::stack(f)).abs().max().item<double>(), 0.04);
  EXPECT_GT(correlation(at::stack(r)).min().item<double>(), 0.999);
}

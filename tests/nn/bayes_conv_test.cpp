// BayesConv1d/2d: every estimator and batched sampling strategy against the exact distribution of
// the pre-activations, Flipout's decorrelation, and the KL against its closed form.
#include "credence/core/kl_divergence.h"
#include "credence/core/rng.h"
#include "credence/nn/bayes_conv.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

namespace {

// A float64 layer with varied means and standard deviations.
template <size_t D>
nn::BayesConvImpl<D>& randomise(nn::BayesConvImpl<D>& layer, at::Generator& generator) {
  layer.to(at::kDouble);
  layer.set_generator(generator);
  at::NoGradGuard no_grad;
  layer.weight_mu.copy_(at::randn(layer.weight_mu.sizes(), generator, at::kDouble));
  layer.weight_rho.copy_(at::randn(layer.weight_rho.sizes(), generator, at::kDouble) - 1.0);
  layer.bias_mu.copy_(at::randn(layer.bias_mu.sizes(), generator, at::kDouble));
  layer.bias_rho.copy_(at::randn(layer.bias_rho.sizes(), generator, at::kDouble) - 1.0);
  return layer;
}

std::shared_ptr<nn::BayesConv2dImpl> conv2d(nn::Estimator estimator, at::Generator& generator) {
  auto layer = std::make_shared<nn::BayesConv2dImpl>(
      nn::BayesConv2dOptions(2, 3, {3, 2}).padding({1, 0}).stride({1, 2}).estimator(estimator));
  randomise(*layer, generator);
  return layer;
}

// Each output's exact mean conv(x, mu) + b and variance conv(x^2, sigma^2) + sigma_b^2: the weights
// are independent and each output sums every weight of its channel once.
template <size_t D>
std::pair<at::Tensor, at::Tensor> exact_moments(nn::BayesConvImpl<D>& layer, const at::Tensor& x) {
  const auto& g = layer.geometry();
  auto ws = layer.weight_sigma(), bs = layer.bias_sigma();
  return {g.convolve(x, layer.weight_mu, layer.bias_mu), g.convolve(x * x, ws * ws, bs * bs)};
}

}  // namespace

TEST(BayesConv, EveryEstimatorHasTheExactPreActivationDistribution) {
  auto generator = core::make_generator(1);
  auto x = at::randn({2, 2, 5, 6}, generator, at::kDouble);
  const int64_t draws = 4000;
  for (auto estimator : {nn::Estimator::local_reparameterization, nn::Estimator::reparameterization, nn::Estimator::flipout}) {
    SCOPED_TRACE(nn::to_string(estimator));
    auto layer = conv2d(estimator, generator);
    auto [mean, variance] = exact_moments(*layer, x);
    std::vector<at::Tensor> samples;
    at::NoGradGuard no_grad;
    for (int64_t i = 0; i < draws; ++i) samples.push_back(layer->forward(x));
    credence::testing::expect_moments(at::stack(samples), mean, variance);
  }
}

TEST(BayesConv, Conv1dLocalReparameterizationMatchesTheExactMoments) {
  auto generator = core::make_generator(2);
  nn::BayesConv1dImpl layer(nn::BayesConv1dOptions(3, 2, 4).dilation(2).padding(2));
  randomise(layer, generator);
  auto x = at::randn({1, 3, 9}, generator, at::kDouble);
  auto [mean, variance] = exact_moments(layer, x);
  at::NoGradGuard no_grad;
  // Local reparameterization draws independent noise per row: 4000 copies of the row are 4000 draws.
  auto draws = layer.forward(x.expand({4000, 3, 9}).contiguous());
  credence::testing::expect_moments(draws.unsqueeze(1), mean, variance);
}

TEST(BayesConv, BatchedSamplingStrategiesGiveTheExactMarginals) {
  auto generator = core::make_generator(3);
  auto layer = conv2d(nn::Estimator::local_reparameterization, generator);
  auto x = at::randn({3, 2, 5, 6}, generator, at::kDouble);
  auto [mean, variance] = exact_moments(*layer, x);
  const int64_t samples = 6000;
  at::NoGradGuard no_grad;
  for (auto strategy : {nn::SamplingStrategy::pre_activations, nn::SamplingStrategy::weights}) {
    SCOPED_TRACE(strategy == nn::SamplingStrategy::weights ? "weights" : "pre-activations");
    auto shared = layer->forward_samples(nn::SampleBatch::shared_input(x, samples), strategy);
    ASSERT_FALSE(shared.shared);
    ASSERT_EQ(shared.values.sizes(), (std::vector<int64_t>{samples * 3, 3, 5, 3}));
    credence::testing::expect_moments(shared.by_sample(), mean, variance);
    auto tiled = layer->forward_samples(nn::SampleBatch::per_sample(x.repeat({samples, 1, 1, 1}), samples), strategy);
    credence::testing::expect_moments(tiled.by_sample(), mean, variance);
  }
}

TEST(BayesConv, WeightSamplesMakeEachSampleOneConvolution) {
  // With one weight sample per Monte Carlo sample, all rows of sample s see the same kernels: two
  // equal rows give equal outputs within a sample and different ones across samples.
  auto generator = core::make_generator(4);
  auto layer = conv2d(nn::Estimator::local_reparameterization, generator);
  auto row = at::randn({1, 2, 5, 6}, generator, at::kDouble);
  auto x = at::cat({row, row});
  at::NoGradGuard no_grad;
  auto y = layer->forward_samples(nn::SampleBatch::shared_input(x, 4), nn::SamplingStrategy::weights).by_sample();
  EXPECT_TRUE(at::allclose(y[1][0], y[1][1]));
  EXPECT_FALSE(at::allclose(y[1][0], y[2][0]));
  auto z = layer->forward_samples(nn::SampleBatch::per_sample(x.repeat({4, 1, 1, 1}), 4), nn::SamplingStrategy::weights)
               .by_sample();
  EXPECT_TRUE(at::allclose(z[3][0], z[3][1]));
}

TEST(BayesConv, FlipoutDecorrelatesRowsThatShareTheWeightSample) {
  auto generator = core::make_generator(5);
  auto flipout = conv2d(nn::Estimator::flipout, generator);
  auto shared = conv2d(nn::Estimator::reparameterization, generator);
  auto row = at::randn({1, 2, 5, 6}, generator, at::kDouble);
  auto x = at::cat({row, row});
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> f, r;
  for (int i = 0; i < 10000; ++i) {
    f.push_back(flipout->forward(x).flatten(1));
    r.push_back(shared->forward(x).flatten(1));
  }
  auto correlation = [](const at::Tensor& draws) {  // [n, 2, outputs] -> per output
    auto a = draws.select(1, 0), b = draws.select(1, 1);
    auto ca = a - a.mean(0), cb = b - b.mean(0);
    return (ca * cb).mean(0) / (ca.std(0, false) * cb.std(0, false));
  };
  // 10,000 draws: the sample correlation of uncorrelated rows has sd 0.01; 45 outputs.
  EXPECT_LT(correlation(at::stack(f)).abs().max().item<double>(), 0.05);
  EXPECT_GT(correlation(at::stack(r)).min().item<double>(), 0.999);
}

TEST(BayesConv, KlIsTheClosedFormAndTheMixtureEstimateIsUnbiased) {
  auto generator = core::make_generator(6);
  auto layer = conv2d(nn::Estimator::local_reparameterization, generator);
  const double expected = core::kl_gaussian_closed_form(layer->weight_mu, layer->weight_sigma(), 1.0).item<double>() +
                          core::kl_gaussian_closed_form(layer->bias_mu, layer->bias_sigma(), 1.0).item<double>();
  EXPECT_NEAR(layer->kl().item<double>(), expected, 1e-9 * std::abs(expected));
  // By hand over the 3*2*3*2 + 3 elements: log(1 / sigma) + (sigma^2 + mu^2) / 2 - 1/2.
  auto terms = [](const at::Tensor& mu, const at::Tensor& sigma) {
    return (-at::log(sigma) + (sigma * sigma + mu * mu) / 2 - 0.5).sum().item<double>();
  };
  EXPECT_NEAR(expected, terms(layer->weight_mu, layer->weight_sigma()) + terms(layer->bias_mu, layer->bias_sigma()),
              1e-9 * std::abs(expected));
  // A Gaussian prior written as a mixture of two equal Gaussians: the one-sample Monte Carlo KL
  // averages to the same closed form.
  auto as_mixture = std::make_shared<nn::BayesConv2dImpl>(nn::BayesConv2dOptions(2, 3, {3, 2}).padding({1, 0}).stride({1, 2}).prior(
      core::PriorOptions().kind(core::PriorKind::scale_mixture).pi(0.5).sigma1(1.0).sigma2(1.0 - 1e-9)));
  as_mixture->to(at::kDouble);
  {
    at::NoGradGuard no_grad;
    for (auto& p : as_mixture->named_parameters()) p.value().copy_(layer->named_parameters()[p.key()]);
  }
  as_mixture->set_generator(generator);
  at::NoGradGuard no_grad;
  std::vector<double> estimates;
  for (int i = 0; i < 4000; ++i) estimates.push_back(as_mixture->kl().item<double>());
  auto t = at::tensor(estimates, at::kDouble);
  EXPECT_NEAR(t.mean().item<double>(), expected, 5 * t.std().item<double>() / std::sqrt(4000.0));
}

TEST(BayesConv, RejectsInputsItDoesNotTake) {
  nn::BayesConv2d layer(nn::BayesConv2dOptions(1, 4, 5));
  EXPECT_THROW(layer->output_shape({1, 3, 3}), std::invalid_argument);   // smaller than the kernel
  EXPECT_THROW(layer->output_shape({2, 28, 28}), std::invalid_argument); // channels
  EXPECT_THROW(layer->output_shape({784}), std::invalid_argument);       // flat
  EXPECT_EQ(layer->output_shape({1, 28, 28}), (nn::Shape{4, 24, 24}));
}

// Input dropout of an MC-dropout Mlp: the moments of the sampled outputs against their closed form.
#include "credence/core/rng.h"
#include "credence/nn/mlp.h"

#include <gtest/gtest.h>

using namespace credence;

TEST(MlpInputDropout, SampledOutputsHaveTheExactMeanAndVariance) {
  // No hidden layer: y = sum_j w_j m_j x_j / (1 - p) + b with m_j ~ Bernoulli(1 - p), so
  // E[y] = w.x + b and Var[y] = p / (1 - p) sum_j w_j^2 x_j^2.
  const double p = 0.3;
  nn::Mlp net(nn::MlpOptions(5, {}, 1).method(nn::Method::mcdropout).input_dropout(p));
  auto gen = core::make_generator(4);
  net->set_generator(gen);
  net->reset_parameters();
  ASSERT_TRUE(net->is_stochastic());
  at::NoGradGuard no_grad;
  auto x = at::randn({3, 5}, gen);
  const int64_t samples = 40000;
  auto y = net->forward_samples(x, samples).squeeze(2);  // [S, 3]
  auto w = net->linear_layers[0]->weight.squeeze(0);
  auto exact_mean = at::mv(x, w) + net->linear_layers[0]->bias;
  auto exact_variance = p / (1 - p) * at::mv(x * x, w * w);
  auto mean = y.mean(0), variance = y.var(0);
  // 5 standard errors of the mean; the variance within 5%.
  EXPECT_TRUE(at::all(at::abs(mean - exact_mean) < 5 * at::sqrt(exact_variance / samples)).item<bool>());
  EXPECT_TRUE(at::allclose(variance, exact_variance, 0.05, 0.0));
  // A training pass uses the same masks' distribution: one pass differs from the mean somewhere.
  EXPECT_FALSE(at::allclose(net->forward(x).squeeze(1), exact_mean));
}

TEST(MlpInputDropout, OffByDefaultAndValidated) {
  nn::Mlp net(nn::MlpOptions(4, {}, 1).method(nn::Method::mcdropout));
  EXPECT_FALSE(net->is_stochastic());
  EXPECT_THROW(nn::Mlp(nn::MlpOptions(4, {3}, 1).method(nn::Method::mcdropout).input_dropout(1.0)),
               std::invalid_argument);
}

// MC dropout layers: the moments of sampled outputs against their closed form, element- and channel-wise.
#include "credence/core/rng.h"
#include "credence/nn/linear.h"
#include "credence/nn/mc_dropout.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;

TEST(McDropout, InputDropoutSampledOutputsHaveTheExactMeanAndVariance) {
  // No hidden layer: y = sum_j w_j m_j x_j / (1 - p) + b with m_j ~ Bernoulli(1 - p), so
  // E[y] = w.x + b and Var[y] = p / (1 - p) sum_j w_j^2 x_j^2.
  const double p = 0.3;
  auto net = credence::testing::mlp_network(5, {}, 1, nn::MethodOptions().method(nn::Method::mcdropout).input_dropout(p), 4);
  ASSERT_TRUE(net->is_stochastic());
  ASSERT_EQ(net->size(), 2u);  // dropout, linear
  at::NoGradGuard no_grad;
  auto gen = core::make_generator(5);
  auto x = at::randn({3, 5}, gen);
  const int64_t samples = 40000;
  auto y = net->forward_samples(x, samples).squeeze(2);  // [S, 3]
  auto& linear = dynamic_cast<nn::LinearImpl&>(net->layer(1));
  auto w = linear.weight.squeeze(0);
  auto exact_mean = at::mv(x, w) + linear.bias;
  auto exact_variance = p / (1 - p) * at::mv(x * x, w * w);
  auto mean = y.mean(0), variance = y.var(0);
  // 5 standard errors of the mean; the variance within 5%.
  EXPECT_TRUE(at::all(at::abs(mean - exact_mean) < 5 * at::sqrt(exact_variance / samples)).item<bool>());
  EXPECT_TRUE(at::allclose(variance, exact_variance, 0.05, 0.0));
  // A training pass uses the same masks' distribution: one pass differs from the mean somewhere.
  EXPECT_FALSE(at::allclose(net->forward(x).squeeze(1), exact_mean));
}

TEST(McDropout, OffByDefaultAndValidated) {
  auto net = credence::testing::mlp_network(4, {}, 1, nn::Method::mcdropout);
  EXPECT_FALSE(net->is_stochastic());
  EXPECT_THROW(credence::testing::mlp_network(4, {3}, 1, nn::MethodOptions().method(nn::Method::mcdropout).input_dropout(1.0)),
               std::invalid_argument);
}

TEST(McDropout, ChannelWiseDropsWholeFeatureMapsWithTheRightRate) {
  const double p = 0.25;
  nn::McDropout dropout(nn::McDropoutOptions(p).kind(nn::DropoutKind::channel));
  dropout->set_generator(core::make_generator(6));
  auto x = at::ones({2, 3, 4, 4});
  const int64_t samples = 4000;
  auto y = dropout->forward_samples(nn::SampleBatch::shared_input(x, samples)).values.view({samples, 2, 3, 16});
  // Every map is all kept (1 / (1 - p)) or all dropped (0).
  auto first = y.select(3, 0).unsqueeze(3);
  EXPECT_TRUE(at::equal(y, first.expand_as(y)));
  const double dropped = (first == 0).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(dropped, p, 5 * std::sqrt(p * (1 - p) / (samples * 6)));
  EXPECT_NEAR(first.max().item<double>(), 1.0 / (1.0 - p), 1e-6);
  // Element-wise masks differ within a map.
  nn::McDropout element{nn::McDropoutOptions(p)};
  element->set_generator(core::make_generator(7));
  auto z = element->forward(x).view({2, 3, 16});
  EXPECT_FALSE(at::equal(z, z.select(2, 0).unsqueeze(2).expand_as(z)));
}

// Pruning by signal-to-noise ratio: exact counts, the lowest ratios go, pruned weights are inert.
#include "credence/core/rng.h"
#include "credence/nn/mean_field_layer.h"
#include "credence/nn/snr_pruning.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

namespace {

std::vector<nn::MeanFieldLayer*> bayes_layers(nn::Network& net) {
  std::vector<nn::MeanFieldLayer*> out;
  for (size_t i = 0; i < net->size(); ++i) {
    if (auto* l = dynamic_cast<nn::MeanFieldLayer*>(&net->layer(i))) out.push_back(l);
  }
  return out;
}

nn::Network make_bbb(uint64_t seed) {
  auto net = credence::testing::mlp_network(6, {9}, 3, nn::Method::bbb, seed);
  auto gen = core::make_generator(seed + 100);
  at::NoGradGuard no_grad;
  for (auto* layer : bayes_layers(net)) {
    layer->weight_rho.copy_(at::randn(layer->weight_rho.sizes(), gen) - 3.0);
    layer->bias_rho.copy_(at::randn(layer->bias_rho.sizes(), gen) - 3.0);
  }
  return net;
}

at::Tensor all_ratios(nn::Network& net) {
  std::vector<at::Tensor> r;
  for (auto* l : bayes_layers(net)) {
    r.push_back((l->weight_mu.abs() / at::softplus(l->weight_rho)).flatten());
    r.push_back((l->bias_mu.abs() / at::softplus(l->bias_rho)).flatten());
  }
  return at::cat(r);
}

}  // namespace

TEST(SnrPruning, RemovesExactlyTheRequestedFractionWithTheLowestRatios) {
  const int64_t total = 6 * 9 + 9 + 9 * 3 + 3;  // 93
  for (double fraction : {0.0, 0.5, 0.75, 0.95, 0.98}) {
    auto net = make_bbb(1);
    auto before = all_ratios(net);
    auto report = nn::prune_by_signal_to_noise(net, fraction);
    const auto expected = static_cast<int64_t>(std::llround(fraction * total));
    EXPECT_EQ(report.total, total);
    EXPECT_EQ(report.removed, expected);
    EXPECT_EQ(report.kept, total - expected);
    EXPECT_EQ(nn::count_pruned(net), expected);
    // Per layer: the weights and biases whose mean is still non-zero (the ratio after pruning is
    // 0/0 for a removed one).
    ASSERT_EQ(report.kept_per_layer.size(), 2u);
    EXPECT_EQ(report.layers, (std::vector<size_t>{0, 2}));
    for (size_t l = 0; l < 2; ++l) {
      const auto* layer = bayes_layers(net)[l];
      const auto kept_here = (at::softplus(layer->weight_rho) > 0).sum().item<int64_t>() +
                             (at::softplus(layer->bias_rho) > 0).sum().item<int64_t>();
      EXPECT_EQ(report.kept_per_layer[l], kept_here) << "layer " << l;
    }
    EXPECT_EQ(report.kept_per_layer[0] + report.kept_per_layer[1], report.kept);
    if (expected > 0) {
      // Every removed weight had a ratio <= every kept one.
      auto sorted = std::get<0>(before.sort());
      EXPECT_NEAR(report.threshold, sorted[expected - 1].item<double>(), 1e-6 * report.threshold);
      auto after = all_ratios(net);
      auto kept = before.masked_select(~at::isnan(after) & (after > 0));
      EXPECT_GE(kept.min().item<double>(), report.threshold);
    }
  }
}

TEST(SnrPruning, PrunedWeightsContributeNothing) {
  auto net = make_bbb(2);
  nn::prune_by_signal_to_noise(net, 1.0);
  // Every weight and bias removed: the output is exactly zero for every sample.
  auto x = at::randn({4, 6});
  auto out = net->forward_samples(x, 5);
  EXPECT_EQ(out.abs().max().item<double>(), 0.0);
  // A training pass keeps a 1e-16 variance floor inside the square root (mean_field_layer.cpp): noise of 1e-8.
  EXPECT_LT(net->forward(x).abs().max().item<double>(), 1e-6);
}

TEST(SnrPruning, RejectsOtherMethodsAndBadFractions) {
  auto det = credence::testing::mlp_network(2, {3}, 1, nn::Method::deterministic);
  EXPECT_THROW(nn::prune_by_signal_to_noise(det, 0.5), std::invalid_argument);
  auto net = make_bbb(3);
  EXPECT_THROW(nn::prune_by_signal_to_noise(net, 1.5), std::invalid_argument);
  EXPECT_THROW(nn::prune_by_signal_to_noise(net, -0.1), std::invalid_argument);
}

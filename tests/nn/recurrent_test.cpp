// Recurrent layers: the cells against LibTorch's own LSTM and GRU, one weight sample and one dropout
// mask for every time step, the Bayesian layers' gradients against finite differences, the method
// transformations and the spec round trip.
#include "credence/core/normal_noise.h"
#include "credence/core/rng.h"
#include "credence/nn/bayes_recurrent.h"
#include "credence/nn/layer_registry.h"
#include "credence/nn/method.h"
#include "credence/nn/network.h"
#include "credence/nn/network_options.h"
#include "credence/nn/network_presets.h"
#include "credence/nn/recurrent.h"
#include "support/test_support.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace credence;
using nlohmann::json;

namespace {

nn::RecurrentOptions recurrent_options(nn::CellKind kind, int64_t in, int64_t hidden, nn::SequenceOutput output) {
  nn::RecurrentOptions options;
  options.kind = kind;
  options.input_size = in;
  options.hidden_size = hidden;
  options.output = output;
  return options;
}

// LibTorch's own recurrence (ATen's lstm and gru) with the layer's weights: [B, T, H].
at::Tensor torch_reference(nn::CellKind kind, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                           int64_t in) {
  const int64_t hidden = weight.size(1) - in;
  std::vector<at::Tensor> params{weight.narrow(1, 0, in).contiguous(), weight.narrow(1, in, hidden).contiguous(), bias,
                                 at::zeros_like(bias)};
  auto h0 = at::zeros({1, x.size(0), hidden}, x.options());
  if (kind == nn::CellKind::lstm) {
    return std::get<0>(at::lstm(x, {h0, h0}, params, true, 1, 0.0, false, false, true));
  }
  return std::get<0>(at::gru(x, h0, params, true, 1, 0.0, false, false, true));
}

class RecurrentCells : public ::testing::TestWithParam<nn::CellKind> {};

}  // namespace

TEST_P(RecurrentCells, MatchLibTorchStepByStep) {
  const auto kind = GetParam();
  auto gen = core::make_generator(3);
  for (auto output : {nn::SequenceOutput::sequence, nn::SequenceOutput::last}) {
    nn::RecurrentImpl layer(recurrent_options(kind, 3, 5, output));
    layer.set_generator(gen);
    layer.reset_parameters();
    layer.to(at::kDouble);
    auto x = at::randn({4, 7, 3}, gen).to(at::kDouble);
    auto reference = torch_reference(kind, x, layer.weight, layer.bias, 3);
    auto y = layer.forward(x);
    if (output == nn::SequenceOutput::last) reference = reference.select(1, 6);
    ASSERT_EQ(y.sizes(), reference.sizes());
    EXPECT_TRUE(at::allclose(y, reference, 1e-12, 1e-12)) << (y - reference).abs().max().item<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(Recurrent, RecurrentCells, ::testing::Values(nn::CellKind::lstm, nn::CellKind::gru));

TEST(Recurrent, OneWeightSampleServesEveryTimeStep) {
  // Reparameterization through time: a training pass of a bayes_lstm equals the deterministic
  // recurrence with the one weight sample mu + sigma eps drawn from the same generator state.
  auto gen = core::make_generator(11);
  auto mean_field = nn::MeanFieldOptions().estimator(nn::Estimator::reparameterization).initial_sigma(0.3);
  nn::BayesRecurrentImpl layer(recurrent_options(nn::CellKind::lstm, 2, 4, nn::SequenceOutput::sequence), mean_field);
  layer.set_generator(gen);
  layer.reset_parameters();
  auto x = at::randn({3, 6, 2}, gen);
  auto state = gen.get_state();
  auto y = layer.forward(x);
  gen.set_state(state);
  auto eps_w = core::standard_normal(layer.weight_mu.sizes(), gen);
  auto eps_b = core::standard_normal(layer.bias_mu.sizes(), gen);
  at::NoGradGuard no_grad;
  auto w = layer.weight_mu + layer.weight_sigma() * eps_w, b = layer.bias_mu + layer.bias_sigma() * eps_b;
  auto expected = nn::run_recurrence(layer.options, x.unsqueeze(0), nn::split_recurrent_weight(w, b, 2)).squeeze(0);
  EXPECT_TRUE(at::allclose(y, expected, 1e-5, 1e-6));

  // Monte Carlo: sample s of a pass is one function, its held weight sample at every step and row.
  const int64_t samples = 5;
  state = gen.get_state();
  layer.hold_weight_samples(samples, 3, {6, 2}, true);
  auto draws = layer.forward_samples(nn::SampleBatch::shared_input(x, samples)).by_sample();  // [S, 3, 6, 4]
  layer.release_weight_samples();
  gen.set_state(state);
  auto eps_ws = core::standard_normal({samples, 16, 6}, gen);
  auto eps_bs = core::standard_normal({samples, 16}, gen);
  for (int64_t s = 0; s < samples; ++s) {
    auto ws = layer.weight_mu + layer.weight_sigma() * eps_ws[s], bs = layer.bias_mu + layer.bias_sigma() * eps_bs[s];
    auto one = nn::run_recurrence(layer.options, x.unsqueeze(0), nn::split_recurrent_weight(ws, bs, 2)).squeeze(0);
    EXPECT_TRUE(at::allclose(draws[s], one, 1e-5, 1e-6)) << "sample " << s;
  }
  // The samples differ from one another.
  EXPECT_FALSE(at::allclose(draws[0], draws[1], 1e-3, 1e-3));
}

TEST(Recurrent, DropoutMaskIsTheSameAtEveryStep) {
  // A training pass of an lstm with dropout p equals the recurrence with one Bernoulli mask per
  // sequence over [input, state], drawn as the layer draws it, applied at every step.
  const double p = 0.4;
  auto gen = core::make_generator(5);
  nn::RecurrentImpl layer(recurrent_options(nn::CellKind::gru, 3, 4, nn::SequenceOutput::sequence), p);
  layer.set_generator(gen);
  layer.reset_parameters();
  ASSERT_TRUE(layer.is_stochastic());
  auto x = at::randn({6, 5, 3}, gen);
  auto state = gen.get_state();
  auto y = layer.forward(x);
  gen.set_state(state);
  auto mask = at::empty({6, 7}).bernoulli_(1.0 - p, gen).div_(1.0 - p).unsqueeze(0);
  auto weights = nn::split_recurrent_weight(layer.weight, layer.bias, 3);
  auto expected = nn::run_recurrence(layer.options, x.unsqueeze(0), weights, mask.narrow(2, 0, 3), mask.narrow(2, 3, 4)).squeeze(0);
  EXPECT_TRUE(at::allclose(y, expected, 1e-5, 1e-6));
  // The next pass draws its own mask.
  EXPECT_FALSE(at::allclose(layer.forward(x), y));
  // Off (the mean network): no mask.
  layer.set_sampling(false);
  auto mean = nn::run_recurrence(layer.options, x.unsqueeze(0), weights).squeeze(0);
  EXPECT_TRUE(at::allclose(layer.forward(x), mean));
}

TEST(Recurrent, BayesianGradientsMatchFiniteDifferences) {
  // The ELBO's parts, 0.5 |y - t|^2 + KL, with the noise (weights, signs) fixed by the generator's
  // state, in float64: autograd against central differences for every mu and rho, both estimators.
  for (auto estimator : {nn::Estimator::reparameterization, nn::Estimator::flipout}) {
    for (auto kind : {nn::CellKind::lstm, nn::CellKind::gru}) {
      auto gen = core::make_generator(21);
      auto mean_field = nn::MeanFieldOptions().estimator(estimator).initial_sigma(0.2);
      nn::BayesRecurrentImpl layer(recurrent_options(kind, 2, 3, nn::SequenceOutput::last), mean_field);
      layer.set_generator(gen);
      layer.reset_parameters();
      layer.to(at::kDouble);
      auto x = at::randn({3, 4, 2}, gen).to(at::kDouble);
      auto target = at::randn({3, 3}, gen).to(at::kDouble);
      const auto state = gen.get_state();
      auto loss = [&]() {
        gen.set_state(state);
        auto y = layer.forward(x);
        return 0.5 * (y - target).pow(2).sum() + layer.kl();
      };
      auto value = loss();
      value.backward();
      for (auto* parameter : {&layer.weight_mu, &layer.weight_rho, &layer.bias_mu, &layer.bias_rho}) {
        auto grad = parameter->grad().clone();
        at::NoGradGuard no_grad;
        auto flat = parameter->view({-1});
        for (int64_t i = 0; i < flat.numel(); i += 5) {
          const double h = 1e-6, saved = flat[i].item<double>();
          flat[i].fill_(saved + h);
          const double up = loss().item<double>();
          flat[i].fill_(saved - h);
          const double down = loss().item<double>();
          flat[i].fill_(saved);
          const double numeric = (up - down) / (2 * h);
          EXPECT_NEAR(grad.view({-1})[i].item<double>(), numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
              << nn::to_string(estimator) << " " << layer.type() << " element " << i;
        }
      }
    }
  }
}

TEST(Recurrent, MethodsTransformRecurrentLayers) {
  nn::NetworkSpec plain{{8, 2}, {json{{"type", "lstm"}, {"hidden_size", 6}}, json{{"type", "linear"}, {"out_features", 1}}}};
  // bbb: the Bayesian form, with reparam where the method's default estimator is local.
  auto bbb = nn::apply_method(plain, nn::MethodOptions().method(nn::Method::bbb));
  EXPECT_EQ(bbb.layers[0].at("type"), "bayes_lstm");
  EXPECT_EQ(bbb.layers[0].at("estimator"), "reparam");
  EXPECT_TRUE(nn::NetworkImpl(bbb).is_bayesian());
  auto flipout = nn::apply_method(plain, nn::MethodOptions().method(nn::Method::bbb).estimator(nn::Estimator::flipout));
  EXPECT_EQ(flipout.layers[0].at("estimator"), "flipout");
  // mcdropout: the recurrent layer's own mask (no dropout layer before it); a dropout layer before the dense head.
  auto dropout = nn::apply_method(plain, nn::MethodOptions().method(nn::Method::mcdropout).dropout(0.25));
  ASSERT_EQ(dropout.layers.size(), 3u);
  EXPECT_EQ(dropout.layers[0].at("type"), "lstm");
  EXPECT_DOUBLE_EQ(dropout.layers[0].at("dropout").get<double>(), 0.25);
  EXPECT_EQ(dropout.layers[1].at("type"), "mc_dropout");
  EXPECT_EQ(nn::method_of(dropout), nn::Method::mcdropout);
  EXPECT_TRUE(nn::NetworkImpl(dropout).is_stochastic());
  // A recurrent layer with dropout is not a deterministic or a bbb network.
  EXPECT_THROW(nn::apply_method(dropout, nn::MethodOptions().method(nn::Method::deterministic)), std::invalid_argument);
  EXPECT_THROW(nn::apply_method(dropout, nn::MethodOptions().method(nn::Method::bbb)), std::invalid_argument);
  // Local reparameterization is refused, naming the layer and why.
  nn::NetworkSpec local{{8, 2}, {json{{"type", "bayes_gru"}, {"hidden_size", 3}, {"estimator", "local"}}}};
  const auto message = credence::testing::error_message_of([&] { nn::NetworkImpl net(local); });
  EXPECT_NE(message.find("layers[0] (bayes_gru)"), std::string::npos) << message;
  EXPECT_NE(message.find("time step"), std::string::npos) << message;
}

TEST(Recurrent, ShapesSpecsAndPresets) {
  // Stacked: the first passes every step on; the last step's state feeds the head.
  auto spec = nn::complete_spec(nn::preset_spec("gru", {5, 4}, nn::ActivationKind::relu), {10, 3}, 2);
  EXPECT_EQ(spec.input, (nn::Shape{10, 3}));
  auto net = credence::testing::seeded_network(nn::apply_method(spec, nn::MethodOptions().method(nn::Method::bbb)), 2);
  EXPECT_EQ(net->layer_output_shape(0), (nn::Shape{10, 5}));
  EXPECT_EQ(net->output_shape(), (nn::Shape{2}));
  // A table row is a sequence of single values; an image is a sequence of its rows.
  EXPECT_EQ(nn::complete_spec(nn::preset_spec("lstm", {4}, nn::ActivationKind::relu), {12}, 1).input, (nn::Shape{12, 1}));
  EXPECT_EQ(nn::complete_spec(nn::preset_spec("lstm", {4}, nn::ActivationKind::relu), {1, 28, 28}, 10).input,
            (nn::Shape{28, 28}));
  // The written spec builds the same network: same outputs from the same parameters.
  auto rebuilt = nn::Network(net->spec());
  {
    at::NoGradGuard no_grad;
    auto from = net->parameters(), to = rebuilt->parameters();
    ASSERT_EQ(from.size(), to.size());
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  net->set_sampling(false);
  rebuilt->set_sampling(false);
  auto x = at::randn({3, 10, 3});
  EXPECT_TRUE(at::allclose(net->forward(x), rebuilt->forward(x)));
  // Working values of the recurrence count against a prediction's memory: wider than any output.
  EXPECT_GE(net->widest_activation(), 10 * (15 + 10));
  // Wrong input ranks and sizes are refused, naming the layer.
  nn::NetworkSpec flat{{12}, {json{{"type", "lstm"}, {"hidden_size", 3}}}};
  EXPECT_NE(credence::testing::error_message_of([&] { nn::NetworkImpl n(flat); }).find("expects sequences [steps, features]"),
            std::string::npos);
}

TEST(Recurrent, MonteCarloPassKeepsSamplesApartAndChunksInvariant) {
  // mcdropout and bbb recurrent networks: forward_samples of the whole batch equals the passes of
  // its halves under held samples (each row's draws do not depend on the chunks).
  for (auto method : {nn::Method::bbb, nn::Method::mcdropout}) {
    auto spec = nn::complete_spec(nn::preset_spec("lstm", {6}, nn::ActivationKind::relu), {5, 2}, 1);
    auto net = credence::testing::seeded_network(nn::apply_method(spec, nn::MethodOptions().method(method).dropout(0.3).initial_sigma(0.2)), 7);
    at::NoGradGuard no_grad;
    auto x = at::randn({8, 5, 2});
    const int64_t samples = 6;
    auto gen = core::make_generator(1);
    net->set_generator(gen);
    auto state = gen.get_state();
    net->hold_weight_samples(samples, 8);
    auto whole = net->forward_samples(x, samples, 0);
    net->release_weight_samples();
    gen.set_state(state);
    net->hold_weight_samples(samples, 8);
    auto first = net->forward_samples(x.slice(0, 0, 3), samples, 0);
    auto second = net->forward_samples(x.slice(0, 3, 8), samples, 3);
    net->release_weight_samples();
    EXPECT_TRUE(at::allclose(whole, at::cat({first, second}, 1), 1e-5, 1e-6)) << nn::to_string(method);
    EXPECT_GT((whole[0] - whole[1]).abs().max().item<double>(), 1e-4) << nn::to_string(method);
  }
}

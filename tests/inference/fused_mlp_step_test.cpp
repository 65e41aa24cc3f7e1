// The hand-written training step against LibTorch: its gradients against autograd of the same
// loss with the same dropout masks and pre-activation noise, its Adam update against
// torch::optim::Adam fed the same gradients, and whole trainings against the autograd step.
#include "credence/core/kl_divergence.h"
#include "credence/core/rng.h"
#include "credence/inference/categorical_likelihood.h"
#include "credence/inference/fused_mlp_step.h"
#include "credence/inference/trainer.h"
#include "credence/core/gaussian.h"
#include "credence/nn/dense_chain.h"
#include "credence/nn/network_presets.h"
#include "credence/nn/mean_field_layer.h"
#include "credence/nn/snr_pruning.h"
#include "support/test_support.h"

#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <cmath>

using namespace credence;

namespace {

struct Case {
  nn::Method method;
  nn::ActivationKind activation;
  bool categorical;
  inference::NoiseModel noise;
  bool mixture = false;
  bool bounded = false;  // heteroscedastic: log-variance bounds tight enough that they bend the outputs
};

nn::MethodOptions method_of(const Case& c) {
  return nn::MethodOptions()
      .method(c.method)
      .dropout(0.3)
      .input_dropout(c.method == nn::Method::mcdropout ? 0.2 : 0.0)
      .prior(c.mixture ? core::PriorOptions().kind(core::PriorKind::scale_mixture).pi(0.3).sigma1(0.8).sigma2(0.05)
                       : core::PriorOptions().sigma(0.7))
      .initial_sigma(0.2);
}

nn::Network make_net(const Case& c, int64_t outputs, at::Generator& generator) {
  auto net = nn::Network(nn::apply_method(nn::mlp_spec(3, {5, 4}, outputs, c.activation), method_of(c)));
  net->set_generator(generator);
  net->reset_parameters();
  return net;
}

std::vector<nn::MeanFieldLayer*> bayes_layers(nn::Network& net) {
  std::vector<nn::MeanFieldLayer*> out;
  for (size_t i = 0; i < net->size(); ++i) {
    if (auto* l = dynamic_cast<nn::MeanFieldLayer*>(&net->layer(i))) out.push_back(l);
  }
  return out;
}

// The network's loss written with ATen operations, using the fused step's masks and noise.
at::Tensor reference_outputs(nn::Network& net, const inference::FusedMlpStep& step, const at::Tensor& x) {
  const auto chain = nn::dense_chain(net);
  at::Tensor h = x;
  for (size_t l = 0; l < chain.layers.size(); ++l) {
    const auto& layer = chain.layers[l];
    if (step.layer_mask(l).defined()) h = h * step.layer_mask(l);
    if (layer.bayesian) {
      auto mean = at::linear(h, layer.weight, layer.bias);
      auto variance = at::linear(h * h, core::softplus(layer.weight_rho).square(), core::softplus(layer.bias_rho).square());
      h = mean + at::sqrt(variance + nn::kPreActivationVarianceFloor) * step.layer_noise(l);
    } else {
      h = at::linear(h, layer.weight, layer.bias);
    }
    if (l + 1 < chain.layers.size()) h = chain.activation == nn::ActivationKind::relu ? at::relu(h) : at::tanh(h);
  }
  return h;
}

// The KL with the fused step's weight samples for the scale mixture's Monte Carlo estimate.
at::Tensor reference_kl(nn::Network& net, const inference::FusedMlpStep& step) {
  const auto layers = bayes_layers(net);
  if (layers.empty() || layers.front()->mean_field_options().prior().kind() == core::PriorKind::gaussian) return net->kl();
  at::Tensor total = at::zeros({});
  for (size_t l = 0; l < layers.size(); ++l) {
    auto* b = layers[l];
    const auto prior = b->mean_field_options().prior();
    auto w = b->weight_mu + b->weight_sigma() * step.layer_weight_kl_noise(l);
    auto bias = b->bias_mu + b->bias_sigma() * step.layer_bias_kl_noise(l);
    total = total + core::kl_monte_carlo(w, b->weight_mu, b->weight_sigma(), prior) +
            core::kl_monte_carlo(bias, b->bias_mu, b->bias_sigma(), prior);
  }
  return total;
}

void expect_close(const at::Tensor& expected, const at::Tensor& actual, const std::string& what) {
  ASSERT_EQ(expected.sizes(), actual.sizes()) << what;
  const double scale = expected.abs().max().item<double>();
  const double error = (expected - actual).abs().max().item<double>();
  EXPECT_LE(error, 1e-5 + 1e-4 * scale) << what << ": largest difference " << error << " at scale " << scale;
}

class FusedGradient : public ::testing::TestWithParam<Case> {};

TEST_P(FusedGradient, MatchesAutogradOfTheSameLoss) {
  const Case c = GetParam();
  auto generator = core::make_generator(11);
  auto likelihood_options = inference::GaussianLikelihoodOptions().noise(c.noise).noise_variance(0.5);
  if (c.bounded) likelihood_options.min_log_variance(-0.3).max_log_variance(0.2);
  inference::GaussianLikelihood likelihood(likelihood_options);
  const int64_t outputs = c.categorical ? 3 : likelihood->output_width();
  auto net = make_net(c, outputs, generator);
  auto x = at::randn({6, 3}, generator);
  auto y = c.categorical ? at::randint(0, 3, {6}, generator, at::kLong) : at::randn({6}, generator);
  const double kl_scale = 0.05;

  inference::FusedMlpStep step(net, c.categorical ? nullptr : likelihood,
                               c.categorical ? inference::FusedLoss::categorical : inference::FusedLoss::gaussian,
                               /*weight_decay=*/0.0, generator);
  const auto values = step.evaluate(x, y, kl_scale);
  const auto fused = step.gradients();

  auto out = reference_outputs(net, step, x);
  auto nll = c.categorical ? inference::categorical_negative_log_likelihood(out, y).mean()
                           : likelihood->negative_log_likelihood(out, y).mean();
  auto kl = reference_kl(net, step);
  (nll + kl_scale * kl).backward();
  EXPECT_NEAR(values.negative_log_likelihood, nll.item<double>(), 1e-5);
  EXPECT_NEAR(values.kl, kl.item<double>(), 1e-4 * std::max(1.0, std::abs(kl.item<double>())));

  std::vector<at::Tensor> parameters = net->parameters();
  if (!c.categorical && c.noise == inference::NoiseModel::homoscedastic) parameters.push_back(likelihood->log_noise_variance);
  ASSERT_EQ(fused.size(), parameters.size());
  auto names = net->named_parameters().keys();
  for (size_t i = 0; i < parameters.size(); ++i) {
    ASSERT_TRUE(parameters[i].grad().defined()) << i;
    expect_close(parameters[i].grad(), fused[i].reshape(parameters[i].sizes()), i < names.size() ? names[i] : "log_noise_variance");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Networks, FusedGradient,
    ::testing::Values(Case{nn::Method::deterministic, nn::ActivationKind::relu, false, inference::NoiseModel::homoscedastic},
                      Case{nn::Method::deterministic, nn::ActivationKind::tanh, true, inference::NoiseModel::fixed},
                      Case{nn::Method::mcdropout, nn::ActivationKind::relu, false, inference::NoiseModel::heteroscedastic},
                      Case{nn::Method::mcdropout, nn::ActivationKind::tanh, true, inference::NoiseModel::fixed},
                      Case{nn::Method::bbb, nn::ActivationKind::relu, false, inference::NoiseModel::homoscedastic},
                      Case{nn::Method::bbb, nn::ActivationKind::tanh, false, inference::NoiseModel::heteroscedastic},
                      Case{nn::Method::deterministic, nn::ActivationKind::relu, false, inference::NoiseModel::heteroscedastic,
                           false, true},
                      Case{nn::Method::bbb, nn::ActivationKind::relu, false, inference::NoiseModel::heteroscedastic, false,
                           true},
                      Case{nn::Method::bbb, nn::ActivationKind::relu, true, inference::NoiseModel::fixed},
                      Case{nn::Method::bbb, nn::ActivationKind::relu, false, inference::NoiseModel::homoscedastic, true},
                      Case{nn::Method::bbb, nn::ActivationKind::tanh, true, inference::NoiseModel::fixed, true}));

// The fused update against torch::optim::Adam given the very same gradients, over several steps,
// with weight decay (added to every network parameter's gradient, as torch does).
TEST(FusedMlpStep, AdamUpdateMatchesTorchAdam) {
  for (int variant = 0; variant < 3; ++variant) {
    auto generator = core::make_generator(3);
    Case c{variant == 0 ? nn::Method::deterministic : nn::Method::bbb, nn::ActivationKind::relu, false,
           inference::NoiseModel::homoscedastic, variant == 2};
    inference::GaussianLikelihood likelihood;
    auto net = make_net(c, 1, generator);
    auto twin = std::dynamic_pointer_cast<nn::NetworkImpl>(net->clone());
    auto twin_likelihood = std::dynamic_pointer_cast<inference::GaussianLikelihoodImpl>(likelihood->clone());
    const double lr = 0.01, decay = 0.001;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(twin->parameters(), std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(lr).weight_decay(decay)));
    groups.emplace_back(twin_likelihood->parameters(), std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(lr)));
    torch::optim::Adam adam(groups, torch::optim::AdamOptions(lr));

    inference::FusedMlpStep step(net, likelihood, inference::FusedLoss::gaussian, decay, generator);
    for (int s = 0; s < 4; ++s) {
      auto x = at::randn({8, 3}, generator);
      auto y = at::randn({8}, generator);
      step.evaluate(x, y, 0.1);
      auto gradients = step.gradients();
      std::vector<at::Tensor> twin_parameters = twin->parameters();
      twin_parameters.push_back(twin_likelihood->log_noise_variance);
      for (size_t i = 0; i < twin_parameters.size(); ++i) {
        twin_parameters[i].mutable_grad() = gradients[i].reshape(twin_parameters[i].sizes()).clone();
      }
      adam.step();
      step.update(lr);
    }
    std::vector<at::Tensor> fused = net->parameters(), reference = twin->parameters();
    fused.push_back(likelihood->log_noise_variance);
    reference.push_back(twin_likelihood->log_noise_variance);
    for (size_t i = 0; i < fused.size(); ++i) expect_close(reference[i].detach(), fused[i].detach(), "parameter " + std::to_string(i));
  }
}

// Whole trainings: the fused and the autograd step reach the same fit on y = sin(2x) + noise.
TEST(FusedMlpStep, TrainsAsWellAsTheAutogradStep) {
  auto data_generator = core::make_generator(21);
  auto x = at::rand({400, 1}, data_generator) * 4.0 - 2.0;
  auto y = at::sin(2.0 * x.squeeze(1)) + 0.1 * at::randn({400}, data_generator);
  for (auto method : {nn::Method::bbb, nn::Method::mcdropout, nn::Method::deterministic}) {
    double nll[2];
    for (int fused = 0; fused < 2; ++fused) {
      auto generator = core::make_generator(4);
      auto net = nn::Network(nn::apply_method(
          nn::mlp_spec(1, {50}, 1), nn::MethodOptions().method(method).dropout(0.01).prior(core::PriorOptions().sigma(1.0))));
      net->set_generator(generator);
      net->reset_parameters();
      inference::GaussianLikelihood likelihood;
      auto options = inference::TrainOptions().epochs(150).batch_size(32).learning_rate(0.01).fused(fused == 1);
      auto history = inference::train(net, likelihood, x, y, options, generator);
      nll[fused] = history.epochs.back().negative_log_likelihood;
    }
    // Noise sd 0.1 gives an NLL of about -0.88 per point at the truth.
    EXPECT_LT(nll[1], -0.4) << nn::to_string(method);
    EXPECT_NEAR(nll[1], nll[0], 0.25) << nn::to_string(method);
  }
}

TEST(FusedMlpStep, KlOfLargeLayersMatchesTheClosedForm) {
  // 300 x 200 weights: many full blocks of the sigma pass (one logarithm per 16 weights of a lane,
  // from mantissa products), a partial block, and more weights than one thread's share. Rhos
  // from -12 to +4 give sigmas from 6e-6 to 4, across many binary exponents.
  auto generator = core::make_generator(5);
  auto net = nn::Network(
      nn::apply_method(nn::mlp_spec(300, {200}, 3), nn::MethodOptions().prior(core::PriorOptions().sigma(0.5))));
  net->set_generator(generator);
  net->reset_parameters();
  {
    at::NoGradGuard no_grad;
    for (auto* layer : bayes_layers(net)) {
      layer->weight_rho.uniform_(-12.0, 4.0, generator);
      layer->bias_rho.uniform_(-12.0, 4.0, generator);
    }
  }
  const double expected = net->kl().item<double>();
  inference::FusedMlpStep step(net, nullptr, inference::FusedLoss::categorical, 0.0, generator);
  const auto values = step.evaluate(at::randn({4, 300}, generator), at::randint(0, 3, {4}, generator, at::kLong), 1.0);
  EXPECT_NEAR(values.kl, expected, 1e-5 * std::abs(expected));
}

TEST(FusedMlpStep, RetrainsAPrunedNetworkWithTheRemovedWeightsHeld) {
  for (bool mixture : {false, true}) {
    auto generator = core::make_generator(8);
    const auto prior = mixture ? core::PriorOptions().kind(core::PriorKind::scale_mixture).pi(0.5).sigma1(1.0).sigma2(0.01)
                               : core::PriorOptions().sigma(0.5);
    auto net = nn::Network(nn::apply_method(nn::mlp_spec(5, {40}, 3), nn::MethodOptions().prior(prior).initial_sigma(0.1)));
    net->set_generator(generator);
    net->reset_parameters();
    const auto report = nn::prune_by_signal_to_noise(net, 0.6);
    auto x = at::randn({200, 5}, generator);
    auto y = at::argmax(x.slice(1, 0, 3), 1);
    // The KL of the kept weights alone, in closed form (Gaussian prior).
    auto kept_kl = [&] {
      double total = 0.0;
      for (auto* layer : bayes_layers(net)) {
        for (auto [mu, rho] : {std::pair{layer->weight_mu, layer->weight_rho}, std::pair{layer->bias_mu, layer->bias_rho}}) {
          auto kept = ~at::isinf(rho);
          auto sigma = at::softplus(rho.masked_select(kept).to(at::kDouble));
          auto m = mu.masked_select(kept).to(at::kDouble);
          total += (at::log(0.5 / sigma) + (sigma.square() + m.square()) / (2 * 0.25) - 0.5).sum().item<double>();
        }
      }
      return total;
    };
    if (!mixture) {
      inference::FusedMlpStep step(net, nullptr, inference::FusedLoss::categorical, 0.0, generator);
      const auto values = step.evaluate(x.slice(0, 0, 10), y.slice(0, 0, 10), 1.0);
      EXPECT_NEAR(values.kl, kept_kl(), 1e-4 * std::abs(kept_kl()));
    }
    auto history = inference::train_classifier(net, x, y, inference::TrainOptions().epochs(5).batch_size(20).learning_rate(0.01),
                                               generator);
    EXPECT_TRUE(std::isfinite(history.epochs.back().loss)) << "mixture " << mixture;
    EXPECT_LT(history.epochs.back().kl, 1e4) << "the removed weights' point masses are not in the KL";
    EXPECT_EQ(nn::count_pruned(net), report.removed) << "mixture " << mixture;
  }
}

TEST(FusedMlpStep, NamesWhatItCannotTrain) {
  auto flipout = credence::testing::mlp_network(2, {3}, 1, nn::MethodOptions().estimator(nn::Estimator::flipout));
  EXPECT_NE(inference::fused_step_unsupported_reason(flipout).find("estimator"), std::string::npos);
  auto mixture = credence::testing::mlp_network(2, {3}, 1, nn::MethodOptions().prior(core::PriorOptions().kind(core::PriorKind::scale_mixture)));
  EXPECT_EQ(inference::fused_step_unsupported_reason(mixture), "");
  // A convolution, a gelu, two dense layers without an activation between them: not a dense chain.
  nn::NetworkSpec conv{{1, 4, 4}, {{{"type", "conv2d"}, {"out_channels", 2}, {"kernel_size", 3}}, {{"type", "relu"}},
                                   {{"type", "flatten"}}, {{"type", "linear"}, {"out_features", 2}}}};
  EXPECT_NE(inference::fused_step_unsupported_reason(nn::Network(conv)).find("not flat"), std::string::npos);
  auto gelu = credence::testing::mlp_network(2, {3}, 1, nn::MethodOptions().method(nn::Method::deterministic), 0, nn::ActivationKind::gelu);
  EXPECT_NE(inference::fused_step_unsupported_reason(gelu).find("relu and tanh"), std::string::npos);
  nn::NetworkSpec stacked{{2}, {{{"type", "linear"}, {"out_features", 3}}, {{"type", "linear"}, {"out_features", 1}}}};
  EXPECT_NE(inference::fused_step_unsupported_reason(nn::Network(stacked)).find("without an activation"), std::string::npos);
  auto dense = credence::testing::mlp_network(2, {3}, 1, nn::Method::deterministic);
  EXPECT_EQ(inference::fused_step_unsupported_reason(dense), "");
  dense->to(at::kDouble);
  EXPECT_NE(inference::fused_step_unsupported_reason(dense).find("float32"), std::string::npos);
}

TEST(FusedMlpStep, RejectsLabelsOutsideTheClasses) {
  auto generator = core::make_generator(1);
  auto net = credence::testing::mlp_network(2, {3}, 3, nn::Method::deterministic);
  inference::FusedMlpStep step(net, nullptr, inference::FusedLoss::categorical, 0.0, generator);
  auto labels = at::tensor({0, 3}, at::kLong);
  EXPECT_THROW(step.evaluate(at::zeros({2, 2}), labels, 0.0), std::invalid_argument);
}

TEST(LearningRateSchedule, CosineAnnealsFromTheBaseRate) {
  using inference::LearningRateSchedule;
  EXPECT_DOUBLE_EQ(inference::learning_rate_at(LearningRateSchedule::constant, 0.1, 7, 10), 0.1);
  EXPECT_DOUBLE_EQ(inference::learning_rate_at(LearningRateSchedule::cosine, 0.1, 1, 10), 0.1);
  EXPECT_NEAR(inference::learning_rate_at(LearningRateSchedule::cosine, 0.1, 6, 10), 0.05, 1e-15);
  EXPECT_NEAR(inference::learning_rate_at(LearningRateSchedule::cosine, 0.1, 10, 10), 0.1 * 0.5 * (1 + std::cos(0.9 * M_PI)), 1e-15);
  EXPECT_THROW(inference::learning_rate_at(LearningRateSchedule::cosine, 0.1, 11, 10), std::invalid_argument);
  EXPECT_THROW(inference::learning_rate_schedule_from_string("step"), std::invalid_argument);
}

}  // namespace

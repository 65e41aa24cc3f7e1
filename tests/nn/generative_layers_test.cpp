// The layers that decoders, generators and discriminators need: the transposed convolution as
// the adjoint of the convolution, batch normalisation's training and evaluation statistics,
// leaky_relu, sigmoid and unflatten, and a DCGAN-shaped generator spec.
#include "credence/nn/batch_norm.h"
#include "credence/nn/conv_transpose.h"
#include "credence/core/rng.h"
#include "credence/nn/layer_registry.h"
#include "credence/nn/method.h"
#include "credence/nn/network.h"
#include "credence/nn/network_spec.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace credence;
using namespace credence::testing;
using json = nlohmann::json;

namespace {

std::string message_of(const json& spec, const nn::Shape& input) {
  return error_message_of([&] { nn::build_layer(spec, input, 2); });
}

}  // namespace

// <conv2d(y; W), x> = <y, conv_transpose2d(x; W)> for every x and y: the transposed convolution
// is the convolution's adjoint with the same weights, strides, padding and dilation. A wrong
// stride, padding or weight layout breaks the identity.
TEST(ConvTranspose2d, IsTheAdjointOfTheConvolution) {
  auto g = core::make_generator(3);
  for (const auto& [stride, padding, dilation] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 0, 1}, {2, 1, 1}, {3, 2, 2}}) {
    SCOPED_TRACE(std::to_string(stride) + " " + std::to_string(padding) + " " + std::to_string(dilation));
    const json spec = {{"type", "conv_transpose2d"}, {"out_channels", 3}, {"kernel_size", 3}, {"stride", stride},
                       {"padding", padding}, {"dilation", dilation}, {"bias", false}};
    auto layer = nn::build_layer(spec, {4, 5, 6}, 0);
    auto& transposed = dynamic_cast<nn::ConvTranspose2dImpl&>(*layer);
    const auto out = transposed.output_shape({4, 5, 6});
    auto x = at::randn({2, 4, 5, 6}, g, kDouble);
    auto y = at::randn({2, out[0], out[1], out[2]}, g, kDouble);
    at::NoGradGuard no_grad;
    const auto w = transposed.weight.to(at::kDouble);
    transposed.weight.set_data(w);
    const auto up = transposed.forward(x);
    ASSERT_EQ(up.sizes().vec(), (std::vector<int64_t>{2, out[0], out[1], out[2]}));
    // conv2d with weight [in=4 as out, out=3 as in, k, k] maps [3, H', W'] back to [4, 5, 6].
    const auto down = at::conv2d(y, w, {}, {stride, stride}, {padding, padding}, {dilation, dilation});
    ASSERT_EQ(down.sizes().vec(), x.sizes().vec());
    EXPECT_NEAR((down * x).sum().item<double>(), (y * up).sum().item<double>(), 1e-9);
  }
}

TEST(ConvTranspose2d, DoublesAFeatureMapAsDcganDoes) {
  // [128, 7, 7] -> [64, 14, 14] -> [1, 28, 28] with kernel 4, stride 2, padding 1.
  auto first = nn::build_layer({{"type", "conv_transpose2d"}, {"out_channels", 64}, {"kernel_size", 4}, {"stride", 2}, {"padding", 1}},
                               {128, 7, 7}, 0);
  EXPECT_EQ(first->output_shape({128, 7, 7}), (nn::Shape{64, 14, 14}));
  auto second = nn::build_layer({{"type", "conv_transpose2d"}, {"out_channels", 1}, {"kernel_size", 4}, {"stride", 2}, {"padding", 1}},
                                {64, 14, 14}, 1);
  EXPECT_EQ(second->output_shape({64, 14, 14}), (nn::Shape{1, 28, 28}));
  EXPECT_EQ(message_of({{"type", "conv_transpose2d"}, {"out_channels", 1}, {"kernel_size", 3}, {"stride", 2}, {"output_padding", 2}},
                       {2, 4, 4}),
            "layers[2] (conv_transpose2d): output_padding must be below the stride or the dilation, got 2");
  EXPECT_EQ(message_of({{"type", "conv_transpose2d"}, {"out_channels", 1}, {"kernel_size", 3}}, {16}),
            "layers[2] (conv_transpose2d): expects an input [channels, height, width], got [16]");
}

// Training mode: each channel of the output has mean beta and standard deviation gamma over the
// batch and the positions (biased variance), and the running statistics move by `momentum`
// towards the batch's (unbiased variance, as LibTorch keeps it). Evaluation mode: the running
// statistics, row by row.
TEST(BatchNorm, NormalisesByTheBatchInTrainingAndByRunningStatisticsInEvaluation) {
  auto g = core::make_generator(4);
  auto layer = nn::build_layer({{"type", "batch_norm2d"}, {"momentum", 0.25}}, {3, 4, 5}, 0);
  auto& bn = dynamic_cast<nn::BatchNormImpl&>(*layer);
  {
    at::NoGradGuard no_grad;
    bn.weight.copy_(at::tensor({2.0, 0.5, 1.0}));
    bn.bias.copy_(at::tensor({1.0, -1.0, 0.0}));
  }
  auto x = at::randn({8, 3, 4, 5}, g) * 3.0 + 2.0;
  bn.train();
  at::NoGradGuard no_grad;
  const auto y = bn.forward(x);
  const auto per_channel = y.transpose(0, 1).reshape({3, -1});
  EXPECT_TRUE(at::allclose(per_channel.mean(1), at::tensor({1.0f, -1.0f, 0.0f}), 1e-4, 1e-4));
  EXPECT_TRUE(at::allclose(per_channel.std(1, /*unbiased=*/false), at::tensor({2.0f, 0.5f, 1.0f}), 1e-3, 1e-3));
  const auto xs = x.transpose(0, 1).reshape({3, -1});
  EXPECT_TRUE(at::allclose(bn.running_mean, 0.25 * xs.mean(1), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(bn.running_var, 0.75 + 0.25 * xs.var(1, /*unbiased=*/true), 1e-4, 1e-4));
  bn.eval();
  const auto row = x.slice(0, 0, 1);
  const auto expected = (row - bn.running_mean.view({1, 3, 1, 1})) / at::sqrt(bn.running_var.view({1, 3, 1, 1}) + 1e-5) *
                            bn.weight.view({1, 3, 1, 1}) +
                        bn.bias.view({1, 3, 1, 1});
  EXPECT_TRUE(at::allclose(bn.forward(row), expected, 1e-5, 1e-5));
  // batch_norm1d takes [features] and [channels, length]; batch_norm2d does not take [features].
  EXPECT_NO_THROW(nn::build_layer({{"type", "batch_norm1d"}}, {6}, 0));
  EXPECT_NO_THROW(nn::build_layer({{"type", "batch_norm1d"}}, {2, 6}, 0));
  EXPECT_EQ(message_of({{"type", "batch_norm2d"}}, {6}), "layers[2] (batch_norm2d): expects an input [channels, height, width], got [6]");
  EXPECT_EQ(message_of({{"type", "batch_norm1d"}, {"momentum", 0}}, {6}), "layers[2] (batch_norm1d): momentum must be in (0, 1], got 0.000000");
}

TEST(ElementwiseLayers, LeakyReluSigmoidAndUnflattenComputeWhatTheySay) {
  at::NoGradGuard no_grad;
  const auto x = at::tensor({-2.0f, -0.5f, 0.0f, 1.5f});
  auto leaky = nn::build_layer({{"type", "leaky_relu"}}, {4}, 0);
  EXPECT_TRUE(at::allclose(leaky->forward(x.unsqueeze(0)).squeeze(0), at::tensor({-0.4f, -0.1f, 0.0f, 1.5f})));
  EXPECT_EQ(leaky->spec().at("negative_slope").get<double>(), 0.2);  // DCGAN's slope by default
  auto sigmoid = nn::build_layer({{"type", "sigmoid"}}, {4}, 0);
  EXPECT_TRUE(at::allclose(sigmoid->forward(x.unsqueeze(0)).squeeze(0), 1.0 / (1.0 + at::exp(-x))));
  EXPECT_EQ(message_of({{"type", "leaky_relu"}, {"negative_slope", 1.5}}, {4}),
            "layers[2] (leaky_relu): negative_slope must be in [0, 1), got 1.500000");
  // unflatten is flatten's inverse.
  auto unflatten = nn::build_layer({{"type", "unflatten"}, {"shape", {2, 3, 2}}}, {12}, 0);
  const auto maps = at::arange(24, at::kFloat).view({2, 2, 3, 2});
  EXPECT_TRUE(at::equal(unflatten->forward(maps.flatten(1)), maps));
  EXPECT_EQ(message_of({{"type", "unflatten"}, {"shape", {2, 3, 2}}}, {10}),
            "layers[2] (unflatten): expects an input [12] to make [2, 3, 2], got [10]");
  EXPECT_EQ(message_of({{"type", "unflatten"}, {"shape", {2, 0}}}, {10}),
            "layers[2] (unflatten): field 'shape' must be a list of 1 to 3 positive integers, got [2,0]");
}

// A DCGAN-shaped generator from a 16-dimensional code to a 28 x 28 image chains, trains a step
// (batch normalisation in training mode), and samples in evaluation mode; bbb leaves its
// transposed convolutions deterministic.
TEST(GenerativeSpecs, ADcganGeneratorChainsTrainsAndSamples) {
  const auto spec = nn::NetworkSpec::from_json(json::parse(R"({"input": [16], "layers": [
      {"type": "linear", "out_features": 392}, {"type": "batch_norm1d"}, {"type": "relu"},
      {"type": "unflatten", "shape": [8, 7, 7]},
      {"type": "conv_transpose2d", "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1},
      {"type": "batch_norm2d"}, {"type": "leaky_relu"},
      {"type": "conv_transpose2d", "out_channels": 1, "kernel_size": 4, "stride": 2, "padding": 1},
      {"type": "sigmoid"}]})"),
                                               "generator");
  auto net = seeded_network(spec, 1);
  net->train();
  auto z = at::randn({5, 16});
  auto images = net->forward(z);
  EXPECT_EQ(images.sizes().vec(), (std::vector<int64_t>{5, 1, 28, 28}));
  EXPECT_TRUE((images > 0).all().item<bool>() && (images < 1).all().item<bool>());
  images.mean().backward();
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.grad().defined());
  net->eval();
  at::NoGradGuard no_grad;
  // In evaluation mode every row is computed alone: one row's image does not depend on the others.
  const auto together = net->forward(z);
  EXPECT_TRUE(at::allclose(together.slice(0, 2, 3), net->forward(z.slice(0, 2, 3)), 1e-5, 1e-6));
  const auto bbb = nn::apply_method(spec, nn::MethodOptions().method(nn::Method::bbb));
  EXPECT_EQ(bbb.layers[4].at("type"), "conv_transpose2d");
  EXPECT_EQ(bbb.layers[0].at("type"), "bayes_linear");
}

// Network specs: every registered layer builds from its spec and writes it back, specs round-trip
// to identical networks, presets and templates complete for data, methods transform specs, and bad
// specs are refused naming the layer, its type and the shapes.
#include "credence/core/rng.h"
#include "credence/nn/layer_registry.h"
#include "credence/nn/method.h"
#include "credence/nn/network.h"
#include "credence/nn/network_options.h"
#include "credence/nn/network_presets.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <map>

using namespace credence;
using nlohmann::json;

namespace {

// A layer of each registered type with its fields, and an input it takes.
std::map<std::string, std::pair<json, nn::Shape>> examples() {
  const json prior = {{"kind", "mixture"}, {"pi", 0.25}, {"sigma1", 1.5}, {"sigma2", 0.1}};
  return {
      {"linear", {{{"type", "linear"}, {"out_features", 3}, {"bias", false}}, {5}}},
      {"bayes_linear", {{{"type", "bayes_linear"}, {"out_features", 3}, {"prior", prior}, {"estimator", "flipout"}}, {5}}},
      {"conv1d", {{{"type", "conv1d"}, {"out_channels", 4}, {"kernel_size", 3}, {"dilation", 2}}, {2, 9}}},
      {"conv2d", {{{"type", "conv2d"}, {"out_channels", 4}, {"kernel_size", {3, 2}}, {"stride", 2}, {"padding", {1, 0}}}, {2, 7, 6}}},
      {"bayes_conv1d", {{{"type", "bayes_conv1d"}, {"out_channels", 4}, {"kernel_size", 3}, {"initial_sigma", 0.2}}, {2, 9}}},
      {"bayes_conv2d", {{{"type", "bayes_conv2d"}, {"out_channels", 4}, {"kernel_size", 3}, {"estimator", "reparam"}}, {2, 7, 6}}},
      {"max_pool1d", {{{"type", "max_pool1d"}, {"kernel_size", 2}}, {2, 9}}},
      {"max_pool2d", {{{"type", "max_pool2d"}, {"kernel_size", 3}, {"stride", 2}, {"padding", 1}}, {2, 7, 6}}},
      {"avg_pool1d", {{{"type", "avg_pool1d"}, {"kernel_size", 3}, {"stride", 1}}, {2, 9}}},
      {"avg_pool2d", {{{"type", "avg_pool2d"}, {"kernel_size", 2}}, {2, 7, 6}}},
      {"flatten", {{{"type", "flatten"}}, {2, 7, 6}}},
      {"mc_dropout", {{{"type", "mc_dropout"}, {"p", 0.3}, {"kind", "channel"}}, {2, 7, 6}}},
      {"lstm", {{{"type", "lstm"}, {"hidden_size", 4}, {"output", "sequence"}, {"dropout", 0.2}}, {6, 3}}},
      {"gru", {{{"type", "gru"}, {"hidden_size", 5}, {"bias", false}}, {6, 3}}},
      {"bayes_lstm", {{{"type", "bayes_lstm"}, {"hidden_size", 4}, {"prior", prior}, {"estimator", "flipout"}}, {6, 3}}},
      {"bayes_gru", {{{"type", "bayes_gru"}, {"hidden_size", 3}, {"output", "sequence"}, {"initial_sigma", 0.05}}, {6, 3}}},
      {"relu", {{{"type", "relu"}}, {5}}},
      {"tanh", {{{"type", "tanh"}}, {2, 9}}},
      {"gelu", {{{"type", "gelu"}}, {2, 7, 6}}},
      {"sigmoid", {{{"type", "sigmoid"}}, {5}}},
      {"leaky_relu", {{{"type", "leaky_relu"}, {"negative_slope", 0.1}}, {2, 9}}},
      {"unflatten", {{{"type", "unflatten"}, {"shape", {2, 3, 2}}}, {12}}},
      {"conv_transpose2d",
       {{{"type", "conv_transpose2d"}, {"out_channels", 3}, {"kernel_size", 4}, {"stride", 2}, {"padding", 1},
         {"output_padding", {1, 0}}},
        {2, 5, 4}}},
      {"batch_norm1d", {{{"type", "batch_norm1d"}, {"momentum", 0.2}}, {5}}},
      {"batch_norm2d", {{{"type", "batch_norm2d"}, {"eps", 1e-3}}, {2, 7, 6}}},
  };
}

// `written` says what `given` says: equal, a list of the given number, or an object with the given fields.
bool covers(const json& written, const json& given) {
  if (written == given) return true;
  if (given.is_number() && written.is_array()) {
    for (const auto& v : written) {
      if (v != given) return false;
    }
    return true;
  }
  if (given.is_object() && written.is_object()) {
    for (const auto& item : given.items()) {
      if (!written.contains(item.key()) || written.at(item.key()) != item.value()) return false;
    }
    return true;
  }
  return false;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(NetworkSpec, EveryRegisteredLayerBuildsFromItsSpecAndWritesItBack) {
  const auto cases = examples();
  ASSERT_EQ(cases.size(), nn::layer_types().size()) << "a registered type has no example here";
  for (const auto& type : nn::layer_type_names()) {
    SCOPED_TRACE(type);
    ASSERT_TRUE(cases.count(type));
    const auto& [spec, input] = cases.at(type);
    auto layer = nn::build_layer(spec, input, 0);
    EXPECT_EQ(layer->type(), type);
    auto written = layer->spec();
    // Every field given is kept (a size given once stands for every dimension; a prior's fields
    // are written out in full); defaults are written out.
    for (const auto& item : spec.items()) EXPECT_TRUE(covers(written.at(item.key()), item.value())) << item.key();
    auto again = nn::build_layer(written, input, 0);
    EXPECT_EQ(again->spec(), written);
    EXPECT_EQ(again->output_shape(input), layer->output_shape(input));
    // The output of a pass has the announced shape.
    at::NoGradGuard no_grad;
    auto y = layer->forward(at::randn(nn::batch_sizes(3, input)));
    EXPECT_EQ(y.sizes().vec(), nn::batch_sizes(3, layer->output_shape(input)));
  }
}

TEST(NetworkSpec, RoundTripGivesIdenticalModulesAndPredictions) {
  nn::NetworkSpec spec{{1, 12, 12},
                       {{{"type", "bayes_conv2d"}, {"out_channels", 3}, {"kernel_size", 3}, {"padding", 1}},
                        {{"type", "relu"}},
                        {{"type", "max_pool2d"}, {"kernel_size", 2}},
                        {{"type", "mc_dropout"}, {"p", 0.1}},
                        {{"type", "conv2d"}, {"out_channels", 4}, {"kernel_size", 3}},
                        {{"type", "gelu"}},
                        {{"type", "flatten"}},
                        {{"type", "bayes_linear"}, {"out_features", 5}}}};
  auto net = credence::testing::seeded_network(spec, 3);
  // Through JSON text, as a model file stores it.
  auto text = net->spec().to_json().dump();
  auto back = nn::NetworkSpec::from_json(json::parse(text), "spec");
  nn::Network copy(back);
  EXPECT_EQ(copy->spec().to_json(), net->spec().to_json());
  auto a = net->named_parameters(), b = copy->named_parameters();
  ASSERT_EQ(a.keys(), b.keys());
  {
    at::NoGradGuard no_grad;
    for (const auto& item : a) {
      ASSERT_EQ(item.value().sizes(), b[item.key()].sizes()) << item.key();
      b[item.key()].copy_(item.value());
    }
  }
  auto x = at::randn({4, 1, 12, 12});
  net->set_generator(core::make_generator(8));
  copy->set_generator(core::make_generator(8));
  at::NoGradGuard no_grad;
  EXPECT_TRUE(at::equal(net->forward_samples(x, 6), copy->forward_samples(x, 6)));
  EXPECT_EQ(net->output_shape(), (nn::Shape{5}));
  EXPECT_EQ(net->layer_output_shape(2), (nn::Shape{3, 6, 6}));
  EXPECT_EQ(net->widest_activation(), 3 * 12 * 12);
  EXPECT_EQ(net->method(), "bbb");
}

TEST(NetworkSpec, ShapesThatDoNotChainNameTheLayerItsTypeAndTheShapes) {
  nn::NetworkSpec spec{{1, 28, 28},
                       {{{"type", "conv2d"}, {"out_channels", 6}, {"kernel_size", 5}},
                        {{"type", "relu"}},
                        {{"type", "linear"}, {"out_features", 10}}}};
  const auto message = error_of([&] { nn::Network net(spec); });
  EXPECT_NE(message.find("layers[2] (linear)"), std::string::npos) << message;
  EXPECT_NE(message.find("[6, 24, 24]"), std::string::npos) << message;
  EXPECT_NE(message.find("flatten"), std::string::npos) << message;
  // A kernel larger than its input.
  nn::NetworkSpec tiny{{1, 4, 4}, {{{"type", "bayes_conv2d"}, {"out_channels", 2}, {"kernel_size", 5}}}};
  const auto small = error_of([&] { nn::Network net(tiny); });
  EXPECT_NE(small.find("layers[0] (bayes_conv2d): input [1, 4, 4] is smaller than the kernel"), std::string::npos) << small;
}

TEST(NetworkSpec, BadFieldsAndTypesAreNamed) {
  auto build = [](const json& layer, const nn::Shape& input) { return error_of([&] { nn::build_layer(layer, input, 4); }); };
  EXPECT_NE(build({{"type", "convolution"}}, {3}).find("layers[4]: unknown layer type 'convolution' (known: linear"),
            std::string::npos);
  EXPECT_NE(build({{"type", "linear"}}, {3}).find("layers[4] (linear): missing field 'out_features'"), std::string::npos);
  EXPECT_NE(build({{"type", "linear"}, {"out_features", "ten"}}, {3}).find("field 'out_features' must be a positive integer, got \"ten\""),
            std::string::npos);
  EXPECT_NE(build({{"type", "linear"}, {"out_features", 2}, {"out_feature", 3}}, {3}).find("unknown field 'out_feature'"),
            std::string::npos);
  EXPECT_NE(build({{"type", "conv2d"}, {"out_channels", 2}, {"kernel_size", {3, 3, 3}}}, {1, 8, 8}).find("a list of 2"),
            std::string::npos);
  EXPECT_NE(build({{"type", "bayes_linear"}, {"out_features", 2}, {"prior", {{"kind", "cauchy"}}}}, {3}).find("unknown prior 'cauchy'"),
            std::string::npos);
  EXPECT_NE(build({{"type", "bayes_linear"}, {"out_features", 2}, {"estimator", "magic"}}, {3}).find("unknown estimator"),
            std::string::npos);
  EXPECT_NE(build({{"type", "mc_dropout"}, {"p", 1.5}}, {3}).find("field 'p' must be a probability"), std::string::npos);
  EXPECT_NE(build({{"type", "mc_dropout"}, {"kind", "channel"}}, {3}).find("needs a feature map"), std::string::npos);
  EXPECT_NE(build("relu", {3}).find("layers[4]: expected a JSON object"), std::string::npos);
  // The envelope.
  auto from = [](const json& j) { return error_of([&] { nn::NetworkSpec::from_json(j, "f.json"); }); };
  EXPECT_NE(from({{"layers", json::array()}}).find("f.json: field 'layers' must be a non-empty list"), std::string::npos);
  EXPECT_NE(from({{"version", 9}, {"layers", {{{"type", "relu"}}}}}).find("spec version 9 is not supported"), std::string::npos);
  EXPECT_NE(from({{"input", {0, 3}}, {"layers", {{{"type", "relu"}}}}}).find("field 'input' must be"), std::string::npos);
  EXPECT_NE(from({{"layer", {{{"type", "relu"}}}}}).find("unknown field 'layer'"), std::string::npos);
}

TEST(NetworkSpec, SpecFilesReportJsonErrorsByLineAndColumn) {
  credence::testing::TemporaryDirectory dir;
  credence::testing::write_text(dir.path("bad.json"), "{\n  \"layers\": [\n    {\"type\": \"relu\",}\n  ]\n}\n");
  const auto message = error_of([&] { nn::read_network_spec(dir.path("bad.json")); });
  EXPECT_NE(message.find(dir.path("bad.json") + ":3:"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { nn::read_network_spec(dir.path("absent.json")); }).find("cannot open"), std::string::npos);
}

TEST(NetworkSpec, TemplatesCompleteForTheDataAndTheTask) {
  // A dense template on images flattens them; its last layer takes the task's width.
  auto mlp = nn::complete_spec(nn::mlp_spec(0, {20}, 0), {1, 8, 8}, 3);
  EXPECT_EQ(mlp.input, (nn::Shape{64}));
  EXPECT_EQ(mlp.layers.back().at("out_features"), 3);
  // A 1-D convolution on table rows sees one channel.
  nn::NetworkSpec conv1d{{}, {{{"type", "conv1d"}, {"out_channels", 2}, {"kernel_size", 3}}, {{"type", "flatten"}},
                              {{"type", "linear"}}}};
  EXPECT_EQ(nn::complete_spec(conv1d, {10}, 2).input, (nn::Shape{1, 10}));
  // Presets.
  for (const auto& name : nn::preset_names()) {
    SCOPED_TRACE(name);
    auto spec = nn::complete_spec(nn::preset_spec(name, {30}, nn::ActivationKind::relu), {1, 28, 28}, 10);
    nn::Network net(spec);
    EXPECT_EQ(net->output_shape(), (nn::Shape{10}));
  }
  // Sizes that cannot match.
  auto lenet = nn::preset_spec("lenet5", {}, nn::ActivationKind::relu);
  EXPECT_NE(error_of([&] { nn::complete_spec(lenet, {1, 8, 8}, 10); }).find("the network takes rows of shape [1, 28, 28]"),
            std::string::npos);
  nn::NetworkSpec no_dense{{}, {{{"type", "conv1d"}, {"out_channels", 2}, {"kernel_size", 3}}}};
  EXPECT_NE(error_of([&] { nn::complete_spec(no_dense, {10}, 3); }).find("the network's output is [2, 8] per row; the task needs [3]"),
            std::string::npos);
  auto fixed = nn::mlp_spec(4, {3}, 5);
  EXPECT_NE(error_of([&] { nn::complete_spec(fixed, {4}, 2); }).find("out_features 5 does not match the task's output width 2"),
            std::string::npos);
}

TEST(NetworkSpec, MethodsTransformPlainSpecs) {
  auto plain = nn::complete_spec(nn::preset_spec("lenet5", {}, nn::ActivationKind::relu), {1, 28, 28}, 10);
  auto bbb = nn::apply_method(plain, nn::MethodOptions().estimator(nn::Estimator::flipout).initial_sigma(0.02));
  ASSERT_EQ(bbb.layers.size(), plain.layers.size());
  for (size_t i = 0; i < plain.layers.size(); ++i) {
    const auto type = plain.layers[i].at("type").get<std::string>();
    const auto now = bbb.layers[i].at("type").get<std::string>();
    EXPECT_EQ(now, type == "conv2d" || type == "linear" ? "bayes_" + type : type);
    if (now.rfind("bayes_", 0) == 0) {
      EXPECT_EQ(bbb.layers[i].at("estimator"), "flipout");
      EXPECT_EQ(bbb.layers[i].at("initial_sigma"), 0.02);
    }
  }
  EXPECT_EQ(nn::method_of(bbb), nn::Method::bbb);
  // MC dropout before every weight layer after the first, channel-wise on feature maps if asked.
  auto dropout = nn::apply_method(plain, nn::MethodOptions()
                                             .method(nn::Method::mcdropout)
                                             .dropout(0.5)
                                             .input_dropout(0.1)
                                             .feature_map_dropout(nn::DropoutKind::channel));
  std::vector<std::string> types;
  for (const auto& layer : dropout.layers) types.push_back(layer.at("type").get<std::string>());
  const std::vector<std::string> expected{"mc_dropout", "conv2d", "relu", "max_pool2d", "mc_dropout", "conv2d", "relu",
                                          "max_pool2d", "flatten", "mc_dropout", "linear", "relu", "mc_dropout", "linear",
                                          "relu", "mc_dropout", "linear"};
  EXPECT_EQ(types, expected);
  EXPECT_EQ(dropout.layers[0].at("kind"), "element");  // input dropout drops pixels, not the image
  EXPECT_EQ(dropout.layers[0].at("p"), 0.1);
  EXPECT_EQ(dropout.layers[4].at("kind"), "channel");
  EXPECT_EQ(dropout.layers[9].at("kind"), "element");
  EXPECT_EQ(dropout.layers[9].at("p"), 0.5);
  nn::Network net(dropout);
  EXPECT_EQ(net->method(), "mcdropout");
  // A spec written as Bayesian is kept, its missing posterior fields filled; other methods refuse it.
  EXPECT_EQ(nn::apply_method(bbb, nn::MethodOptions().estimator(nn::Estimator::local_reparameterization)).layers, bbb.layers);
  const auto refused = error_of([&] { nn::apply_method(bbb, nn::MethodOptions().method(nn::Method::mcdropout)); });
  EXPECT_NE(refused.find("layers[0] (bayes_conv2d): --method mcdropout cannot apply"), std::string::npos) << refused;
  EXPECT_NE(error_of([&] { nn::apply_method(dropout, nn::MethodOptions().method(nn::Method::deterministic)); }).find("mc_dropout"),
            std::string::npos);
  EXPECT_EQ(nn::apply_method(plain, nn::MethodOptions().method(nn::Method::deterministic)).layers, plain.layers);
}

// The credence command with convolutional networks: train --network (a spec file or a preset) with
// every method, predict, evaluate with OOD, prune with retraining, inspect's layer table, MOPED, and
// every bad spec or image size refused with one line and no file.
#include "credence/core/rng.h"
#include "credence/data/idx_file.h"

#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

using namespace credence::testing;
namespace data = credence::data;

namespace {

// n images of 12 x 12 in 3 classes: class k holds a bright square in corner k (a spatial pattern a
// convolution finds), on top of uniform noise.
void write_corner_images(const std::string& directory, const std::string& prefix, int64_t n, uint64_t seed) {
  auto gen = credence::core::make_generator(seed);
  auto labels = at::randint(0, 3, {n}, gen, at::kLong);
  auto images = at::rand({n, 12, 12}, gen) * 100.0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = labels[i].item<int64_t>();
    images[i].slice(0, k == 2 ? 6 : 0, k == 2 ? 12 : 6).slice(1, k == 1 ? 6 : 0, k == 1 ? 12 : 6) += 140.0;
  }
  data::write_idx(directory + "/" + prefix + "-images-idx3-ubyte.gz", images.clamp(0, 255).to(at::kByte), true);
  data::write_idx(directory + "/" + prefix + "-labels-idx1-ubyte.gz", labels.to(at::kByte), true);
}

const char* kSpec = R"({
  "layers": [
    {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "relu"},
    {"type": "max_pool2d", "kernel_size": 2},
    {"type": "conv2d", "out_channels": 6, "kernel_size": 3},
    {"type": "relu"},
    {"type": "flatten"},
    {"type": "linear"}
  ]
})";

}  // namespace

class NetworkCli : public ::testing::Test {
 protected:
  void SetUp() override {
    run_command("mkdir -p " + dir.path("corners") + " " + dir.path("noise"));
    write_corner_images(dir.path("corners"), "train", 600, 1);
    write_corner_images(dir.path("corners"), "t10k", 300, 2);
    auto gen = credence::core::make_generator(3);
    data::write_idx(dir.path("noise") + "/t10k-images-idx3-ubyte.gz", (at::rand({200, 12, 12}, gen) * 255).to(at::kByte), true);
    data::write_idx(dir.path("noise") + "/t10k-labels-idx1-ubyte.gz", at::zeros({200}, at::kByte), true);
    write_text(dir.path("cnn.json"), kSpec);
  }
  CommandResult train(const std::string& extra, const std::string& out, const std::string& network = "") {
    return run_cli("train --task classification --data idx:" + dir.path("corners") + " --network " +
                   (network.empty() ? dir.path("cnn.json") : network) +
                   " --epochs 6 --batch-size 32 --lr 0.01 --quiet --threads 1 --out " + dir.path(out) + " " + extra);
  }
  nlohmann::json evaluate(const std::string& model, const std::string& extra = "") {
    auto r = run_cli("evaluate --model " + dir.path(model) + " --data idx:" + dir.path("corners") + " --json --samples 20 " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
  // Exit code 1, one line on stderr containing `expected`, and no file at `out`.
  void expect_refused(const CommandResult& r, const std::string& expected, const std::string& out) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_FALSE(file_exists(dir.path(out))) << out;
  }
  TemporaryDirectory dir;
};

TEST_F(NetworkCli, EveryMethodTrainsTheSpecAndPredictsWithUncertainty) {
  for (std::string method : {"bbb", "mcdropout", "deterministic", "ensemble"}) {
    SCOPED_TRACE(method);
    const std::string model = method + ".credence";
    auto r = train("--method " + method + (method == "ensemble" ? " --members 3" : "") + (method == "bbb" ? " --estimator flipout" : ""),
                   model);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto report = evaluate(model, "--ood idx:" + dir.path("noise"));
    EXPECT_GT(report.at("accuracy").get<double>(), 0.9);
    EXPECT_EQ(report.at("method"), method);
    EXPECT_GE(report.at("auroc").at("mutual_information").get<double>(), 0.0);
    auto predicted = run_cli("predict --model " + dir.path(model) + " --data idx:" + dir.path("corners") + " --out " +
                             dir.path(method + ".csv") + " --samples 20");
    ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
    EXPECT_EQ(count_lines(read_text(dir.path(method + ".csv"))), 301);
  }
  auto inspected = run_cli("inspect --model " + dir.path("bbb.credence"));
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  // conv 1 -> 4 (3x3): 36 + 4 weights; conv 4 -> 6: 216 + 6; dense 6*4*4 = 96 -> 3: 288 + 3.
  EXPECT_NE(inspected.out.find("0      bayes_conv2d   [4, 12, 12]              40          80  yes"), std::string::npos) << inspected.out;
  EXPECT_NE(inspected.out.find("max_pool2d     [4, 6, 6]"), std::string::npos) << inspected.out;
  EXPECT_NE(inspected.out.find("total: 553 weights (553 Bayesian), 1106 trained parameters"), std::string::npos) << inspected.out;
}

TEST_F(NetworkCli, BayesianCnnPrunesAndRetrains) {
  ASSERT_EQ(train("--method bbb", "bbb.credence").exit_code, 0);
  auto r = run_cli("prune --model " + dir.path("bbb.credence") + " --fraction 0.5 --out " + dir.path("pruned.credence") +
                   " --retrain-epochs 2 --data idx:" + dir.path("corners") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pruned 277 of 553 weights"), std::string::npos) << r.out;
  EXPECT_GT(evaluate("pruned.credence").at("accuracy").get<double>(), 0.85);
}

TEST_F(NetworkCli, MopedStartsABayesianNetworkFromADeterministicOne) {
  ASSERT_EQ(train("--method deterministic", "det.credence").exit_code, 0);
  const double deterministic = evaluate("det.credence").at("accuracy").get<double>();
  // One epoch from MOPED keeps the deterministic network's accuracy (to within a few images).
  auto r = run_cli("train --task classification --data idx:" + dir.path("corners") + " --network " + dir.path("cnn.json") +
                   " --method bbb --init-from " + dir.path("det.credence") +
                   " --moped-delta 0.05 --epochs 1 --lr 0.001 --quiet --threads 1 --out " + dir.path("moped.credence"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(evaluate("moped.credence").at("accuracy").get<double>(), deterministic - 0.03);
  // Not from a Bayesian model, nor from a network of another spec.
  expect_refused(run_cli("train --task classification --data idx:" + dir.path("corners") + " --network " + dir.path("cnn.json") +
                         " --method bbb --init-from " + dir.path("moped.credence") + " --epochs 1 --quiet --out " + dir.path("x.credence")),
                 "--init-from: ", "x.credence");
  expect_refused(run_cli("train --task classification --data idx:" + dir.path("corners") + " --hidden 8 --method bbb --init-from " +
                         dir.path("det.credence") + " --epochs 1 --quiet --out " + dir.path("y.credence")),
                 "--init-from: the deterministic model's network", "y.credence");
}

TEST_F(NetworkCli, BadSpecsAndImageSizesAreRefusedWithOneLine) {
  auto with_spec = [&](const std::string& text) {
    write_text(dir.path("bad.json"), text);
    return run_cli("train --task classification --data idx:" + dir.path("corners") + " --network " + dir.path("bad.json") +
                   " --epochs 1 --quiet --out " + dir.path("bad.credence"));
  };
  expect_refused(with_spec(R"({"layers": [{"type": "convolution", "out_channels": 2}]})"),
                 "--network: layers[0]: unknown layer type 'convolution'", "bad.credence");
  expect_refused(with_spec(R"({"layers": [{"type": "conv2d", "kernel_size": 3}, {"type": "flatten"}, {"type": "linear"}]})"),
                 "layers[0] (conv2d): missing field 'out_channels'", "bad.credence");
  expect_refused(with_spec(R"({"layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "linear"}]})"),
                 "layers[1] (linear): expects a flat input [features], got [2, 10, 10]", "bad.credence");
  expect_refused(with_spec(R"({"layers": [{"type": "linear", "out_features": 3, "bias": "yes"}]})"),
                 "field 'bias' must be true or false", "bad.credence");
  expect_refused(with_spec("{\"layers\": [\n  {\"type\": \"relu\"},,\n]}"), "bad.json:2:", "bad.credence");
  expect_refused(train("", "lenet.credence", "lenet5"), "the network takes rows of shape [1, 28, 28]", "lenet.credence");
  expect_refused(train("", "nothing.credence", "resnet"), "'resnet' is neither a preset", "nothing.credence");
  // A model trained on 12 x 12 images asked about 8 x 8 ones.
  ASSERT_EQ(train("--method deterministic", "det.credence").exit_code, 0);
  run_command("mkdir -p " + dir.path("small"));
  auto gen = credence::core::make_generator(4);
  data::write_idx(dir.path("small") + "/t10k-images-idx3-ubyte.gz", (at::rand({5, 8, 8}, gen) * 255).to(at::kByte), true);
  data::write_idx(dir.path("small") + "/t10k-labels-idx1-ubyte.gz", at::zeros({5}, at::kByte), true);
  expect_refused(run_cli("predict --model " + dir.path("det.credence") + " --data idx:" + dir.path("small") + " --out " +
                         dir.path("p.csv")),
                 "8x8", "p.csv");
}

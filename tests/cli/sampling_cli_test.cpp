// `credence train --method hmc` end to end on a tiny problem, and its bad input.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>

using namespace credence::testing;

class SamplingCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "x,y\n";
    for (int i = 0; i < 30; ++i) csv += std::to_string(i * 0.1) + "," + std::to_string(0.5 * i * 0.1 + 0.05 * (i % 3)) + "\n";
    write_text(dir.path("train.csv"), csv);
  }
  std::string train_args(const std::string& extra, const std::string& hidden = "3") const {
    return "train --data " + dir.path("train.csv") + " --target y --hidden " + hidden + " --threads 1 --quiet --out " +
           dir.path("model") + " " + extra;
  }
  TemporaryDirectory dir;
};

TEST_F(SamplingCli, TrainHmcPredictAndInspect) {
  auto trained = run_cli(train_args("--method hmc --chains 2 --warmup 20 --draws 10 --max-tree-depth 3 --initial-steps 100 --stored-samples 12"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  auto predicted = run_cli("predict --model " + dir.path("model") + " --data " + dir.path("train.csv") + " --out " + dir.path("p.csv"));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  const auto text = read_text(dir.path("p.csv"));
  EXPECT_EQ(text.substr(0, text.find('\n')), "mean,std,aleatoric_std,epistemic_std,lower,upper");
  EXPECT_EQ(count_lines(text), 31);
  auto inspected = run_cli("inspect --json --model " + dir.path("model"));
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  auto metadata = nlohmann::json::parse(inspected.out);
  EXPECT_EQ(metadata.at("method"), "hmc");
  EXPECT_NE(inspected.out.find("\"chains\":2"), std::string::npos) << inspected.out;
}

TEST_F(SamplingCli, TrainSwagPredictAndInspect) {
  auto trained = run_cli(train_args("--method swag --swag-pretrain-epochs 40 --swag-epochs 10 --swag-rank 5 --stored-samples 8"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  auto inspected = run_cli("inspect --json --model " + dir.path("model"));
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  auto metadata = nlohmann::json::parse(inspected.out);
  EXPECT_EQ(metadata.at("method"), "swag");
  EXPECT_EQ(metadata.at("members"), 8);
  EXPECT_NE(inspected.out.find("\"rank\":5"), std::string::npos) << inspected.out;
  auto predicted = run_cli("predict --model " + dir.path("model") + " --data " + dir.path("train.csv") + " --out " + dir.path("p.csv"));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_EQ(count_lines(read_text(dir.path("p.csv"))), 31);
  // Refused before anything is written: the model file train_args names stays absent.
  std::filesystem::remove(dir.path("model"));
  expect_cli_failure(train_args("--method swag --swag-epochs 1"), "--swag-epochs: expected at least 2 snapshot epochs, got 1",
                     dir.path("model"));
}

TEST_F(SamplingCli, BadInputIsOneLineAndNoFile) {
  expect_cli_failure(train_args("--method hmc --chains 0"), "--chains: expected at least one chain", dir.path("model"));
  expect_cli_failure(train_args("--method svgd --particles 0"), "--particles: expected at least one particle", dir.path("model"));
  expect_cli_failure(train_args("--method hmc", "300,300"), "the network has 91202 sampled parameters, more than the limit of 50000", dir.path("model"));
}

// The credence command end to end: train, predict, evaluate, inspect, and the example program.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

using namespace credence::testing;

namespace {

// y = 2 a - b + noise on 300 rows, written as CSV.
void write_linear_data(const std::string& path, int rows, unsigned seed, bool with_target = true) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::ostringstream out;
  out << (with_target ? "a,b,y\n" : "b,a\n");
  for (int i = 0; i < rows; ++i) {
    const double a = normal(rng), b = normal(rng);
    if (with_target) out << a << "," << b << "," << 2 * a - b + 0.1 * normal(rng) << "\n";
    else out << b << "," << a << "\n";
  }
  write_text(path, out.str());
}


}  // namespace

class RegressionCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write_linear_data(dir.path("train.csv"), 300, 1);
    write_linear_data(dir.path("test.csv"), 100, 2);
  }
  CommandResult train(const std::string& extra) {
    return run_cli("train --data " + dir.path("train.csv") + " --target y --hidden 16 --epochs 40 --quiet --threads 1 --out " +
                   dir.path("model") + " " + extra);
  }
  TemporaryDirectory dir;
};

TEST_F(RegressionCli, TrainPredictEvaluateInspect) {
  for (std::string method : {"bbb", "mcdropout", "deterministic"}) {
    SCOPED_TRACE(method);
    auto trained = train("--method " + method + " --lr 1e-2");
    ASSERT_EQ(trained.exit_code, 0) << trained.err;

    // Predict on a file without the target and with the features in another order.
    write_linear_data(dir.path("new.csv"), 25, 3, /*with_target=*/false);
    auto predicted = run_cli("predict --model " + dir.path("model") + " --data " + dir.path("new.csv") + " --samples 30 --out " +
                             dir.path("pred.csv"));
    ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
    const auto text = read_text(dir.path("pred.csv"));
    EXPECT_EQ(text.substr(0, text.find('\n')), "mean,std,aleatoric_std,epistemic_std,lower,upper");
    EXPECT_EQ(count_lines(text), 26);

    auto evaluated = run_cli("evaluate --model " + dir.path("model") + " --data " + dir.path("test.csv") + " --json");
    ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
    auto report = nlohmann::json::parse(evaluated.out);
    for (const char* key : {"rmse", "nll", "coverage", "width"}) ASSERT_TRUE(report.contains(key)) << key;
    // The target's standard deviation is about sqrt(5) = 2.2; a trained model does far better.
    EXPECT_LT(report["rmse"].get<double>(), 0.6);
    EXPECT_GT(report["coverage"].get<double>(), 0.6);

    auto inspected = run_cli("inspect --model " + dir.path("model"));
    ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
    auto metadata = nlohmann::json::parse(inspected.out);
    EXPECT_EQ(metadata["method"], method);
    EXPECT_EQ(metadata["features"], nlohmann::json({"a", "b"}));
    EXPECT_EQ(metadata["target"], "y");
    EXPECT_EQ(metadata["format_version"], 2);
    EXPECT_EQ(metadata["training"]["epochs"], 40);
    EXPECT_TRUE(metadata.contains("library_version"));
  }
}

TEST_F(RegressionCli, PredictionsAreReproducibleAndConsistent) {
  ASSERT_EQ(train("--method bbb --likelihood heteroscedastic").exit_code, 0);
  auto predict = [&](const std::string& out) {
    return run_cli("predict --model " + dir.path("model") + " --data " + dir.path("test.csv") + " --seed 5 --out " + dir.path(out));
  };
  ASSERT_EQ(predict("p1.csv").exit_code, 0);
  ASSERT_EQ(predict("p2.csv").exit_code, 0);
  EXPECT_EQ(read_text(dir.path("p1.csv")), read_text(dir.path("p2.csv")));
  // std^2 = aleatoric^2 + epistemic^2 on every row, and the interval is mean -/+ 1.96 std.
  std::istringstream in(read_text(dir.path("p1.csv")));
  std::string line;
  std::getline(in, line);
  int rows = 0;
  while (std::getline(in, line)) {
    double v[6];
    char comma;
    std::istringstream fields(line);
    fields >> v[0] >> comma >> v[1] >> comma >> v[2] >> comma >> v[3] >> comma >> v[4] >> comma >> v[5];
    EXPECT_NEAR(v[1] * v[1], v[2] * v[2] + v[3] * v[3], 1e-5 * (1 + v[1] * v[1]));
    EXPECT_NEAR(v[5] - v[0], 1.959963984540054 * v[1], 1e-4 * (1 + v[1]));
    EXPECT_GT(v[3], 0.0);
    ++rows;
  }
  EXPECT_EQ(rows, 100);
}

TEST_F(RegressionCli, ExampleProgramPredictsOneRow) {
  ASSERT_EQ(train("--method bbb").exit_code, 0);
  auto result = run_command(std::string("'") + CREDENCE_EXAMPLE_PREDICT_ONE + "' " + dir.path("model") + " 1.0 0.5");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // y = 2 * 1.0 - 0.5 = 1.5.
  EXPECT_NE(result.out.find("mean"), std::string::npos) << result.out;
  double mean = 0;
  ASSERT_EQ(std::sscanf(result.out.c_str(), "mean %lf", &mean), 1) << result.out;
  EXPECT_NEAR(mean, 1.5, 0.5);
}

TEST(CliHelp, EverySubcommandHasHelp) {
  for (std::string command : {"train", "predict", "evaluate", "inspect", "demo", "fit"}) {
    auto result = run_cli(command + " --help");
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_NE(result.out.find("--"), std::string::npos) << command;
  }
}

TEST_F(RegressionCli, ValidationSplitWithEarlyStopping) {
  auto trained = run_cli("train --data " + dir.path("train.csv") +
                         " --target y --hidden 8 --epochs 200 --validation-fraction 0.2 --patience 3 --lr 0.05 --threads 1 --out " +
                         dir.path("model"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  // The progress bar reports the validation NLL; the summary line names the kept epoch.
  EXPECT_NE(trained.err.find("val-nll"), std::string::npos);
  EXPECT_NE(trained.err.find("kept epoch"), std::string::npos) << trained.err;
  auto metadata = nlohmann::json::parse(run_cli("inspect --json --model " + dir.path("model")).out);
  EXPECT_DOUBLE_EQ(metadata["training"]["validation_fraction"].get<double>(), 0.2);
  EXPECT_EQ(metadata["training"]["patience"], 3);
}

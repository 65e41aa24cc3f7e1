// `credence fit` end to end: fit, then predict and evaluate through the other commands, and
// every bad input as one line on stderr, a non-zero exit and no model file.
#include "support/test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

namespace credence::classical {
namespace {

using credence::testing::file_exists;
using credence::testing::read_text;
using credence::testing::run_cli;
using credence::testing::TemporaryDirectory;
using credence::testing::write_text;

std::string quoted(const std::string& path) { return "'" + path + "'"; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Noisy sin(2 pi x) on [0, 1], a fixed pseudo-random sequence so the file is the same everywhere.
std::string sine_csv(int rows) {
  std::ostringstream out;
  out << "x,y\n";
  unsigned state = 12345;
  for (int i = 0; i < rows; ++i) {
    state = state * 1103515245u + 12345u;
    const double noise = (static_cast<double>((state >> 8) % 10000) / 10000.0 - 0.5) * 0.4;
    const double x = static_cast<double>(i) / (rows - 1);
    out << x << "," << std::sin(2.0 * M_PI * x) + noise << "\n";
  }
  return out.str();
}

std::string blobs_csv() {
  std::ostringstream out;
  out << "a,b,c\n";
  const double centres[3][3] = {{0, 0, 0}, {6, 6, 0}, {0, 6, 6}};
  unsigned state = 7;
  for (int i = 0; i < 90; ++i) {
    for (int j = 0; j < 3; ++j) {
      state = state * 1103515245u + 12345u;
      const double noise = static_cast<double>((state >> 8) % 10000) / 10000.0 - 0.5;
      out << centres[i % 3][j] + noise << (j < 2 ? "," : "\n");
    }
  }
  return out.str();
}

// Three overlapping classes named by colour, in two features.
std::string colours_csv() {
  std::ostringstream out;
  out << "a,b,colour\n";
  const char* names[3] = {"red", "green", "blue"};
  const double centres[3][2] = {{0, 0}, {1.5, 0.5}, {0, 1.5}};
  unsigned state = 11;
  for (int i = 0; i < 60; ++i) {
    for (int j = 0; j < 2; ++j) {
      state = state * 1103515245u + 12345u;
      const double noise = (static_cast<double>((state >> 8) % 10000) / 10000.0 - 0.5) * 3.0;
      out << centres[i % 3][j] + noise << ",";
    }
    out << names[i % 3] << "\n";
  }
  return out.str();
}

// Two sequences (ids "s1", "s2") of a chain that switches between two levels, with a
// categorical symbol column beside the Gaussian ones.
std::string chain_csv() {
  std::ostringstream out;
  out << "run,level,drift,symbol\n";
  unsigned state = 5;
  int z = 0;
  for (int i = 0; i < 80; ++i) {
    state = state * 1103515245u + 12345u;
    if ((state >> 8) % 10 == 0) z = 1 - z;
    state = state * 1103515245u + 12345u;
    const double noise = static_cast<double>((state >> 8) % 10000) / 10000.0 - 0.5;
    out << (i < 50 ? "s1" : "s2") << "," << 3.0 * z + noise << "," << noise * noise << "," << (z * 2 + (state >> 20) % 2) << "\n";
  }
  return out.str();
}

class FitCommand : public ::testing::Test {
 protected:
  TemporaryDirectory dir;
  std::string path(const std::string& name) { return dir.path(name); }
  std::string header_of(const std::string& csv) { return first_line(read_text(csv)); }
};

TEST_F(FitCommand, BlrWithDegreeAutoPrintsEvidenceAndPredicts) {
  write_text(path("sine.csv"), sine_csv(30));
  const auto fit = run_cli("fit blr --data " + quoted(path("sine.csv")) + " --target y --degree auto --out " + quoted(path("m")));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("log_evidence"), std::string::npos);
  EXPECT_NE(fit.out.find("selected degree"), std::string::npos);
  const auto predict = run_cli("predict --model " + quoted(path("m")) + " --data " + quoted(path("sine.csv")) + " --out " +
                               quoted(path("p.csv")));
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(header_of(path("p.csv")), "mean,std,aleatoric_std,epistemic_std,lower,upper");
  const auto evaluate = run_cli("evaluate --json --model " + quoted(path("m")) + " --data " + quoted(path("sine.csv")));
  ASSERT_EQ(evaluate.exit_code, 0) << evaluate.err;
  EXPECT_NE(evaluate.out.find("\"rmse\""), std::string::npos);
  EXPECT_NE(evaluate.out.find("\"nll\""), std::string::npos);
}

TEST_F(FitCommand, ArdAndRbfBases) {
  write_text(path("sine.csv"), sine_csv(30));
  auto fit = run_cli("fit ard --data " + quoted(path("sine.csv")) + " --target y --degree 5 --out " + quoted(path("ard")));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  fit = run_cli("fit blr --data " + quoted(path("sine.csv")) + " --target y --basis rbf --centres 6 --width 0.5 --out " +
                quoted(path("rbf")));
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_TRUE(file_exists(path("ard")));
  EXPECT_TRUE(file_exists(path("rbf")));
}

TEST_F(FitCommand, MixturesClusteringAndPcaColumns) {
  write_text(path("blobs.csv"), blobs_csv());
  // metric empty: evaluate is not run (each command costs a LibTorch start-up, ~0.7 s).
  struct Case {
    std::string args, header, metric;
  };
  const Case cases[] = {
      {"kmeans --components 3", "component", "\"inertia\""},
      {"gmm --components 3 --covariance diag --restarts 2", "component,log_likelihood,resp_0,resp_1,resp_2", "\"average_log_likelihood\""},
      {"vgmm --components 4 --weight-prior dirichlet", "component,log_likelihood,resp_0,resp_1,resp_2,resp_3",
       ""},
      {"pca --components 2", "z_0,z_1", ""},
      {"ppca --components 2 --method em", "z_0,z_1,log_likelihood", "\"average_log_likelihood\""},
  };
  for (const auto& c : cases) {
    const auto model = path("model");
    const auto fit = run_cli("fit " + c.args + " --data " + quoted(path("blobs.csv")) + " --seed 3 --out " + quoted(model));
    ASSERT_EQ(fit.exit_code, 0) << c.args << ": " << fit.err;
    const auto predict = run_cli("predict --model " + quoted(model) + " --data " + quoted(path("blobs.csv")) + " --out " +
                                 quoted(path("p.csv")));
    ASSERT_EQ(predict.exit_code, 0) << c.args << ": " << predict.err;
    EXPECT_EQ(header_of(path("p.csv")), c.header) << c.args;
    if (c.metric.empty()) continue;
    const auto evaluate = run_cli("evaluate --json --model " + quoted(model) + " --data " + quoted(path("blobs.csv")));
    ASSERT_EQ(evaluate.exit_code, 0) << c.args << ": " << evaluate.err;
    EXPECT_NE(evaluate.out.find(c.metric), std::string::npos) << c.args << ": " << evaluate.out;
  }
}

TEST_F(FitCommand, GaussianProcessesPredictAsRegressions) {
  write_text(path("sine.csv"), sine_csv(30));
  for (const std::string args : {"--kernel 'matern52+white' --restarts 1", "--inducing 6"}) {
    const auto fit = run_cli("fit gp --data " + quoted(path("sine.csv")) + " --target y " + args + " --out " + quoted(path("m")));
    ASSERT_EQ(fit.exit_code, 0) << args << ": " << fit.err;
    EXPECT_NE(fit.out.find(args == "--inducing 6" ? "sparse gp (collapsed bound): 6 inducing points" : "gp: log marginal likelihood"),
              std::string::npos) << fit.out;
    const auto predict = run_cli("predict --model " + quoted(path("m")) + " --data " + quoted(path("sine.csv")) + " --out " +
                                 quoted(path("p.csv")));
    ASSERT_EQ(predict.exit_code, 0) << predict.err;
    EXPECT_EQ(header_of(path("p.csv")), "mean,std,aleatoric_std,epistemic_std,lower,upper");
    if (args == "--inducing 6") {
      // evaluate shares the exact GP's code path (each command costs a LibTorch start-up); inspect shows the kind and kernel.
      const auto inspect = run_cli("inspect --json --model " + quoted(path("m")));
      ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
      const auto metadata = nlohmann::json::parse(inspect.out);
      EXPECT_EQ(metadata.at("kind"), "sparse_gp");
      EXPECT_EQ(metadata.at("summary").at("inducing_points"), 6);
      EXPECT_EQ(metadata.at("hyper_parameters").at("kernel").get<std::string>().rfind("rbf(variance=", 0), 0u) << inspect.out;
      continue;
    }
    const auto evaluate = run_cli("evaluate --json --model " + quoted(path("m")) + " --data " + quoted(path("sine.csv")));
    ASSERT_EQ(evaluate.exit_code, 0) << evaluate.err;
    const auto report = nlohmann::json::parse(evaluate.out);
    EXPECT_LT(report.at("rmse").get<double>(), 0.3) << args;  // the noise's standard deviation is 0.4 / sqrt(12) = 0.115
    EXPECT_TRUE(report.contains("nll") && report.contains("coverage")) << evaluate.out;
  }
}

TEST_F(FitCommand, LogisticRegressionPredictsAsAClassifier) {
  write_text(path("colours.csv"), colours_csv());
  for (const std::string predictive : {"probit", "mc"}) {
    const auto fit = run_cli("fit logistic --data " + quoted(path("colours.csv")) + " --target colour --predictive " + predictive +
                             " --out " + quoted(path("m")));
    ASSERT_EQ(fit.exit_code, 0) << fit.err;
    EXPECT_NE(fit.out.find("logistic: 3 classes, alpha"), std::string::npos) << fit.out;
    if (predictive == "probit") {  // predict's columns are the same under either predictive
      const auto predict = run_cli("predict --model " + quoted(path("m")) + " --data " + quoted(path("colours.csv")) + " --out " +
                                   quoted(path("p.csv")) + " --samples 50");
      ASSERT_EQ(predict.exit_code, 0) << predict.err;
      const auto text = read_text(path("p.csv"));
      EXPECT_EQ(first_line(text), "class,confidence,entropy,aleatoric,epistemic,p_blue,p_green,p_red");
      EXPECT_EQ(text.substr(text.find('\n') + 1).find_first_of("brg"), 0u) << "the class column holds names";
    }
    const auto evaluate = run_cli("evaluate --json --model " + quoted(path("m")) + " --data " + quoted(path("colours.csv")));
    ASSERT_EQ(evaluate.exit_code, 0) << evaluate.err;
    const auto report = nlohmann::json::parse(evaluate.out);
    for (const char* key : {"accuracy", "nll", "brier", "ece"}) EXPECT_TRUE(report.contains(key)) << key << ": " << evaluate.out;
    EXPECT_GT(report.at("accuracy").get<double>(), 1.0 / 3.0);
  }
}

TEST_F(FitCommand, HiddenMarkovModelsDecodeSequences) {
  write_text(path("chain.csv"), chain_csv());
  struct Case {
    std::string args;
    int states;
  };
  for (const Case c : {Case{"--states 2 --features level,drift --covariance diag --restarts 2", 2},
                       Case{"--states 3 --emission categorical --features symbol", 3}}) {
    const auto fit = run_cli("fit hmm --data " + quoted(path("chain.csv")) + " --sequence run " + c.args + " --out " + quoted(path("m")));
    ASSERT_EQ(fit.exit_code, 0) << c.args << ": " << fit.err;
    EXPECT_NE(fit.out.find("2 sequences"), std::string::npos) << fit.out;
    if (c.states == 2) {
      const auto predict = run_cli("predict --model " + quoted(path("m")) + " --data " + quoted(path("chain.csv")) + " --out " +
                                   quoted(path("p.csv")));
      ASSERT_EQ(predict.exit_code, 0) << predict.err;
      EXPECT_EQ(header_of(path("p.csv")), "state,p_state_0,p_state_1");
    }
    const auto evaluate = run_cli("evaluate --json --model " + quoted(path("m")) + " --data " + quoted(path("chain.csv")));
    ASSERT_EQ(evaluate.exit_code, 0) << evaluate.err;
    const auto report = nlohmann::json::parse(evaluate.out);
    EXPECT_EQ(report.at("sequences").get<int>(), 2);
    EXPECT_NEAR(report.at("log_likelihood").get<double>() * 80, report.at("total_log_likelihood").get<double>(), 1e-9);
  }
}

// One bad input: the command fails with exit code `code`, a single stderr line
// "credence: error: ..." containing `expected`, and no model file.
void expect_rejected(const std::string& args, const std::string& out, const std::string& expected, int code = 1) {
  const auto result = run_cli(args + " --out '" + out + "'");
  EXPECT_EQ(result.exit_code, code) << args << "\n" << result.err;
  EXPECT_EQ(result.err.rfind("credence: error: ", 0), 0u) << args << "\n" << result.err;
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "more than one line: " << result.err;
  EXPECT_NE(result.err.find(expected), std::string::npos) << args << "\nexpected '" << expected << "' in: " << result.err;
  EXPECT_FALSE(file_exists(out)) << args;
}

TEST_F(FitCommand, BadInputIsOneClearLineAndNoFile) {
  write_text(path("three.csv"), "a,b\n1,2\n3,5\n4,1\n");
  write_text(path("constant.csv"), "a,b\n1,7\n2,7\n3,7\n4,7\n5,7\n");
  write_text(path("same.csv"), "a,b\n1,7\n1,7\n1,7\n1,7\n");
  write_text(path("nan.csv"), "a,y\n1,2\n2,nan\n3,4\n");
  write_text(path("line.csv"), "a,b,c\n1,2,3\n2,4,6\n3,6,9\n4,8,12\n5,10,15\n");
  write_text(path("sine.csv"), sine_csv(8));
  write_text(path("flat.csv"), "x,y\n1,2\n2,2\n3,2\n4,2\n");
  const auto out = path("model");
  const auto d = [&](const std::string& name) { return " --data " + quoted(path(name)); };
  expect_rejected("fit gmm --components 5" + d("three.csv"), out, "--components");
  expect_rejected("fit gmm --components 2" + d("constant.csv"), out, "column 'b' is constant");
  expect_rejected("fit kmeans --components 2" + d("same.csv"), out, "distinct rows");
  expect_rejected("fit blr --target y --degree 12" + d("sine.csv"), out, "rank-deficient");
  expect_rejected("fit blr --target y" + d("flat.csv"), out, "is constant");
  expect_rejected("fit blr --target y" + d("nan.csv"), out, "nan.csv:3");
  expect_rejected("fit blr" + d("sine.csv"), out, "--target");
  expect_rejected("fit blr --target nope" + d("sine.csv"), out, "nope");
  expect_rejected("fit pca --components 1 --features a,zz" + d("line.csv"), out, "zz");
  expect_rejected("fit ppca --components 1" + d("line.csv"), out, "noise variance is zero");
  expect_rejected("fit ppca --components 3" + d("line.csv"), out, "--components");
  expect_rejected("fit blr --target y --degree two" + d("sine.csv"), out, "--degree");
  expect_rejected("fit vgmm --components 2 --covariance diag" + d("line.csv"), out, "--covariance");
  expect_rejected("fit gmm --components 2 --covariance banana" + d("line.csv"), out, "--covariance", 2);
  expect_rejected("fit kmeans --components 2 --data " + quoted(path("missing.csv")), out, "missing.csv");
}

// The list for the Gaussian process, logistic regression and the HMM.
TEST_F(FitCommand, BadInputForGaussianProcessesLogisticRegressionAndHmms) {
  write_text(path("sine.csv"), sine_csv(12));
  write_text(path("dup.csv"), "x,y\n1,1\n1,1.5\n2,2\n2,2.5\n3,1\n3,0.5\n");
  write_text(path("linear.csv"), "x,y\n1,3\n2,5\n3,7\n4,9\n5,11\n6,13\n7,15\n8,17\n9,19\n10,21\n");
  write_text(path("one_class.csv"), "a,b,c\n1,2,yes\n2,1,yes\n3,3,yes\n");
  write_text(path("three.csv"), "a,b\n1,2\n3,5\n4,1\n");
  write_text(path("empty.csv"), "id,a\n");
  write_text(path("split.csv"), "id,a\n1,0.5\n1,0.7\n2,0.1\n1,0.9\n2,0.3\n");
  const auto out = path("model");
  const auto d = [&](const std::string& name) { return " --data " + quoted(path(name)); };
  expect_rejected("fit gp --target y --kernel 'rbf+'" + d("sine.csv"), out, "--kernel: kernel 'rbf+': position 5: expected a kernel");
  expect_rejected("fit gp --target y --kernel rbf --no-optimise --max-jitter 1e-12" + d("dup.csv"), out,
                  "not positive definite, even with a jitter of 1e-12");
  expect_rejected("fit gp --target y --kernel linear+white --bounds none" + d("linear.csv"), out, "white.noise_level ran to zero");
  expect_rejected("fit gp --target y --inducing 20" + d("sine.csv"), out, "--inducing: 20 inducing points");
  expect_rejected("fit gp --target y --inducing 4 --kernel rbf" + d("sine.csv"), out, "no white noise");
  expect_rejected("fit logistic --target c" + d("one_class.csv"), out, "one_class.csv: the labels hold a single class ('yes')");
  expect_rejected("fit logistic" + d("one_class.csv"), out, "--target");
  expect_rejected("fit hmm --states 5" + d("three.csv"), out, "--states: 5 states need at least as many observations");
  expect_rejected("fit hmm --states 2 --sequence id" + d("empty.csv"), out, "no data rows");
  expect_rejected("fit hmm --states 2 --sequence id" + d("split.csv"), out, "split.csv:5: sequence '1'");
  expect_rejected("fit gmm --components 2 --sequence id" + d("split.csv"), out, "--sequence: applies to hmm only");
}

}  // namespace
}  // namespace credence::classical

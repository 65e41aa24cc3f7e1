// `credence laplace` end to end: post hoc on a trained deterministic model, then predict and
// inspect; a bbb model and an ensemble are refused in one line without an output file.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

using namespace credence::testing;

namespace {

void write_data(const std::string& path, int rows, unsigned seed, bool with_target = true) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::ostringstream out;
  out << (with_target ? "a,b,y\n" : "a,b\n");
  for (int i = 0; i < rows; ++i) {
    const double a = normal(rng), b = normal(rng);
    out << a << "," << b;
    if (with_target) out << "," << std::sin(a) - b + 0.1 * normal(rng);
    out << "\n";
  }
  write_text(path, out.str());
}

std::vector<double> row_values(const std::string& line) {
  std::vector<double> values;
  std::stringstream s(line);
  std::string cell;
  while (std::getline(s, cell, ',')) values.push_back(std::stod(cell));
  return values;
}

}  // namespace

TEST(LaplaceCli, PostHocLaplaceOnADeterministicModelPredictsTheSplit) {
  TemporaryDirectory dir;
  write_data(dir.path("train.csv"), 120, 1);
  write_data(dir.path("new.csv"), 10, 2, false);
  const std::string train = "train --data " + dir.path("train.csv") + " --target y --hidden 8 --quiet --threads 1 ";
  auto trained = run_cli(train + "--method deterministic --epochs 3 --out " + dir.path("det"));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  auto fitted = run_cli("laplace --model " + dir.path("det") + " --data " + dir.path("train.csv") +
                        " --hessian kfac --quiet --threads 1 --out " + dir.path("lap"));
  ASSERT_EQ(fitted.exit_code, 0) << fitted.err;
  auto predicted = run_cli("predict --model " + dir.path("lap") + " --data " + dir.path("new.csv") + " --samples 20 --out " +
                           dir.path("pred.csv"));
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  std::stringstream text(read_text(dir.path("pred.csv")));
  std::string line;
  std::getline(text, line);
  EXPECT_EQ(line, "mean,std,aleatoric_std,epistemic_std,lower,upper");
  int rows = 0;
  while (std::getline(text, line)) {
    auto v = row_values(line);
    ASSERT_EQ(v.size(), 6u);
    EXPECT_GT(v[3], 0.0);  // a Laplace posterior has epistemic spread
    EXPECT_NEAR(v[1] * v[1], v[2] * v[2] + v[3] * v[3], 1e-4 * v[1] * v[1]);
    ++rows;
  }
  EXPECT_EQ(rows, 10);
  auto inspected = run_cli("inspect --json --model " + dir.path("lap"));
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  auto metadata = nlohmann::json::parse(inspected.out);
  EXPECT_EQ(metadata.at("method"), "laplace");
  EXPECT_EQ(metadata.at("laplace").at("hessian"), "kfac");
  EXPECT_EQ(metadata.at("laplace").at("subset"), "all");

  // Refused: a bbb model and an ensemble, each in one line, no output file.
  ASSERT_EQ(run_cli(train + "--method bbb --epochs 1 --out " + dir.path("bbb")).exit_code, 0);
  expect_cli_failure("laplace --model " + dir.path("bbb") + " --data " + dir.path("train.csv") + " --out " + dir.path("x"),
                     "a bbb model; Laplace is fitted on a deterministic network", dir.path("x"));
  ASSERT_EQ(run_cli(train + "--method ensemble --members 2 --epochs 1 --out " + dir.path("ens")).exit_code, 0);
  expect_cli_failure("laplace --model " + dir.path("ens") + " --data " + dir.path("train.csv") + " --out " + dir.path("y"),
                     "an ensemble of 2 networks", dir.path("y"));
  expect_cli_failure("laplace --model " + dir.path("det") + " --data " + dir.path("train.csv") +
                         " --prior-precision -1 --out " + dir.path("z"),
                     "--prior-precision: expected auto or a positive number", dir.path("z"));
}

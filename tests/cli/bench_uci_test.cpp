// `credence bench uci` on the real yacht folder: the output's shape, a sane RMSE, and that
// neither --jobs nor spreading the splits over 2 ranks (--nproc 2) changes a figure.
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

using namespace credence::testing;

TEST(BenchUci, SmokeRunOnYachtAndJobsOrRanksDoNotChangeFigures) {
  const std::string folder = std::string(CREDENCE_SHARED_DATA) + "/uci/yacht";
  if (!std::filesystem::exists(folder + "/data.txt")) GTEST_SKIP() << "shared data not found at " << folder;
  TemporaryDirectory dir;
  const std::string base = "bench uci --dataset " + folder + " --method deterministic --splits 2 --epochs 30 --lr 0.01 --quiet ";
  auto one = run_cli(base + "--jobs 1 --out " + dir.path("one.csv"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two = run_cli(base + "--jobs 2 --out " + dir.path("two.csv"));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(one.out, two.out);
  // Same figures per split (the seconds column may differ).
  auto strip_seconds = [](const std::string& csv) {
    std::istringstream in(csv);
    std::string line, out;
    while (std::getline(in, line)) out += line.substr(0, line.find_last_of(',')) + "\n";
    return out;
  };
  const auto csv = read_text(dir.path("one.csv"));
  EXPECT_EQ(strip_seconds(csv), strip_seconds(read_text(dir.path("two.csv"))));
  auto ranks = run_cli(base + "--nproc 2 --out " + dir.path("ranks.csv"));
  ASSERT_EQ(ranks.exit_code, 0) << ranks.err;
  EXPECT_EQ(one.out, ranks.out);
  EXPECT_EQ(strip_seconds(csv), strip_seconds(read_text(dir.path("ranks.csv"))));
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "split,rmse,log_likelihood,chosen,seconds");
  EXPECT_EQ(count_lines(csv), 3);
  // The yacht target's standard deviation is about 15; a trained network does far better.
  std::istringstream rows(csv);
  std::string header, row;
  std::getline(rows, header);
  while (std::getline(rows, row)) {
    const double rmse = std::stod(row.substr(row.find(',') + 1));
    EXPECT_LT(rmse, 7.5) << row;
  }
}

TEST(BenchUci, BadArguments) {
  TemporaryDirectory dir;
  auto missing = run_cli("bench uci --dataset " + dir.path("nowhere") + " --quiet");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nowhere/data.txt: cannot open file"), std::string::npos) << missing.err;
  const std::string folder = std::string(CREDENCE_SHARED_DATA) + "/uci/yacht";
  if (!std::filesystem::exists(folder + "/data.txt")) GTEST_SKIP();
  auto splits = run_cli("bench uci --dataset " + folder + " --splits 99 --quiet --out " + dir.path("r.csv"));
  EXPECT_NE(splits.exit_code, 0);
  EXPECT_NE(splits.err.find("--splits: expected all or a number in 1..20"), std::string::npos) << splits.err;
  EXPECT_FALSE(file_exists(dir.path("r.csv")));
}

TEST(BenchUci, EnsembleSmokeRun) {
  const std::string folder = std::string(CREDENCE_SHARED_DATA) + "/uci/yacht";
  if (!std::filesystem::exists(folder + "/data.txt")) GTEST_SKIP() << "shared data not found at " << folder;
  TemporaryDirectory dir;
  auto r = run_cli("bench uci --dataset " + folder + " --method ensemble --splits 1 --epochs 30 --lr 0.01 --quiet --out " +
                   dir.path("e.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ensemble"), std::string::npos) << r.out;
  const auto csv = read_text(dir.path("e.csv"));
  EXPECT_EQ(count_lines(csv), 2);
  const auto row = csv.substr(csv.find('\n') + 1);
  EXPECT_LT(std::stod(row.substr(row.find(',') + 1)), 7.5) << row;  // the target's sd is about 15
  auto bad = run_cli("bench uci --dataset " + folder + " --method bagging --quiet");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--method"), std::string::npos) << bad.err;
}

TEST(BenchUci, EpochListJoinsTheHyperParameterGrid) {
  const std::string folder = std::string(CREDENCE_SHARED_DATA) + "/uci/yacht";
  if (!std::filesystem::exists(folder + "/data.txt")) GTEST_SKIP() << "shared data not found at " << folder;
  TemporaryDirectory dir;
  auto r = run_cli("bench uci --dataset " + folder + " --method deterministic --splits 1 --epochs 2,30 --lr 0.01 " +
                   "--lr-schedule cosine --quiet --out " + dir.path("g.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto csv = read_text(dir.path("g.csv"));
  const auto row = csv.substr(csv.find('\n') + 1);
  // Two epochs cannot fit yacht; the validation rows pick 30, named in the chosen column.
  EXPECT_NE(row.find(",epochs=30,weight_decay="), std::string::npos) << row;
  for (const std::string bad : {"--epochs 10,abc", "--epochs -5", "--lr-schedule step"}) {
    auto b = run_cli("bench uci --dataset " + folder + " --splits 1 --quiet " + bad + " --out " + dir.path("b.csv"));
    EXPECT_NE(b.exit_code, 0) << bad;
    EXPECT_NE(b.err.find(bad.substr(0, bad.find(' '))), std::string::npos) << bad << ": " << b.err;
    EXPECT_FALSE(file_exists(dir.path("b.csv"))) << bad;
  }
}

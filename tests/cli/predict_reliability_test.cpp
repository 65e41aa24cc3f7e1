// Issue 17, the predict side, through the command: non-finite predictions refused (or written with
// --allow-nonfinite), --memory-budget (its refusals, and a tiny budget writing the very file that
// the default writes), and the summary line every prediction ends with.
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

using namespace credence::testing;

namespace {

// x of a small spread (1e-4 steps), so that 3e38 standardised overflows float32 inside the model.
std::string rows_csv(const std::string& header, int rows, const std::vector<int>& huge_rows, bool labels) {
  std::string csv = header + "\n";
  for (int i = 1; i <= rows; ++i) {
    const bool huge = std::find(huge_rows.begin(), huge_rows.end(), i) != huge_rows.end();
    const std::string x = huge ? "3e38" : std::to_string(i * 0.0001);
    csv += x + "," + (labels ? (i % 2 ? "a" : "b") : std::to_string(i * 0.2)) + "\n";
  }
  return csv;
}

// The summary line: "predicted N rows, S samples each, in T s: WHERE\n".
void expect_summary(const std::string& err, int rows, int samples, const std::string& where) {
  const std::string head = "predicted " + std::to_string(rows) + " rows, " + std::to_string(samples) + " samples each, in ";
  const auto at = err.find(head);
  ASSERT_NE(at, std::string::npos) << err;
  const std::string tail = " s: " + where + "\n";
  ASSERT_GE(err.size(), tail.size());
  EXPECT_EQ(err.substr(err.size() - tail.size()), tail) << err;
}

// Two prediction files with the same header and the same numbers up to float32 rounding.
void expect_same_numbers(const std::string& a, const std::string& b) {
  std::istringstream in_a(a), in_b(b);
  std::string line_a, line_b;
  ASSERT_TRUE(std::getline(in_a, line_a) && std::getline(in_b, line_b));
  EXPECT_EQ(line_a, line_b);
  int rows = 0;
  while (std::getline(in_a, line_a)) {
    ASSERT_TRUE(static_cast<bool>(std::getline(in_b, line_b))) << "row " << rows;
    std::istringstream cells_a(line_a), cells_b(line_b);
    std::string cell_a, cell_b;
    while (std::getline(cells_a, cell_a, ',')) {
      ASSERT_TRUE(static_cast<bool>(std::getline(cells_b, cell_b, ',')));
      const double x = std::stod(cell_a), y = std::stod(cell_b);
      EXPECT_NEAR(x, y, 1e-5 * std::abs(y) + 1e-6) << "row " << rows << ": " << line_a << " against " << line_b;
    }
    ++rows;
  }
  EXPECT_FALSE(static_cast<bool>(std::getline(in_b, line_b)));
}

}  // namespace

TEST(PredictReliability, NonFinitePredictionsAreRefusedOrWrittenWithOneWarning) {
  TemporaryDirectory dir;
  const auto good = rows_csv("x,y", 40, {}, false);
  const auto huge = rows_csv("x,y", 6, {3, 5}, false);
  write_text(dir.path("good.csv"), good);
  write_text(dir.path("huge.csv"), huge);
  write_text(dir.path("labels.csv"), rows_csv("x,label", 40, {}, true));
  write_text(dir.path("huge_labels.csv"), rows_csv("x,label", 6, {3, 5}, true));
  auto r = run_cli("train --data " + dir.path("good.csv") + " --target y --hidden 4 --epochs 2 --quiet --out " + dir.path("m"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("train --task classification --data " + dir.path("labels.csv") +
              " --target label --hidden 4 --epochs 2 --quiet --out " + dir.path("c"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string refused = "; 2 of 6 rows have non-finite predictions; nothing written (--allow-nonfinite writes them)";
  // Regression, classification: a finite input of 3e38 overflows inside the network.
  for (const auto& [model, data] : {std::pair<std::string, std::string>{"m", "huge.csv"}, {"c", "huge_labels.csv"}}) {
    SCOPED_TRACE(model);
    const std::string predict = "predict --model " + dir.path(model) + " --data " + dir.path(data) + " --out " + dir.path("p.csv");
    expect_cli_failure(predict, "credence: error: data row 3 of " + dir.path(data) + ": '", dir.path("p.csv"));
    expect_cli_failure(predict, refused, dir.path("p.csv"));
    r = run_cli(predict + " --allow-nonfinite");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_lines(r.err), 2) << r.err;
    EXPECT_EQ(r.err.rfind("credence: warning: data row 3 of " + dir.path(data) + ": '", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("; 2 of 6 rows have non-finite predictions (written as nan or inf)\n"), std::string::npos) << r.err;
    expect_summary(r.err, 6, 100, dir.path("p.csv"));
    EXPECT_EQ(count_lines(read_text(dir.path("p.csv"))), 7);
    EXPECT_NE(read_text(dir.path("p.csv")).find("nan"), std::string::npos);
    std::remove(dir.path("p.csv").c_str());
  }
  // A classical model computes in float64: 1e300 squared is its infinity.
  std::string classical = huge;
  for (size_t at = classical.find("3e38"); at != std::string::npos; at = classical.find("3e38")) classical.replace(at, 4, "1e300");
  write_text(dir.path("huge_double.csv"), classical);
  r = run_cli("fit blr --data " + dir.path("good.csv") + " --target y --out " + dir.path("b"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_cli_error("predict --model " + dir.path("b") + " --data " + dir.path("huge_double.csv") + " --out " + dir.path("p.csv"),
                   "data row 3 of " + dir.path("huge_double.csv") + ": 'std' is inf" + refused, 1, dir.path("p.csv"));
  // evaluate refuses to score them.
  expect_cli_failure("evaluate --model " + dir.path("m") + " --data " + dir.path("huge.csv"),
                     "data row 3 of " + dir.path("huge.csv") + ": '");
  expect_cli_failure("evaluate --model " + dir.path("m") + " --data " + dir.path("huge.csv"), "; 2 of 6 rows have non-finite "
                     "predictions; not scored");
  EXPECT_EQ(read_text(dir.path("huge.csv")), huge);
  EXPECT_EQ(read_text(dir.path("good.csv")), good);
  EXPECT_EQ(folder_listing(dir.root()), (std::vector<std::string>{"b", "c", "good.csv", "huge.csv", "huge_double.csv", "huge_labels.csv", "labels.csv", "m"}));
}

TEST(PredictReliability, MemoryBudgetRefusesNonsenseAndATinyBudgetWritesTheSameFile) {
  TemporaryDirectory dir;
  write_text(dir.path("good.csv"), rows_csv("x,y", 60, {}, false));
  auto r = run_cli("train --method bbb --data " + dir.path("good.csv") + " --target y --hidden 16 --epochs 2 --quiet --out " +
                   dir.path("m"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string to = "predict --model " + dir.path("m") + " --data " + dir.path("good.csv") + " --out ";
  const std::string predict = to + dir.path("p.csv");
  const std::string expected = "--memory-budget: expected a positive number of megabytes (MiB) up to 1073741824, got ";
  expect_cli_error(predict + " --memory-budget 0", expected + "0", 1, dir.path("p.csv"));
  expect_cli_error(predict + " --memory-budget -5", expected + "-5", 1, dir.path("p.csv"));
  expect_cli_failure(predict + " --memory-budget lots", "--memory-budget", dir.path("p.csv"));
  // One row's 20,000 draws of 16 values take 20 MB: 1 MB is refused, naming what would do.
  expect_cli_failure(predict + " --samples 20000 --memory-budget 1",
                     "memory budget of 1 MB is too small for 20000 draws per row: one row's draws", dir.path("p.csv"));
  // Default budget: one chunk; 1 MB: chunks of a few rows. The same draws, so the same numbers (up to
  // float32 rounding: a product's summation order depends on its row count); and the summary line.
  r = run_cli(predict);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  expect_summary(r.err, 60, 100, dir.path("p.csv"));
  const auto by_default = read_text(dir.path("p.csv"));
  r = run_cli(to + dir.path("tiny.csv") + " --memory-budget 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_numbers(read_text(dir.path("tiny.csv")), by_default);
  EXPECT_EQ(count_lines(by_default), 61);
  EXPECT_EQ(folder_listing(dir.root()), (std::vector<std::string>{"good.csv", "m", "p.csv", "tiny.csv"}));
}

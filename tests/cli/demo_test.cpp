// The demo's command: its files, its table and its JSON. The promise itself (the gap on several
// seeds) is tests/workflow/gap_demo_test.cpp, at the demo's full size.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

using namespace credence::testing;

TEST(Demo, WritesItsFilesAndPrintsTheRegionTable) {
  TemporaryDirectory dir;
  auto result = run_cli("demo --json --quiet --threads 1 --points 300 --epochs 20 --out-dir " + dir.path("out"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["method"], "ensemble");
  for (const char* region : {"inside", "gap", "outside"}) {
    EXPECT_GT(report[region]["epistemic_std"].get<double>(), 0.0) << region;
    EXPECT_GT(report[region]["aleatoric_std"].get<double>(), 0.0) << region;
  }
  EXPECT_NEAR(report["gap_to_inside_epistemic_ratio"].get<double>(),
              report["gap"]["epistemic_std"].get<double>() / report["inside"]["epistemic_std"].get<double>(), 1e-9);
  EXPECT_TRUE(file_exists(dir.path("out/demo.svg")));
  EXPECT_TRUE(file_exists(dir.path("out/demo.model")));
  EXPECT_TRUE(file_exists(dir.path("out/demo_data.csv")));
  EXPECT_NE(read_text(dir.path("out/demo.svg")).find("<svg"), std::string::npos);

  auto table = run_cli("demo --quiet --threads 1 --method bbb --points 300 --epochs 5 --out-dir " + dir.path("bbb"));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("bbb, seed 1: standard deviations in units of y"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("epistemic std in the gap / inside the data: "), std::string::npos) << table.out;

  auto bad = run_cli("demo --quiet --method magic --out-dir " + dir.path("magic"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--method: expected one of ensemble, bbb, mcdropout, deterministic"), std::string::npos) << bad.err;
  EXPECT_FALSE(file_exists(dir.path("magic")));
}

// The demo's promise: the network knows the noise inside the data, and knows that it does not
// know the function in the gap and outside the data.
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

using namespace credence::testing;

TEST(Demo, EpistemicGrowsAwayFromTheDataAndAleatoricTracksTheNoise) {
  TemporaryDirectory dir;
  // One thread: the figures below are then the same on every machine with this build.
  auto result = run_cli("demo --json --quiet --threads 1 --out-dir " + dir.path("out"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto report = nlohmann::json::parse(result.out);
  const double inside = report["inside"]["epistemic_std"].get<double>();
  const double gap = report["gap"]["epistemic_std"].get<double>();
  const double outside = report["outside"]["epistemic_std"].get<double>();
  EXPECT_GE(gap, 2.0 * inside) << result.out;
  EXPECT_GE(outside, 2.0 * inside) << result.out;
  // Mean relative error of the predicted noise standard deviation over the data region.
  EXPECT_LE(report["inside"]["aleatoric_relative_error"].get<double>(), 0.30) << result.out;
  EXPECT_TRUE(file_exists(dir.path("out/demo.svg")));
  EXPECT_TRUE(file_exists(dir.path("out/demo.model")));
  EXPECT_NE(read_text(dir.path("out/demo.svg")).find("<svg"), std::string::npos);
}

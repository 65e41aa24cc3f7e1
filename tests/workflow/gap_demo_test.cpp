// The demo's promise on several seeds: the default method (an ensemble of heteroscedastic networks)
// knows the noise inside the data and knows that it does not know the function in the gap
// between the two clusters or outside them. Seeds 1-10 are measured by bench/in_between.
#include "credence/workflow/gap_demo.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

using namespace credence;

TEST(GapDemo, TheDefaultMethodRaisesItsEpistemicUncertaintyInTheGapOnSeveralSeeds) {
  at::set_num_threads(1);  // the figures are then the same on every machine with this build
  for (std::uint64_t seed : {3, 8}) {
    auto demo = workflow::run_gap_demo(workflow::GapDemoOptions().seed(seed));
    const auto& r = demo.report;
    EXPECT_GE(r.gap.epistemic_std, 2.0 * r.inside.epistemic_std) << "seed " << seed << ": " << demo.summary.dump();
    EXPECT_GE(r.outside.epistemic_std, 2.0 * r.inside.epistemic_std) << "seed " << seed;
    EXPECT_LE(r.aleatoric_relative_error, 0.30) << "seed " << seed;
    // The bounded noise head: outside the data the aleatoric std stays within 3 target std.
    EXPECT_LE(r.outside.aleatoric_std, 3.0 * demo.model.target_scaler.std.item<double>() * 1.01) << "seed " << seed;
    EXPECT_EQ(demo.summary["method"], "ensemble");
    EXPECT_NE(demo.plot_svg.find("<svg"), std::string::npos);
  }
}

TEST(GapDemo, UnknownMethodsAreNamed) {
  try {
    workflow::run_gap_demo(workflow::GapDemoOptions().method("magic").points(50).epochs(1));
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--method: expected one of ensemble, bbb"), std::string::npos) << e.what();
  }
}

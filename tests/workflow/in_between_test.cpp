// The 2-D hole (data all around a disc with none inside) on several seeds: whole-network
// linearised Laplace raises its epistemic uncertainty in the hole to at least twice that inside
// the data, where mean-field VI does not. Seeds 1-20 are measured by bench/in_between
// (bench/results/in_between.md: 2.55 to 4.89).
#include "credence/core/rng.h"
#include "credence/workflow/in_between.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

using namespace credence;

TEST(InBetween, WholeNetworkLaplaceKnowsTheHoleOnSeveralSeeds) {
  at::set_num_threads(1);
  const auto problem = workflow::GapProblem::two_dimensional;
  const auto regions = workflow::gap_regions(problem);
  for (std::uint64_t seed : {13, 17}) {
    auto generator = core::make_generator(seed);
    auto data = workflow::make_gap_problem(problem, 2000, generator);
    auto options = workflow::in_between_fit_options("laplace", {50, 50}, 0, seed, nullptr);
    options.laplace().subset(inference::LaplaceSubset::all);
    auto fit = workflow::fit_regression(data.x, data.y, {"x1", "x2"}, "y", options);
    auto report = workflow::measure_in_between(fit.model, regions, 200, seed + 1000);
    EXPECT_GE(report.ratio(), 2.0) << "seed " << seed << ": gap " << report.gap.epistemic_std << ", inside "
                                   << report.inside.epistemic_std;
    // Outside the square, further from the data still, it knows even less.
    EXPECT_GE(report.outside.epistemic_std, report.gap.epistemic_std) << "seed " << seed;
    EXPECT_LE(report.aleatoric_relative_error, 0.30) << "seed " << seed;
  }
}

TEST(InBetween, AFullHessianOverTooManyWeightsIsRefusedWithTheCount) {
  auto generator = core::make_generator(1);
  auto data = workflow::make_gap_problem(workflow::GapProblem::two_dimensional, 200, generator);
  auto options = workflow::in_between_fit_options("laplace", {}, 1, 1, nullptr);  // 50-50-50: 5,352 weights
  options.laplace().subset(inference::LaplaceSubset::all);
  try {
    workflow::fit_regression(data.x, data.y, {"x1", "x2"}, "y", options);
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("5352 weights"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("limit of 5000"), std::string::npos) << e.what();
  }
}

// The demo: a method trained on the 1-D gap problem, its uncertainty per region (inside the data,
// in the gap, outside) and a plot of the predictive bands. `credence demo` prints and writes it.
#pragma once

#include "credence/io/regression_model.h"
#include "credence/workflow/in_between.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <string>

namespace credence::workflow {

struct GapDemoOptions {
  TORCH_ARG(std::string, method) = "ensemble";
  TORCH_ARG(int64_t, points) = 2000;
  TORCH_ARG(int64_t, epochs) = 0;  // 0: the method's recipe (workflow/in_between.h)
  TORCH_ARG(int64_t, samples) = 200;
  TORCH_ARG(std::uint64_t, seed) = 1;
  TORCH_ARG(inference::ProgressStream, progress) = nullptr;
  TORCH_ARG(bool, progress_as_lines) = false;
};

struct GapDemo {
  io::RegressionModel model;
  data::GapRegression data;
  InBetweenReport report;
  // {"method", "inside"/"gap"/"outside": {aleatoric_std, epistemic_std, true_noise_std},
  //  "inside"."aleatoric_relative_error", "gap_to_inside_epistemic_ratio"}
  nlohmann::json summary;
  std::string plot_svg;
  bool plot_clipped = false;  // a band reached beyond the plot's range and was cut at its edge
};

GapDemo run_gap_demo(const GapDemoOptions& options);

}  // namespace credence::workflow

// The Laplace options of the command line (--laplace-subset, --hessian, --prior-precision,
// --predictive), shared by `train --method laplace` and `credence laplace`.
#pragma once

#include "credence/inference/laplace_approximation.h"

#include <CLI/CLI.hpp>

#include <string>

namespace credence::cli {

struct LaplaceArguments {
  std::string subset = "auto", hessian = "full", prior_precision = "auto", predictive = "glm";
  int64_t max_full_parameters = 5000;
};

void add_laplace_options(CLI::App* command, LaplaceArguments& arguments);
// Throws std::invalid_argument naming the option for a value that is not one of its choices.
inference::LaplaceOptions laplace_options(const LaplaceArguments& arguments);

}  // namespace credence::cli

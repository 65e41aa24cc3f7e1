// Summaries across repeated experiments (e.g. the splits of a benchmark).
#pragma once

#include <vector>

namespace credence::metrics {

struct MeanAndError {
  double mean = 0.0;
  double standard_error = 0.0;  // sample std (divisor n - 1) / sqrt(n); 0 for one value
};

MeanAndError mean_and_standard_error(const std::vector<double>& values);

}  // namespace credence::metrics

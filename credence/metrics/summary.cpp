// Mean and standard error.
#include "credence/metrics/summary.h"

#include <cmath>
#include <stdexcept>

namespace credence::metrics {

MeanAndError mean_and_standard_error(const std::vector<double>& values) {
  if (values.empty()) throw std::invalid_argument("mean_and_standard_error: no values");
  const double n = static_cast<double>(values.size());
  double sum = 0.0;
  for (double v : values) sum += v;
  const double mean = sum / n;
  if (values.size() == 1) return {mean, 0.0};
  double squares = 0.0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / (n - 1.0)) / std::sqrt(n)};
}

}  // namespace credence::metrics

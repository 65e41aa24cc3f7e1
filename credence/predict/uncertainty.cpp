// The law of total variance over Monte Carlo draws.
#include "credence/predict/uncertainty.h"

#include <stdexcept>

namespace credence::predict {

RegressionUncertainty split_uncertainty(const PredictiveSamples& samples) {
  auto mean = samples.means.mean(0);
  auto aleatoric = samples.variances.mean(0);
  // Divisor S, not S - 1: with it, aleatoric + epistemic is the mixture's variance exactly.
  auto epistemic = samples.means.var(0, /*unbiased=*/false);
  return {mean, aleatoric, epistemic, aleatoric + epistemic};
}

RegressionUncertainty concatenate_rows(const std::vector<RegressionUncertainty>& chunks) {
  if (chunks.empty()) throw std::invalid_argument("concatenate_rows: no chunks");
  auto cat = [&](at::Tensor RegressionUncertainty::*field) {
    std::vector<at::Tensor> parts;
    for (const auto& chunk : chunks) parts.push_back(chunk.*field);
    return at::cat(parts, 0);
  };
  return {cat(&RegressionUncertainty::mean), cat(&RegressionUncertainty::aleatoric_variance),
          cat(&RegressionUncertainty::epistemic_variance), cat(&RegressionUncertainty::total_variance)};
}

}  // namespace credence::predict

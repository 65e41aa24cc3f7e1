// The law of total variance over Monte Carlo draws.
#include "credence/predict/uncertainty.h"

namespace credence::predict {

RegressionUncertainty split_uncertainty(const PredictiveSamples& samples) {
  auto mean = samples.means.mean(0);
  auto aleatoric = samples.variances.mean(0);
  // Divisor S, not S - 1: with it, aleatoric + epistemic is the mixture's variance exactly.
  auto epistemic = samples.means.var(0, /*unbiased=*/false);
  return {mean, aleatoric, epistemic, aleatoric + epistemic};
}

}  // namespace credence::predict

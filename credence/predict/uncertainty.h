// The regression uncertainty split: total = aleatoric (noise) + epistemic (model ignorance).
#pragma once

#include "credence/predict/predictive_samples.h"

#include <ATen/ATen.h>

#include <vector>

namespace credence::predict {

struct RegressionUncertainty {
  at::Tensor mean;                 // [N] mean of the sampled means
  at::Tensor aleatoric_variance;   // [N] mean of the sampled noise variances
  at::Tensor epistemic_variance;   // [N] variance of the sampled means (divisor S)
  at::Tensor total_variance;       // [N] their sum: exactly the variance of the predictive mixture
};

RegressionUncertainty split_uncertainty(const PredictiveSamples& samples);

// The splits of consecutive chunks of rows as one split of all their rows (each row's split is its
// own draws' alone, so splitting chunk by chunk gives the split of the whole).
RegressionUncertainty concatenate_rows(const std::vector<RegressionUncertainty>& chunks);

}  // namespace credence::predict

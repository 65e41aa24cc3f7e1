// The classification uncertainty split: predictive entropy = aleatoric (expected entropy over
// posterior samples) + epistemic (mutual information between the label and the weights).
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace credence::predict {

struct ClassificationUncertainty {
  at::Tensor probabilities;    // [N, K] mean of the sampled class probabilities
  at::Tensor predicted;        // [N] int64 argmax of the mean probabilities
  at::Tensor confidence;       // [N] the largest mean probability
  at::Tensor entropy;          // [N] H[mean p], in nats
  at::Tensor aleatoric;        // [N] mean over samples of H[p_s]
  at::Tensor epistemic;        // [N] entropy - aleatoric (mutual information), clamped at 0 against rounding
  at::Tensor variation_ratio;  // [N] 1 - (samples voting for the modal class) / S
};

// probability_samples: [S, N, K], each [s, n, :] a probability vector.
ClassificationUncertainty split_classification_uncertainty(const at::Tensor& probability_samples);

// The splits of consecutive chunks of rows as one split of all their rows.
ClassificationUncertainty concatenate_rows(const std::vector<ClassificationUncertainty>& chunks);

// Row-wise entropy -sum_k p_k log p_k (0 log 0 = 0) over the last dimension.
at::Tensor entropy(const at::Tensor& probabilities);

}  // namespace credence::predict

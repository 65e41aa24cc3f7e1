// Pruning a Bayesian network by the signal-to-noise ratio |mu| / sigma of each weight
// (Blundell et al. 2015, section 5.1 and table 2).
#pragma once

#include "credence/nn/mlp.h"

#include <cstdint>
#include <vector>

namespace credence::nn {

struct PruningReport {
  int64_t total = 0;    // weights and biases of every Bayesian layer
  int64_t removed = 0;  // round(fraction * total), exactly
  int64_t kept = 0;
  double threshold = 0.0;  // the largest signal-to-noise ratio removed (0 when nothing is)
  std::vector<int64_t> kept_per_layer;  // weights and biases kept in each Bayesian layer, input first
};

// Removes the `fraction` of weights (and biases) with the lowest |mu| / sigma across all layers:
// their mean becomes 0 and their sigma 0 (rho = -infinity, so softplus(rho) = 0), so they
// contribute nothing to any sample (a training pass keeps its 1e-16 variance floor). Ties are
// broken by position, so the count is exact. The closed-form KL of a pruned network is infinite;
// the fused training step (inference/fused_mlp_step.h) retrains one with the removed weights held
// and counts the kept ones only.
// Throws std::invalid_argument for a network that is not bbb or a fraction outside [0, 1].
PruningReport prune_by_signal_to_noise(Mlp& net, double fraction);

// Weights whose mean and sigma are both zero (what pruning leaves).
int64_t count_pruned(const Mlp& net);

}  // namespace credence::nn

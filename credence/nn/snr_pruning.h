// Pruning a Bayesian network by the signal-to-noise ratio |mu| / sigma of each weight
// (Blundell et al. 2015, section 5.1 and table 2), over every Bayesian layer of any network.
#pragma once

#include "credence/nn/network.h"

#include <cstdint>
#include <vector>

namespace credence::nn {

struct PruningReport {
  int64_t total = 0;    // weights and biases of every Bayesian layer
  int64_t removed = 0;  // round(fraction * total), exactly
  int64_t kept = 0;
  double threshold = 0.0;  // the largest signal-to-noise ratio removed (0 when nothing is)
  std::vector<size_t> layers;           // the network index of each Bayesian layer, input first
  std::vector<int64_t> kept_per_layer;  // weights and biases kept in each of them

  // Adds another network's report (an ensemble member's): counts add, the threshold is the largest.
  void add(const PruningReport& other);
};

// Removes the `fraction` of weights (and biases) with the lowest |mu| / sigma across all Bayesian
// layers: their mean becomes 0 and their sigma 0 (rho = -infinity, so softplus(rho) = 0), so they
// contribute nothing to any sample (a training pass keeps its 1e-16 variance floor) and the layers
// hold them there in training and leave them out of the KL. Ties are broken by position, so the
// count is exact. Throws std::invalid_argument for a network without Bayesian layers or a fraction
// outside [0, 1].
PruningReport prune_by_signal_to_noise(Network& net, double fraction);

// Weights whose mean and sigma are both zero (what pruning leaves).
int64_t count_pruned(const Network& net);

}  // namespace credence::nn

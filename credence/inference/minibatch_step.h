// MinibatchStep: what the trainer asks of one optimisation step, so that the epoch loop (shuffling,
// divergence checks, validation, early stopping) is shared by the autograd step and the fused one.
#pragma once

#include "credence/inference/replica_group.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace credence::inference {

// The values of one evaluate(). Under data-parallel training each is this replica's share: summed
// over the replicas they give the whole minibatch's values.
struct StepValues {
  double negative_log_likelihood = 0.0;  // mean over the minibatch
  double kl = 0.0;                       // KL(q || p) of the whole network
};

// The part of a minibatch that one evaluate() sees: its rows are rows [first, first + rows) of a
// minibatch of `total` rows that the replicas of `group` split between them (replica_group.h). One
// process evaluates the whole minibatch: first 0, total 0 (read: all the rows), no group.
struct BatchPart {
  int64_t first = 0;
  int64_t total = 0;
  ReplicaGroup* group = nullptr;

  int64_t replicas() const { return group ? group->size() : 1; }
};

class MinibatchStep {
 public:
  virtual ~MinibatchStep() = default;
  // Evaluates the loss mean NLL + kl_scale * KL on one minibatch (or this replica's part of it)
  // and forms its gradients; changes no parameter. For a part, the NLL is the sum over the part's
  // rows divided by the whole minibatch's rows and the KL's share is 1 / replicas of it, and the
  // step sums its gradients over the part's group before it returns, so that every replica holds
  // the whole minibatch's gradients (the values returned are still this replica's shares).
  virtual StepValues evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale, const BatchPart& part = {}) = 0;
  // One Adam step with the gradients of the last evaluate().
  virtual void update(double learning_rate) = 0;
  // The optimiser's state (moments and step count) as tensors, undefined where a moment does not
  // exist yet; load_state puts a state from the same step on the same network back.
  virtual std::vector<at::Tensor> state() const = 0;
  virtual void load_state(const std::vector<at::Tensor>& state) = 0;
};

}  // namespace credence::inference

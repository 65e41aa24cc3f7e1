// ReplicaGroup: what data-parallel training asks of the processes that train one network together
// (the replicas): who this process is among them, and sums over all of them. The trainer splits
// every minibatch over the replicas and sums their gradients before every update, so that every
// replica applies the same update (trainer.h). distributed/process_group.h implements it on c10d.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

namespace credence::inference {

class ReplicaGroup {
 public:
  virtual ~ReplicaGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Replaces every tensor (CPU, contiguous, all of one dtype) by its sum over the replicas. Every
  // replica passes tensors of the same shapes in the same order. Throws std::runtime_error naming
  // the failure when a replica is lost or does not answer in time.
  virtual void sum(std::vector<at::Tensor>& tensors) = 0;
  // The sums of a few numbers over the replicas (float64).
  virtual std::vector<double> sum(const std::vector<double>& values) = 0;
};

using ReplicaGroupPointer = std::shared_ptr<ReplicaGroup>;

}  // namespace credence::inference

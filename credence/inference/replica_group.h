// ReplicaGroup: what data-parallel training asks of the processes that train one network together
// (the replicas): who this process is among them, and sums over all of them. The trainer splits
// every minibatch over the replicas and sums their gradients before every update, so that every
// replica applies the same update (trainer.h). distributed/process_group.h implements it on c10d.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

namespace credence::inference {

// A sum on its way: wait() returns once the tensors hold their sums.
class PendingSum {
 public:
  virtual ~PendingSum() = default;
  virtual void wait() = 0;
};

class ReplicaGroup {
 public:
  virtual ~ReplicaGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Starts replacing every tensor (CPU, contiguous, all of one dtype) by its sum over the
  // replicas; the caller leaves them alone until wait(), and may compute meanwhile. Every replica
  // starts the same sums, of tensors of the same shapes, in the same order. Throws (here or in
  // wait()) std::runtime_error naming the failure when a replica is lost or does not answer in time.
  virtual std::unique_ptr<PendingSum> start_sum(std::vector<at::Tensor> tensors) = 0;
  void sum(const std::vector<at::Tensor>& tensors) { start_sum(tensors)->wait(); }
  // The sums of a few numbers over the replicas (float64).
  virtual std::vector<double> sum(const std::vector<double>& values) = 0;
};

using ReplicaGroupPointer = std::shared_ptr<ReplicaGroup>;

}  // namespace credence::inference

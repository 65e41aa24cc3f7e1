// ProcessGroup: the ranks of one data-parallel job on PyTorch's distributed engine, c10d, with the
// Gloo backend: a rendezvous through a c10d TCPStore that rank 0 serves, set up from the
// environment that torchrun (or `credence train --nproc`) gives every rank, and the sums that the
// trainer needs (inference/replica_group.h), gradients in buckets.
#pragma once

#include "credence/inference/replica_group.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace credence::distributed {

// Where a rank finds the others.
struct LaunchSettings {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;  // ranks on this machine
  std::string master_address = "127.0.0.1";
  int master_port = 29500;
  // How long a rank waits for the others: at the rendezvous, and for every sum. A rank that dies
  // is noticed at once (its connections close); one that stops answering, after this long.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // torchrun's agent already serves a store at MASTER_ADDR:MASTER_PORT
  // (TORCHELASTIC_USE_AGENT_STORE=True): every rank connects to it, rank 0 included.
  bool agent_store = false;
  // Which attempt of an elastic job this is (TORCHELASTIC_RESTART_COUNT): a restarted job's keys
  // do not meet the failed attempt's in the agent's store.
  int attempt = 0;
};

// The settings from torchrun's variables RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE and TORCHELASTIC_RESTART_COUNT; nullopt when WORLD_SIZE is not set (one process). Throws
// std::invalid_argument naming a variable that is missing or does not parse.
std::optional<LaunchSettings> launch_settings_from_environment();

class ProcessGroup final : public inference::ReplicaGroup {
 public:
  // Joins the job: rank 0 serves the store at master_address:master_port, every rank connects to
  // it, and the Gloo group forms over this machine's address. Throws std::runtime_error with one
  // line when the port is in use, rank 0 cannot be reached, fewer ranks than WORLD_SIZE join in
  // time, or two processes claim the same rank.
  explicit ProcessGroup(const LaunchSettings& settings);
  ~ProcessGroup() override;
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const override;
  int size() const override;
  // Sums in buckets of at most kBucketBytes, each bucket's all-reduce started at once on Gloo's
  // threads; wait() takes the sums back.
  std::unique_ptr<inference::PendingSum> start_sum(std::vector<at::Tensor> tensors) override;
  using inference::ReplicaGroup::sum;
  std::vector<double> sum(const std::vector<double>& values) override;
  // Throws std::invalid_argument on every rank unless all of them pass the same text (compared by
  // hash through the store); the message names `what` and the first rank that differs from rank 0.
  void check_same(const std::string& what, const std::string& text);
  // Returns when every rank has called it.
  void barrier();

  // What the tensor sums have cost this rank so far: sums, bytes summed (one rank's message) and
  // the time the caller spent in them (starting them, and waiting for them: communication that
  // computation did not hide, and waiting for the slowest rank, included).
  struct Traffic {
    int64_t sums = 0;
    int64_t bytes = 0;
    double seconds = 0.0;
  };
  Traffic traffic() const;

  static constexpr int64_t kBucketBytes = int64_t{4} << 20;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace credence::distributed

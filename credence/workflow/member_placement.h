// MemberPlacement: where the members of an ensemble train in a data-parallel job. Members are
// independent, so with several of them each trains whole on one replica (member m on replica
// m mod W, no gradient sums) and the replicas then exchange the trained members, so that every
// replica ends with all of them: W members train in the time of one. One member (or a run with
// checkpoints, whose files follow one member at a time) trains data-parallel on all replicas.
#pragma once

#include "credence/inference/trainer.h"

#include <cstdint>
#include <vector>

namespace credence::workflow {

class MemberPlacement {
 public:
  // `training` is the fit's training options (its replicas decide); `checkpoints`: the run writes
  // or resumes checkpoints.
  MemberPlacement(const inference::TrainOptions& training, int64_t members, bool checkpoints);

  // Whether this replica trains member m (always, outside a job or when members are not spread).
  bool trains_here(int64_t m) const;
  // Member m's training options: alone (no replicas) when members are spread.
  inference::TrainOptions options_for(inference::TrainOptions options) const;
  // Once every member is built (trained here, or untrained where another replica trains it): every
  // replica gets every member's tensors (training_tensors order) and its history's totals (the
  // epoch records stay with the replica that trained it).
  void exchange(std::vector<std::vector<at::Tensor>> member_tensors, std::vector<inference::TrainingHistory>& histories) const;

 private:
  inference::ReplicaGroup* replicas_ = nullptr;  // null: members are not spread
};

}  // namespace credence::workflow

// TrainingCheckpoint: the file `credence train --checkpoint` writes and `--resume` reads. One
// archive (archive.h: checksummed, written atomically) of kind "training_checkpoint": what the run
// must agree on (a fingerprint of the data and the settings), the ensemble members already trained,
// and the state of the member in training at the end of its last checkpointed epoch.
#pragma once

#include "credence/inference/trainer.h"
#include "credence/inference/training_state.h"
#include "credence/io/archive.h"

#include <cstdint>
#include <string>
#include <vector>

namespace credence::io {

inline constexpr const char* kTrainingCheckpointKind = "training_checkpoint";

struct CompletedMember {
  std::vector<at::Tensor> tensors;  // the network's then the likelihood's parameters and buffers
  inference::TrainingHistory history;
};

struct TrainingCheckpoint {
  // A JSON object: the data's fingerprints, the settings, the network spec, the seed, the threads.
  std::string fingerprint_json = "{}";
  std::vector<CompletedMember> completed;  // members 0 .. completed.size() - 1
  inference::TrainingState current;        // member completed.size()
};

Archive to_archive(const TrainingCheckpoint& checkpoint);
// Throws ArchiveError naming the archive's path for another kind of file or a malformed field.
TrainingCheckpoint training_checkpoint_from_archive(const Archive& archive);

void save_training_checkpoint(const std::string& path, const TrainingCheckpoint& checkpoint);
TrainingCheckpoint load_training_checkpoint(const std::string& path);

}  // namespace credence::io

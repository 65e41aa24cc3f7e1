// Resumable training: checkpoints through the member loop of fit_regression and fit_classification.
// A run with a checkpoint path hands the trainer a hook that writes the checkpoint file every few
// epochs (io/training_checkpoint.h, atomically); a run that resumes reads one, refuses it when the
// data or the settings differ (naming the first difference), puts the finished members back and
// continues the member in training from its last checkpointed epoch. With the same seed and threads
// the resumed run ends with the same tensors as one that never stopped.
#pragma once

#include "credence/inference/trainer.h"
#include "credence/io/training_checkpoint.h"
#include "credence/nn/network.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credence::workflow {

struct CheckpointSettings {
  std::string path;     // write checkpoints to this file ("": none)
  int64_t every = 1;    // epochs between two checkpoints
  std::string resume;   // resume from this checkpoint file ("": start from the first epoch)
  // Whether this process writes the checkpoints; in a data-parallel job only rank 0 does, while
  // every rank resumes from the same file.
  bool write = true;

  bool enabled() const { return !path.empty() || !resume.empty(); }
};

// What a checkpoint must agree on with the run that resumes it: the data's fingerprints, the settings
// as stored in the model file, the network spec, the seed, the feature names; and the threads (a
// difference there is only a warning: the run continues, equal in distribution, not to the bit).
nlohmann::json training_fingerprint(const std::string& settings_json, const nlohmann::json& network_spec,
                                    std::uint64_t seed, const std::vector<std::string>& feature_names,
                                    const at::Tensor& inputs, const at::Tensor& targets);

// The first difference between two fingerprints, as "settings.learning_rate is 0.01 in the
// checkpoint and 0.001 here" ("" when they agree; the threads are not compared).
std::string fingerprint_difference(const nlohmann::json& saved, const nlohmann::json& here);

// Checkpoints are written by the minibatch trainer only: refuses them for a posterior method
// (laplace, hmc, sgld, ...), naming it.
void check_checkpoints_apply(const CheckpointSettings& settings, const std::string& posterior);

class ResumableMembers {
 public:
  // Reads and checks settings.resume when given: throws std::invalid_argument naming the file and
  // the first difference, or io::ArchiveError for a file that is not a usable checkpoint.
  ResumableMembers(CheckpointSettings settings, nlohmann::json fingerprint);

  // Member m was finished before the checkpoint: its tensors go into net (and likelihood, may be
  // null) and its history is returned; std::nullopt when member m still has to train.
  std::optional<inference::TrainingHistory> restore_finished(int64_t m, nn::Network& net, torch::nn::Module* likelihood) const;
  // Member m's training options: the checkpoint hook, and the state to resume from when m is the
  // member that was in training.
  inference::TrainOptions options_for(int64_t m, inference::TrainOptions options);
  // Member m has finished: later checkpoints carry its tensors.
  void member_finished(int64_t m, nn::Network& net, torch::nn::Module* likelihood, const inference::TrainingHistory& history);
  // A line to print when the checkpoint was written with other threads ("" otherwise).
  const std::string& warning() const { return warning_; }

 private:
  CheckpointSettings settings_;
  nlohmann::json fingerprint_;
  std::optional<io::TrainingCheckpoint> resumed_;
  std::vector<io::CompletedMember> finished_;
  std::string warning_;
};

}  // namespace credence::workflow

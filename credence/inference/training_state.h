// TrainingState: everything the epoch loop needs to continue a training exactly where it stopped
// (parameters, optimiser moments, the generator, early-stopping bookkeeping), and the hooks through
// which the trainer hands it out every few epochs and takes it back on resume.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

namespace credence::inference {

struct EpochRecord {
  int64_t epoch = 0;
  double loss = 0.0;
  double negative_log_likelihood = 0.0;
  double kl = 0.0;
  double validation_nll = 0.0;  // NaN when there is no validation set
};

struct TrainingState {
  int64_t epochs_done = 0;             // completed epochs; the next one is epochs_done + 1
  std::vector<EpochRecord> records;    // one per completed epoch
  // Early stopping: the best validation NLL so far, its epoch, and the epochs since.
  double best_score = std::numeric_limits<double>::infinity();
  int64_t best_epoch = 0;
  int64_t epochs_since_best = 0;
  std::vector<at::Tensor> tensors;       // the network's then the likelihood's parameters and buffers
  std::vector<at::Tensor> best_tensors;  // the same at the best epoch (empty: none kept)
  std::vector<at::Tensor> optimizer;     // the minibatch step's own state (MinibatchStep::state)
  at::Tensor generator_state;            // the training generator's state (uint8)
};

// Checkpoints through a training: after every `every` epochs (0: never) that are not the last one,
// `save` receives the state; with `resume`, the loop starts from that state instead of epoch 1.
// The state is complete at an epoch's end: a resumed training draws the same minibatches, noise and
// masks as one that never stopped, and ends with identical tensors on the same threads.
struct TrainingCheckpoints {
  int64_t every = 0;
  std::function<void(const TrainingState&)> save;
  std::shared_ptr<const TrainingState> resume;
};

}  // namespace credence::inference

// Trainer: minibatch variational training (ELBO + Adam) with early stopping and divergence checks.
#pragma once

#include "credence/inference/gaussian_likelihood.h"
#include "credence/inference/kl_weighting.h"
#include "credence/inference/learning_rate_schedule.h"
#include "credence/inference/replica_group.h"
#include "credence/inference/training_state.h"
#include "credence/nn/network.h"

#include <ATen/ATen.h>

#include <functional>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace credence::inference {

// Thrown when a loss term becomes NaN or infinite; the message names the epoch, batch and term.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A pointer alias, because TORCH_ARG spells its getter as `const TYPE&` textually.
using ProgressStream = std::ostream*;

struct TrainOptions {
  TORCH_ARG(int64_t, epochs) = 100;
  TORCH_ARG(int64_t, batch_size) = 32;
  TORCH_ARG(double, learning_rate) = 1e-3;
  TORCH_ARG(LearningRateSchedule, learning_rate_schedule) = LearningRateSchedule::constant;
  // L2 penalty on the network weights (mcdropout and deterministic; bbb has its prior).
  TORCH_ARG(double, weight_decay) = 0.0;
  TORCH_ARG(KlWeighting, kl_weighting) = KlWeighting::uniform;
  // Stop after this many epochs without a better validation NLL (0: never stop early).
  TORCH_ARG(int64_t, patience) = 0;
  // With a validation score: restore the parameters of the best epoch (true) or keep the last (false).
  TORCH_ARG(bool, restore_best) = true;
  // Progress bar on this stream (nullptr: silent).
  TORCH_ARG(ProgressStream, progress) = nullptr;
  // A bar redrawn in place (a terminal) or plain lines, one per tenth of the epochs (a log file).
  TORCH_ARG(bool, progress_as_lines) = false;
  // Train with the hand-written step (fused_mlp_step.h) where the network and likelihood allow it;
  // false: always LibTorch's autograd. The two draw their random numbers differently, so the same
  // seed gives different (equally distributed) networks.
  TORCH_ARG(bool, fused) = true;
  // Checkpoints handed out every few epochs, and a state to resume from (training_state.h).
  TORCH_ARG(TrainingCheckpoints, checkpoints) = {};
  // Data-parallel training (null or one replica: this process alone). Every replica calls train()
  // with the same data, options and seed; each takes an even share of the rows of every minibatch
  // (one shuffle from the seed, the same on all), the gradients are summed over the replicas before
  // every update, the KL is counted once for the whole training set, and the losses, the
  // validation score and hence early stopping and the divergence checks are the replicas' sums, so
  // that every replica applies the same updates and stops at the same epoch. The fused step draws
  // the noise of the whole minibatch on every replica and keeps its rows, so that its result is one
  // process's with the same batch size up to the order of float32 sums; the autograd step's layers
  // draw from a stream of their own on each replica.
  TORCH_ARG(ReplicaGroupPointer, replicas) = nullptr;
};

// Called after every epoch; returns the validation NLL per data point (lower is better).
using ValidationScore = std::function<double()>;
// Element-wise negative log-likelihood of the targets given the network outputs.
using NegativeLogLikelihood = std::function<at::Tensor(const at::Tensor& outputs, const at::Tensor& targets)>;

struct TrainingHistory {
  std::vector<EpochRecord> epochs;
  int64_t best_epoch = 0;  // the epoch whose parameters were kept (0 without validation)
  bool stopped_early = false;
  double seconds = 0.0;
  int64_t steps = 0;  // minibatch steps taken by this run (a resumed run: since it resumed)
};

// The tensors a training changes and a checkpoint stores: the network's parameters and buffers,
// then the likelihood's (may be null), in that order.
std::vector<at::Tensor> training_tensors(nn::Network& net, torch::nn::Module* likelihood);

// Trains `net` (and the likelihood's own parameters, if any) on rows x, targets y, with autograd.
// With a validation score, the parameters of the best epoch are restored at the end (unless
// options.restore_best() is false).
TrainingHistory train(nn::Network& net, const std::shared_ptr<torch::nn::Module>& likelihood,
                      const NegativeLogLikelihood& negative_log_likelihood, const at::Tensor& x, const at::Tensor& y,
                      const TrainOptions& options, at::Generator& generator,
                      const ValidationScore& validation_score = nullptr);

// Regression with a Gaussian likelihood (the fused step where it applies).
TrainingHistory train(nn::Network& net, GaussianLikelihood& likelihood, const at::Tensor& x, const at::Tensor& y,
                      const TrainOptions& options, at::Generator& generator,
                      const ValidationScore& validation_score = nullptr);

// Classification with softmax cross-entropy: labels [N] int64 (the fused step where it applies).
TrainingHistory train_classifier(nn::Network& net, const at::Tensor& x, const at::Tensor& labels, const TrainOptions& options,
                                 at::Generator& generator, const ValidationScore& validation_score = nullptr);

}  // namespace credence::inference

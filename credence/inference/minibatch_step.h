// MinibatchStep: what the trainer asks of one optimisation step, so that the epoch loop (shuffling,
// divergence checks, validation, early stopping) is shared by the autograd step and the fused one.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace credence::inference {

struct StepValues {
  double negative_log_likelihood = 0.0;  // mean over the minibatch
  double kl = 0.0;                       // KL(q || p) of the whole network
};

class MinibatchStep {
 public:
  virtual ~MinibatchStep() = default;
  // Evaluates the loss mean NLL + kl_scale * KL on one minibatch and its gradients; changes no parameter.
  virtual StepValues evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale) = 0;
  // One Adam step with the gradients of the last evaluate().
  virtual void update(double learning_rate) = 0;
  // The optimiser's state (moments and step count) as tensors, undefined where a moment does not
  // exist yet; load_state puts a state from the same step on the same network back.
  virtual std::vector<at::Tensor> state() const = 0;
  virtual void load_state(const std::vector<at::Tensor>& state) = 0;
};

}  // namespace credence::inference

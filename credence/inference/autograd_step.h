// AutogradStep: the general training step: any network and element-wise likelihood, gradients by
// LibTorch's autograd, parameters updated by torch::optim::Adam.
#pragma once

#include "credence/inference/minibatch_step.h"
#include "credence/inference/trainer.h"
#include "credence/nn/network.h"

#include <torch/optim/adam.h>

#include <memory>

namespace credence::inference {

class AutogradStep final : public MinibatchStep {
 public:
  // Adam over the network's parameters (with the L2 weight decay) and the likelihood's (without).
  AutogradStep(nn::Network net, std::shared_ptr<torch::nn::Module> likelihood, NegativeLogLikelihood negative_log_likelihood,
               double weight_decay);
  // Forward and backward. Noise and masks come from the network's generator: under data-parallel
  // training each replica's own stream (trainer.h), so a part's draws are not the whole batch's.
  StepValues evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale, const BatchPart& part = {}) override;
  void update(double learning_rate) override;
  // Per parameter, in the optimiser's order: its step count (int64) and Adam's two moments,
  // all undefined before its first step.
  std::vector<at::Tensor> state() const override;
  void load_state(const std::vector<at::Tensor>& state) override;

 private:
  nn::Network net_;
  NegativeLogLikelihood negative_log_likelihood_;
  // Every parameter's gradient (zeros where the loss does not reach a parameter), for the sum
  // over replicas after the backward pass. Starting sums during the pass would take gradient
  // hooks per parameter and buckets filled in the order they fire, as DDP's reducer does.
  std::vector<at::Tensor> all_gradients();

  std::unique_ptr<torch::optim::Adam> optimizer_;
};

}  // namespace credence::inference

// DenseChain: a network that is a pure chain of dense layers, [dropout] dense (activation [dropout]
// dense)..., with one activation throughout. The hand-fused training step (inference/fused_mlp_step.h)
// is chosen for such a spec; every other spec trains with autograd.
#pragma once

#include "credence/core/prior.h"
#include "credence/nn/activation.h"
#include "credence/nn/network.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::nn {

struct DenseChainLayer {
  bool bayesian = false;
  double input_dropout = 0.0;         // element-wise dropout on this layer's input
  at::Tensor weight, bias;            // deterministic weights, or the posterior means
  at::Tensor weight_rho, bias_rho;    // bbb
  core::PriorOptions prior;           // bbb
};

struct DenseChain {
  std::vector<DenseChainLayer> layers;
  ActivationKind activation = ActivationKind::relu;  // between the layers
  int64_t input_features = 0;
};

// Empty when `net` is such a chain, else why not. Bayesian layers must use local reparameterization
// and have biases; activations relu or tanh.
std::string dense_chain_unsupported_reason(const Network& net);
// The chain's layers (sharing the network's parameter tensors). Throws std::invalid_argument with
// the reason when `net` is not a chain.
DenseChain dense_chain(const Network& net);

}  // namespace credence::nn

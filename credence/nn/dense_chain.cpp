// DenseChain: recognising a dense chain and exposing its tensors.
#include "credence/nn/dense_chain.h"

#include "credence/nn/bayes_linear.h"
#include "credence/nn/linear.h"
#include "credence/nn/mc_dropout.h"

#include <stdexcept>

namespace credence::nn {

namespace {

// Walks the layers; returns the reason the network is not a chain (empty when it is) and fills `chain`.
std::string walk(const Network& net, DenseChain& chain) {
  if (net->input_shape().size() != 1) return "the input is not flat";
  chain.input_features = net->input_shape()[0];
  double dropout = 0.0;
  bool have_activation = false, expect_weights = true;
  for (size_t i = 0; i < net->size(); ++i) {
    const auto& layer = net->layer(i);
    const std::string where = "layers[" + std::to_string(i) + "] (" + layer.type() + ")";
    if (const auto* d = dynamic_cast<const McDropoutImpl*>(&layer)) {
      if (!expect_weights || dropout > 0.0) return where + " is not directly before a dense layer";
      if (d->options.kind() != DropoutKind::element) return where + " is not element-wise";
      dropout = d->options.p();
      continue;
    }
    if (const auto* a = dynamic_cast<const ActivationImpl*>(&layer)) {
      if (expect_weights) return where + " does not follow a dense layer";
      if (a->kind() != ActivationKind::relu && a->kind() != ActivationKind::tanh) {
        return where + ": the fused step has relu and tanh only";
      }
      if (have_activation && a->kind() != chain.activation) return where + " differs from the earlier activations";
      chain.activation = a->kind();
      have_activation = true;
      expect_weights = true;
      continue;
    }
    DenseChainLayer entry;
    entry.input_dropout = dropout;
    if (const auto* b = dynamic_cast<const BayesLinearImpl*>(&layer)) {
      if (b->options.estimator() != Estimator::local_reparameterization) return where + ": the estimator is not local reparameterization";
      if (!b->options.bias()) return where + " has no bias";
      entry.bayesian = true;
      entry.weight = b->weight_mu;
      entry.bias = b->bias_mu;
      entry.weight_rho = b->weight_rho;
      entry.bias_rho = b->bias_rho;
      entry.prior = b->options.prior();
    } else if (const auto* l = dynamic_cast<const LinearImpl*>(&layer)) {
      if (!l->options.bias()) return where + " has no bias";
      entry.weight = l->weight;
      entry.bias = l->bias;
    } else {
      return where + " is not a dense layer, an activation or dropout";
    }
    if (!expect_weights) return where + " follows a dense layer without an activation between them";
    chain.layers.push_back(entry);
    dropout = 0.0;
    expect_weights = false;
  }
  if (expect_weights) return "the network does not end with a dense layer";
  for (const auto& p : net->parameters()) {
    if (!p.device().is_cpu()) return "the parameters are not on the CPU";
    if (p.scalar_type() != at::kFloat) return "the parameters are not float32";
    if (!p.is_contiguous()) return "a parameter is not contiguous";
  }
  return "";
}

}  // namespace

std::string dense_chain_unsupported_reason(const Network& net) {
  DenseChain chain;
  return walk(net, chain);
}

DenseChain dense_chain(const Network& net) {
  DenseChain chain;
  const auto reason = walk(net, chain);
  if (!reason.empty()) throw std::invalid_argument("not a dense chain: " + reason);
  return chain;
}

}  // namespace credence::nn

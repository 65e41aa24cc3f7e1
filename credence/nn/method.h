// Method: how a network's uncertainty is obtained, and the transformation that makes a plain spec
// (dense and convolution layers, activations, pooling) into the network of a method: bbb turns every
// weight layer into its Bayesian counterpart; mcdropout puts dropout before every weight layer after
// the first (Gal & Ghahramani 2016, for dense and convolutional networks alike) and gives every
// recurrent layer its own dropout, one mask for all time steps (Gal & Ghahramani 2016, for RNNs).
#pragma once

#include "credence/core/prior.h"
#include "credence/nn/mc_dropout.h"
#include "credence/nn/mean_field_layer.h"
#include "credence/nn/network_spec.h"

#include <torch/arg.h>

#include <string>

namespace credence::nn {

enum class Method { bbb, mcdropout, deterministic };
Method method_from_string(const std::string& name);
std::string to_string(Method method);

struct MethodOptions {
  TORCH_ARG(Method, method) = Method::bbb;
  // bbb: fields a Bayesian layer's spec leaves out.
  TORCH_ARG(core::PriorOptions, prior) = {};
  TORCH_ARG(Estimator, estimator) = Estimator::local_reparameterization;
  TORCH_ARG(double, initial_sigma) = 1e-2;
  // mcdropout: dropout before every weight layer after the first ...
  TORCH_ARG(double, dropout) = 0.05;
  // ... and, when positive, before the first (on the inputs; Srivastava et al. 2014 use 0.2 on
  // MNIST pixels). The first layer's product is then no longer shared by the Monte Carlo samples.
  TORCH_ARG(double, input_dropout) = 0.0;
  // Dropout on feature maps (after the first layer): element-wise (Gal & Ghahramani's Bayesian CNN)
  // or channel-wise. Input dropout is element-wise.
  TORCH_ARG(DropoutKind, feature_map_dropout) = DropoutKind::element;
};

// The spec of the method. A spec that already holds Bayesian or dropout layers is used as written
// (bbb fills the prior, estimator and initial sigma its Bayesian layers leave out); it must then agree
// with the method. `spec` must have its input shape (dropout on feature maps depends on it).
// Throws std::invalid_argument naming the layer that does not fit the method.
NetworkSpec apply_method(const NetworkSpec& spec, const MethodOptions& options);

// The method a spec amounts to: "bbb" with a Bayesian layer, "mcdropout" with dropout, else "deterministic".
Method method_of(const NetworkSpec& spec);

}  // namespace credence::nn

// Named network templates: "mlp" (dense layers of --hidden sizes), "lenet5" (LeCun et al. 1998, with
// ReLU and max pooling), "convnet" (a stronger convolutional network for 28x28 images), "lstm" and
// "gru" (stacked recurrent layers of --hidden sizes over sequences, then a dense output). Each is a
// plain spec; a method (method.h) makes it Bayesian or adds dropout, and the task sets the last
// layer's width.
#pragma once

#include "credence/nn/activation.h"
#include "credence/nn/network_spec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace credence::nn {

std::vector<std::string> preset_names();
bool is_preset(const std::string& name);

// The template of a preset; `hidden` and `activation` shape "mlp" (and the activation of the others).
// Throws std::invalid_argument for an unknown name.
NetworkSpec preset_spec(const std::string& name, const std::vector<int64_t>& hidden, ActivationKind activation);

// A plain dense network: linear layers of the hidden sizes with the activation between them, then a
// linear output layer of `output` units (0: left for the task to set).
NetworkSpec mlp_spec(int64_t input, const std::vector<int64_t>& hidden, int64_t output,
                     ActivationKind activation = ActivationKind::relu);

}  // namespace credence::nn

// NetworkOptions: everything that chooses a network (the architecture, a preset or a spec file, and
// the method with its settings), in one place for every task and command; and the completion of a
// template for the data and the task.
#pragma once

#include "credence/nn/activation.h"
#include "credence/nn/method.h"
#include "credence/nn/network_spec.h"

#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::nn {

struct NetworkOptions {
  // A preset name (network_presets.h) or the path of a JSON spec file.
  TORCH_ARG(std::string, network) = "mlp";
  // The preset mlp's hidden layer sizes, and the presets' activation.
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{50};
  TORCH_ARG(ActivationKind, activation) = ActivationKind::relu;
  TORCH_ARG(MethodOptions, method) = {};
};

// The template that options.network() names: a preset or a spec file.
NetworkSpec network_template(const NetworkOptions& options);

// Sets the out_features of the spec's output layer (its last layer with weights) when it is a dense
// layer that leaves them out; a dense output layer that sets another width is refused naming it
// (std::invalid_argument); a convolution as the last layer with weights is left as it is.
void set_output_width(NetworkSpec& spec, int64_t output_width);

// A template completed for data rows of shape `data_shape` ([features] for a table, [1, rows, cols]
// for images) and a task whose network output is [output_width]: the input shape (kept if the spec
// sets it: its size must match the data's; else the data's shape, flattened for a dense first layer
// or [1, length] for a 1-D convolution) and the last dense layer's out_features (set when the spec
// leaves it out). Throws std::invalid_argument naming the layer and shapes that do not fit.
NetworkSpec complete_spec(NetworkSpec spec, const Shape& data_shape, int64_t output_width);

// The template, completed, with the method applied.
NetworkSpec network_spec_for(const NetworkOptions& options, const Shape& data_shape, int64_t output_width);

}  // namespace credence::nn

// The layer registry: every layer type a network spec may name, with the function that builds it
// from its fields for a given input shape. A new layer type is one file (its options, module and
// spec fields) plus one line in layer_registry.cpp.
#pragma once

#include "credence/nn/layer.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace credence::nn {

class SpecFields;

using LayerFactory = std::function<std::shared_ptr<Layer>(SpecFields& fields, const Shape& input)>;

enum class LayerRole {
  plain,             // no weights: activations, pooling, flatten, dropout
  weights,           // deterministic weights (dense, convolution)
  bayesian_weights,  // a posterior over its weights
};

struct LayerType {
  std::string name;
  LayerFactory build;
  // The rank of one input row the layer takes: 1 ([features]), 2 ([channels, length]), 3
  // ([channels, height, width]); 0 for any. A template's input shape follows from its first layer
  // of a fixed rank.
  size_t input_rank = 0;
  LayerRole role = LayerRole::plain;
  // For a layer with deterministic weights: the Bayesian type that bbb turns it into, with the same fields.
  std::string bayesian_type;
  // A recurrent layer: mcdropout sets its own field "dropout" (one mask for every time step) rather
  // than putting a dropout layer before it, and its Bayesian form takes no local reparameterization.
  bool recurrent = false;
};

// Every registered type, in the order the documentation lists them.
const std::vector<LayerType>& layer_types();
std::vector<std::string> layer_type_names();
// The registered type of that name, or nullptr.
const LayerType* find_layer_type(const std::string& name);
// The role of a layer spec's type (plain for an unknown type: building it reports that).
LayerRole layer_role(const nlohmann::json& layer_spec);

// Builds layers[index] of a spec from its JSON object for an input of one row's shape `input`.
// Throws std::invalid_argument "layers[3] (bayes_linear): ..." for an unknown type, a missing,
// wrong-typed or unknown field, or an input shape the layer does not take.
std::shared_ptr<Layer> build_layer(const nlohmann::json& layer_spec, const Shape& input, size_t index);

}  // namespace credence::nn

// The registry: one line per layer type.
#include "credence/nn/layer_registry.h"

#include "credence/nn/activation.h"
#include "credence/nn/bayes_conv.h"
#include "credence/nn/bayes_linear.h"
#include "credence/nn/batch_norm.h"
#include "credence/nn/bayes_recurrent.h"
#include "credence/nn/conv.h"
#include "credence/nn/conv_transpose.h"
#include "credence/nn/flatten.h"
#include "credence/nn/linear.h"
#include "credence/nn/mc_dropout.h"
#include "credence/nn/pooling.h"
#include "credence/nn/recurrent.h"
#include "credence/nn/spec_fields.h"
#include "credence/nn/unflatten.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

namespace {

LayerFactory pool(PoolKind kind, size_t dims) {
  return [kind, dims](SpecFields& fields, const Shape& input) { return PoolImpl::from_spec(fields, input, kind, dims); };
}

template <typename Impl>
LayerFactory recurrent(CellKind kind) {
  return [kind](SpecFields& fields, const Shape& input) { return Impl::from_spec(fields, input, kind); };
}

LayerFactory batch_norm(int64_t spatial) {
  return [spatial](SpecFields& fields, const Shape& input) { return BatchNormImpl::from_spec(fields, input, spatial); };
}

LayerFactory activation(ActivationKind kind) {
  return [kind](SpecFields& fields, const Shape& input) { return ActivationImpl::from_spec(fields, input, kind); };
}

}  // namespace

const std::vector<LayerType>& layer_types() {
  static const std::vector<LayerType> types = {
      {"linear", LinearImpl::from_spec, 1, LayerRole::weights, "bayes_linear"},
      {"bayes_linear", BayesLinearImpl::from_spec, 1, LayerRole::bayesian_weights, ""},
      {"conv1d", Conv1dImpl::from_spec, 2, LayerRole::weights, "bayes_conv1d"},
      {"conv2d", Conv2dImpl::from_spec, 3, LayerRole::weights, "bayes_conv2d"},
      {"bayes_conv1d", BayesConv1dImpl::from_spec, 2, LayerRole::bayesian_weights, ""},
      {"bayes_conv2d", BayesConv2dImpl::from_spec, 3, LayerRole::bayesian_weights, ""},
      {"lstm", recurrent<RecurrentImpl>(CellKind::lstm), 2, LayerRole::weights, "bayes_lstm", true},
      {"gru", recurrent<RecurrentImpl>(CellKind::gru), 2, LayerRole::weights, "bayes_gru", true},
      {"bayes_lstm", recurrent<BayesRecurrentImpl>(CellKind::lstm), 2, LayerRole::bayesian_weights, "", true},
      {"bayes_gru", recurrent<BayesRecurrentImpl>(CellKind::gru), 2, LayerRole::bayesian_weights, "", true},
      {"max_pool1d", pool(PoolKind::max, 1), 2, LayerRole::plain, ""},
      {"max_pool2d", pool(PoolKind::max, 2), 3, LayerRole::plain, ""},
      {"avg_pool1d", pool(PoolKind::average, 1), 2, LayerRole::plain, ""},
      {"avg_pool2d", pool(PoolKind::average, 2), 3, LayerRole::plain, ""},
      {"flatten", FlattenImpl::from_spec, 0, LayerRole::plain, ""},
      {"mc_dropout", McDropoutImpl::from_spec, 0, LayerRole::plain, ""},
      {"relu", activation(ActivationKind::relu), 0, LayerRole::plain, ""},
      {"tanh", activation(ActivationKind::tanh), 0, LayerRole::plain, ""},
      {"gelu", activation(ActivationKind::gelu), 0, LayerRole::plain, ""},
      {"sigmoid", activation(ActivationKind::sigmoid), 0, LayerRole::plain, ""},
      {"leaky_relu", activation(ActivationKind::leaky_relu), 0, LayerRole::plain, ""},
      {"unflatten", UnflattenImpl::from_spec, 1, LayerRole::plain, ""},
      {"conv_transpose2d", ConvTranspose2dImpl::from_spec, 3, LayerRole::weights, ""},
      {"batch_norm1d", batch_norm(1), 0, LayerRole::plain, ""},
      {"batch_norm2d", batch_norm(2), 3, LayerRole::plain, ""},
  };
  return types;
}

std::vector<std::string> layer_type_names() {
  std::vector<std::string> names;
  for (const auto& t : layer_types()) names.push_back(t.name);
  return names;
}

const LayerType* find_layer_type(const std::string& name) {
  for (const auto& t : layer_types()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

LayerRole layer_role(const nlohmann::json& layer_spec) {
  if (!layer_spec.is_object() || !layer_spec.contains("type") || !layer_spec.at("type").is_string()) return LayerRole::plain;
  const auto* type = find_layer_type(layer_spec.at("type").get<std::string>());
  return type ? type->role : LayerRole::plain;
}

std::shared_ptr<Layer> build_layer(const nlohmann::json& layer_spec, const Shape& input, size_t index) {
  const std::string position = "layers[" + std::to_string(index) + "]";
  if (!layer_spec.is_object()) {
    throw std::invalid_argument(position + ": expected a JSON object with a \"type\", got " + layer_spec.dump());
  }
  if (!layer_spec.contains("type") || !layer_spec.at("type").is_string()) {
    throw std::invalid_argument(position + ": missing field 'type' (a layer type name)");
  }
  const auto type = layer_spec.at("type").get<std::string>();
  if (const auto* t = find_layer_type(type)) {
    SpecFields fields(layer_spec, position + " (" + type + ")");
    std::shared_ptr<Layer> layer;
    try {
      layer = t->build(fields, input);
      layer->output_shape(input);  // the layer's own check of its input
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      throw std::invalid_argument(message.rfind(fields.where(), 0) == 0 ? message : fields.where() + ": " + message);
    }
    fields.finish();
    return layer;
  }
  std::string known;
  for (const auto& name : layer_type_names()) known += (known.empty() ? "" : ", ") + name;
  throw std::invalid_argument(position + ": unknown layer type '" + type + "' (known: " + known + ")");
}

}  // namespace credence::nn

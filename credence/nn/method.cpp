// Method: the bbb and mcdropout transformations of a spec.
#include "credence/nn/method.h"

#include "credence/nn/layer_registry.h"
#include "credence/nn/spec_fields.h"

#include <stdexcept>

namespace credence::nn {

using nlohmann::json;

Method method_from_string(const std::string& name) {
  if (name == "bbb") return Method::bbb;
  if (name == "mcdropout") return Method::mcdropout;
  if (name == "deterministic") return Method::deterministic;
  throw std::invalid_argument("unknown method '" + name + "' (expected bbb, mcdropout or deterministic)");
}

std::string to_string(Method method) {
  switch (method) {
    case Method::bbb: return "bbb";
    case Method::mcdropout: return "mcdropout";
    case Method::deterministic: return "deterministic";
  }
  return "unknown";
}

namespace {

std::string type_of(const json& layer) {
  return layer.is_object() && layer.contains("type") && layer.at("type").is_string() ? layer.at("type").get<std::string>() : "";
}

bool is_recurrent(const json& layer) {
  const auto* type = find_layer_type(type_of(layer));
  return type && type->recurrent;
}

// A dropout layer, or a recurrent layer with dropout of its own.
bool is_dropout(const json& layer) {
  if (type_of(layer) == "mc_dropout") return true;
  return is_recurrent(layer) && layer.contains("dropout") && layer.at("dropout").is_number() &&
         layer.at("dropout").get<double>() > 0.0;
}

std::string describe(const NetworkSpec& spec, size_t i) { return "layers[" + std::to_string(i) + "] (" + type_of(spec.layers[i]) + ")"; }

json bayesian_fields(json layer, const MethodOptions& options) {
  if (!layer.contains("prior")) layer["prior"] = prior_to_json(options.prior());
  if (!layer.contains("estimator")) {
    // A recurrent layer keeps one weight sample through time: local reparameterization becomes reparam.
    const bool local = options.estimator() == Estimator::local_reparameterization;
    layer["estimator"] = to_string(local && is_recurrent(layer) ? Estimator::reparameterization : options.estimator());
  }
  if (!layer.contains("initial_sigma")) layer["initial_sigma"] = options.initial_sigma();
  return layer;
}

// The shape of each layer's input, following the spec with shape inference by a throwaway build.
std::vector<Shape> input_shapes(const NetworkSpec& spec) {
  std::vector<Shape> shapes{spec.input};
  for (size_t i = 0; i + 1 < spec.layers.size(); ++i) {
    shapes.push_back(build_layer(spec.layers[i], shapes.back(), i)->output_shape(shapes.back()));
  }
  return shapes;
}

}  // namespace

Method method_of(const NetworkSpec& spec) {
  bool dropout = false;
  for (const auto& layer : spec.layers) {
    if (layer_role(layer) == LayerRole::bayesian_weights) return Method::bbb;
    dropout = dropout || is_dropout(layer);
  }
  return dropout ? Method::mcdropout : Method::deterministic;
}

NetworkSpec apply_method(const NetworkSpec& spec, const MethodOptions& options) {
  if (spec.input.empty()) throw std::invalid_argument("apply_method: the spec needs its input shape");
  const Method written = method_of(spec);
  NetworkSpec out{spec.input, {}};
  auto refuse = [&](size_t i) {
    throw std::invalid_argument(describe(spec, i) + ": --method " + to_string(options.method()) +
                                " cannot apply to a spec with this layer (the spec is a " + to_string(written) +
                                " network; give --method " + to_string(written) + " or remove the layer)");
  };
  switch (options.method()) {
    case Method::deterministic:
      for (size_t i = 0; i < spec.layers.size(); ++i) {
        if (layer_role(spec.layers[i]) == LayerRole::bayesian_weights || is_dropout(spec.layers[i])) refuse(i);
      }
      return spec;
    case Method::bbb:
      for (size_t i = 0; i < spec.layers.size(); ++i) {
        const auto& layer = spec.layers[i];
        if (is_dropout(layer)) refuse(i);
        const auto* type = find_layer_type(type_of(layer));
        if (type && type->role == LayerRole::weights && !type->bayesian_type.empty()) {
          auto converted = layer;
          converted["type"] = type->bayesian_type;
          converted.erase("dropout");  // zero (a positive one was refused above)
          out.layers.push_back(bayesian_fields(converted, options));
        } else if (type && type->role == LayerRole::bayesian_weights) {
          out.layers.push_back(bayesian_fields(layer, options));
        } else {
          out.layers.push_back(layer);
        }
      }
      return out;
    case Method::mcdropout:
      break;
  }
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    if (layer_role(spec.layers[i]) == LayerRole::bayesian_weights) refuse(i);
  }
  if (written == Method::mcdropout) return spec;
  const auto shapes = input_shapes(spec);
  bool first = true;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    if (layer_role(spec.layers[i]) == LayerRole::weights && is_recurrent(spec.layers[i])) {
      // Its own mask over the step's input and the state, the same at every step (Gal & Ghahramani).
      auto layer = spec.layers[i];
      layer["dropout"] = options.dropout();
      out.layers.push_back(layer);
      first = false;
      continue;
    }
    if (layer_role(spec.layers[i]) == LayerRole::weights) {
      const double p = first ? options.input_dropout() : options.dropout();
      if (p > 0.0) {
        // Input dropout drops pixels or features, never a whole input channel.
        const bool feature_map = !first && shapes[i].size() > 1;
        out.layers.push_back({{"type", "mc_dropout"},
                              {"p", p},
                              {"kind", to_string(feature_map ? options.feature_map_dropout() : DropoutKind::element)}});
      }
      first = false;
    }
    out.layers.push_back(spec.layers[i]);
  }
  return out;
}

}  // namespace credence::nn

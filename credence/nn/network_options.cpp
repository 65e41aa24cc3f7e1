// NetworkOptions: templates, their completion for the data and task, and the method.
#include "credence/nn/network_options.h"

#include "credence/nn/layer_registry.h"
#include "credence/nn/network.h"
#include "credence/nn/network_presets.h"

#include <fstream>
#include <stdexcept>

namespace credence::nn {

using nlohmann::json;

NetworkSpec network_template(const NetworkOptions& options) {
  if (is_preset(options.network())) return preset_spec(options.network(), options.hidden(), options.activation());
  if (!std::ifstream(options.network())) {
    std::string known;
    for (const auto& p : preset_names()) known += (known.empty() ? "" : ", ") + p;
    throw std::invalid_argument("--network: '" + options.network() + "' is neither a preset (" + known +
                                ") nor a readable JSON spec file");
  }
  return read_network_spec(options.network());
}

namespace {

Shape output_shape_of(const NetworkSpec& spec) { return NetworkImpl(spec).output_shape(); }

// The data's row shape at the rank of the first layer that fixes one: flattened for a dense layer,
// one channel for a 1-D convolution of table rows.
Shape input_for(const NetworkSpec& spec, const Shape& data_shape) {
  const int64_t values = element_count(data_shape);
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const auto& layer = spec.layers[i];
    if (!layer.is_object() || !layer.contains("type") || !layer.at("type").is_string()) return data_shape;
    const auto type = layer.at("type").get<std::string>();
    if (type == "flatten") return data_shape;
    const auto* registered = find_layer_type(type);
    if (!registered || registered->input_rank == 0) continue;
    if (registered->recurrent) {
      // Sequences [steps, features]: a table row is a sequence of single values, an image its rows.
      if (data_shape.size() == 1) return {values, 1};
      if (data_shape.size() == 3 && data_shape[0] == 1) return {data_shape[1], data_shape[2]};
      return data_shape;
    }
    switch (registered->input_rank) {
      case 1:
        return {values};
      case 2:
        return data_shape.size() == 1 ? Shape{1, values} : Shape{data_shape[0], values / data_shape[0]};
      default:
        if (data_shape.size() != registered->input_rank) {
          throw std::invalid_argument("layers[" + std::to_string(i) + "] (" + type + ") needs rows of shape [channels, height, width]; the data's rows are " +
                                      to_string(data_shape) + " (images come from idx:DIR)");
        }
        return data_shape;
    }
  }
  return data_shape;
}

}  // namespace

void set_output_width(NetworkSpec& spec, int64_t output_width) {
  for (size_t i = spec.layers.size(); i-- > 0;) {
    auto& layer = spec.layers[i];
    if (layer_role(layer) == LayerRole::plain) continue;
    const auto type = layer.at("type").get<std::string>();
    if (type != "linear" && type != "bayes_linear") return;  // a convolution ends it: the shape check decides
    if (!layer.contains("out_features")) {
      layer["out_features"] = output_width;
    } else if (layer.at("out_features") != output_width) {
      throw std::invalid_argument("layers[" + std::to_string(i) + "] (" + type + "): out_features " +
                                  layer.at("out_features").dump() + " does not match the task's output width " +
                                  std::to_string(output_width) + " (leave out_features out of the last layer to have it set)");
    }
    return;
  }
}

NetworkSpec complete_spec(NetworkSpec spec, const Shape& data_shape, int64_t output_width) {
  set_output_width(spec, output_width);
  const int64_t values = element_count(data_shape);
  if (!spec.input.empty()) {
    if (element_count(spec.input) != values) {
      throw std::invalid_argument("the network takes rows of shape " + to_string(spec.input) + " (" +
                                  std::to_string(element_count(spec.input)) + " values); the data's rows are " +
                                  to_string(data_shape) + " (" + std::to_string(values) + " values)");
    }
  } else {
    spec.input = input_for(spec, data_shape);
  }
  const auto out = output_shape_of(spec);
  if (out != Shape{output_width}) {
    throw std::invalid_argument("the network's output is " + to_string(out) + " per row; the task needs [" +
                                std::to_string(output_width) + "] (end the spec with a flatten and a dense layer)");
  }
  return spec;
}

NetworkSpec network_spec_for(const NetworkOptions& options, const Shape& data_shape, int64_t output_width) {
  return apply_method(complete_spec(network_template(options), data_shape, output_width), options.method());
}

}  // namespace credence::nn

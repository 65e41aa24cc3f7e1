// The named network templates.
#include "credence/nn/network_presets.h"

#include <stdexcept>

namespace credence::nn {

using nlohmann::json;

namespace {

json conv2d(int64_t channels, int64_t kernel, int64_t padding) {
  return {{"type", "conv2d"}, {"out_channels", channels}, {"kernel_size", kernel}, {"padding", padding}};
}
json max_pool(int64_t kernel) { return {{"type", "max_pool2d"}, {"kernel_size", kernel}}; }
json dense(int64_t units) { return {{"type", "linear"}, {"out_features", units}}; }
json output_layer() { return {{"type", "linear"}}; }
json activation(ActivationKind kind) { return {{"type", to_string(kind)}}; }

}  // namespace

std::vector<std::string> preset_names() { return {"mlp", "lenet5", "convnet", "lstm", "gru"}; }

bool is_preset(const std::string& name) {
  for (const auto& p : preset_names()) {
    if (p == name) return true;
  }
  return false;
}

NetworkSpec mlp_spec(int64_t input, const std::vector<int64_t>& hidden, int64_t output, ActivationKind kind) {
  NetworkSpec spec;
  if (input > 0) spec.input = {input};
  for (auto units : hidden) {
    spec.layers.push_back(dense(units));
    spec.layers.push_back(activation(kind));
  }
  spec.layers.push_back(output > 0 ? dense(output) : output_layer());
  return spec;
}

NetworkSpec preset_spec(const std::string& name, const std::vector<int64_t>& hidden, ActivationKind kind) {
  if (name == "mlp") return mlp_spec(0, hidden, 0, kind);
  if (name == "lstm" || name == "gru") {
    // Stacked recurrent layers of the hidden sizes (each but the last passes on every step's
    // state), the last step's state feeding a dense output layer.
    if (hidden.empty()) throw std::invalid_argument("network '" + name + "': give the recurrent layers' sizes with --hidden");
    NetworkSpec spec;
    for (size_t i = 0; i < hidden.size(); ++i) {
      spec.layers.push_back(
          {{"type", name}, {"hidden_size", hidden[i]}, {"output", i + 1 < hidden.size() ? "sequence" : "last"}});
    }
    spec.layers.push_back(output_layer());
    return spec;
  }
  NetworkSpec spec;
  spec.input = {1, 28, 28};
  if (name == "lenet5") {
    // 6 and 16 feature maps of 5x5 kernels (the first padded, as for 32x32 inputs), 120-84 dense.
    spec.layers = {conv2d(6, 5, 2), activation(kind), max_pool(2), conv2d(16, 5, 0), activation(kind), max_pool(2),
                   {{"type", "flatten"}}, dense(120), activation(kind), dense(84), activation(kind), output_layer()};
    return spec;
  }
  if (name == "convnet") {
    // Two blocks of two 3x3 convolutions (32 then 64 maps) with max pooling, and a 256-unit dense layer.
    spec.layers = {conv2d(32, 3, 1), activation(kind), conv2d(32, 3, 1), activation(kind), max_pool(2),
                   conv2d(64, 3, 1), activation(kind), conv2d(64, 3, 1), activation(kind), max_pool(2),
                   {{"type", "flatten"}}, dense(256), activation(kind), output_layer()};
    return spec;
  }
  std::string known;
  for (const auto& p : preset_names()) known += (known.empty() ? "" : ", ") + p;
  throw std::invalid_argument("unknown network '" + name + "' (expected a preset: " + known + ", or a JSON spec file)");
}

}  // namespace credence::nn

// NetworkSpec: a network as an ordered list of typed layers, with the shape of one input row. Its
// JSON form is versioned and is what model files store:
//   {"format": "credence-network", "version": 1, "input": [1, 28, 28],
//    "layers": [{"type": "conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}, {"type": "relu"}, ...]}
// A template (a preset, or a file a user writes) may leave out the input shape, which the data then
// give, and the last dense layer's out_features, which the task gives (see network_options.h).
#pragma once

#include "credence/nn/shape.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace credence::nn {

inline constexpr const char* kNetworkSpecFormat = "credence-network";
inline constexpr int kNetworkSpecVersion = 1;

struct NetworkSpec {
  Shape input;                         // one row's shape; empty in a template that lets the data decide
  std::vector<nlohmann::json> layers;  // each {"type": ..., fields...}

  nlohmann::json to_json() const;
  // Reads the JSON form; "format" and "version" may be absent (a hand-written template) but must match
  // when present. Throws std::invalid_argument prefixed by `where` (a file name, say).
  static NetworkSpec from_json(const nlohmann::json& j, const std::string& where);
};

// A spec file (JSON). Throws std::invalid_argument naming the file, and the line and column of a
// JSON syntax error.
NetworkSpec read_network_spec(const std::string& path);
// The JSON document of a spec file (one spec, or several under names, as a VAE's encoder and
// decoder), with the errors of read_network_spec.
nlohmann::json read_spec_file(const std::string& path);

}  // namespace credence::nn

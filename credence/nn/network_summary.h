// NetworkSummary: a network's layer table (type, output shape, weights, parameters, Bayesian or
// not) and its totals, as `credence inspect` prints it (as Keras' summary or torch's module printing does).
#pragma once

#include "credence/nn/network.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::nn {

struct LayerSummary {
  size_t index = 0;
  std::string type;
  Shape output;
  int64_t weights = 0;     // weights and biases (a Bayesian layer has one distribution per weight)
  int64_t parameters = 0;  // trained numbers: a Bayesian weight has two (mu, rho)
  bool bayesian = false;
};

struct NetworkSummary {
  Shape input;
  std::vector<LayerSummary> layers;
  int64_t weights = 0, parameters = 0, bayesian_weights = 0;
};

NetworkSummary summarise(const Network& net);
// A text table: one line per layer, then the totals.
std::string to_text(const NetworkSummary& summary);
// {"input": [...], "layers": [{"index", "type", "output", "weights", "parameters", "bayesian"}...],
//  "weights", "parameters", "bayesian_weights"}.
nlohmann::json to_json(const NetworkSummary& summary);

}  // namespace credence::nn

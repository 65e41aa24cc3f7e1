// The layer table of a network.
#include "credence/nn/network_summary.h"

#include "credence/nn/mean_field_layer.h"

#include <cstdio>

namespace credence::nn {

NetworkSummary summarise(const Network& net) {
  NetworkSummary summary;
  summary.input = net->input_shape();
  for (size_t i = 0; i < net->size(); ++i) {
    const auto& layer = net->layer(i);
    LayerSummary row;
    row.index = i;
    row.type = layer.type();
    row.output = net->layer_output_shape(i);
    for (const auto& p : layer.module().parameters()) row.parameters += p.numel();
    row.bayesian = layer.is_bayesian();
    if (const auto* posterior = dynamic_cast<const MeanFieldLayer*>(&layer)) {
      for (const auto& p : posterior->posterior_parameters()) row.weights += p.mu.numel();
    } else {
      row.weights = row.parameters;
    }
    summary.weights += row.weights;
    summary.parameters += row.parameters;
    if (row.bayesian) summary.bayesian_weights += row.weights;
    summary.layers.push_back(row);
  }
  return summary;
}

std::string to_text(const NetworkSummary& s) {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "%-6s %-14s %-16s %10s %11s  %s\n", "layer", "type", "output", "weights", "parameters",
                "bayesian");
  out += line;
  std::snprintf(line, sizeof line, "%-6s %-14s %-16s %10s %11s  %s\n", "", "input", to_string(s.input).c_str(), "", "", "");
  out += line;
  for (const auto& l : s.layers) {
    std::snprintf(line, sizeof line, "%-6zu %-14s %-16s %10lld %11lld  %s\n", l.index, l.type.c_str(), to_string(l.output).c_str(),
                  static_cast<long long>(l.weights), static_cast<long long>(l.parameters), l.bayesian ? "yes" : "no");
    out += line;
  }
  std::snprintf(line, sizeof line, "total: %lld weights (%lld Bayesian), %lld trained parameters\n",
                static_cast<long long>(s.weights), static_cast<long long>(s.bayesian_weights),
                static_cast<long long>(s.parameters));
  out += line;
  return out;
}

nlohmann::json to_json(const NetworkSummary& s) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : s.layers) {
    layers.push_back({{"index", l.index}, {"type", l.type}, {"output", l.output}, {"weights", l.weights},
                      {"parameters", l.parameters}, {"bayesian", l.bayesian}});
  }
  return {{"input", s.input}, {"layers", layers}, {"weights", s.weights}, {"parameters", s.parameters},
          {"bayesian_weights", s.bayesian_weights}};
}

}  // namespace credence::nn

// NetworkSpec: the JSON envelope and spec files.
#include "credence/nn/network_spec.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace credence::nn {

using nlohmann::json;

json NetworkSpec::to_json() const {
  json out = {{"format", kNetworkSpecFormat}, {"version", kNetworkSpecVersion}};
  if (!input.empty()) out["input"] = input;
  out["layers"] = layers;
  return out;
}

NetworkSpec NetworkSpec::from_json(const json& j, const std::string& where) {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(where + ": " + what); };
  if (!j.is_object()) fail("a network spec must be a JSON object with a \"layers\" list");
  for (const auto& item : j.items()) {
    if (item.key() != "format" && item.key() != "version" && item.key() != "input" && item.key() != "layers") {
      fail("unknown field '" + item.key() + "' (a spec has format, version, input and layers)");
    }
  }
  if (j.contains("format") && j.at("format") != kNetworkSpecFormat) {
    fail("field 'format' must be \"" + std::string(kNetworkSpecFormat) + "\", got " + j.at("format").dump());
  }
  if (j.contains("version")) {
    const auto& v = j.at("version");
    if (!v.is_number_integer()) fail("field 'version' must be an integer, got " + v.dump());
    if (v.get<int64_t>() != kNetworkSpecVersion) {
      fail("spec version " + v.dump() + " is not supported (this credence reads version " +
           std::to_string(kNetworkSpecVersion) + ")");
    }
  }
  NetworkSpec spec;
  if (j.contains("input")) {
    const auto& input = j.at("input");
    bool valid = input.is_array() && !input.empty() && input.size() <= 3;
    if (valid) {
      for (const auto& d : input) valid = valid && d.is_number_integer() && d.get<int64_t>() > 0;
    }
    if (!valid) fail("field 'input' must be a list of 1 to 3 positive sizes ([features], [channels, length] or [channels, height, width]), got " + input.dump());
    spec.input = input.get<Shape>();
  }
  if (!j.contains("layers")) fail("missing field 'layers' (a list of layers)");
  const auto& layers = j.at("layers");
  if (!layers.is_array() || layers.empty()) fail("field 'layers' must be a non-empty list of layers");
  for (const auto& layer : layers) spec.layers.push_back(layer);
  return spec;
}

NetworkSpec read_network_spec(const std::string& path) { return NetworkSpec::from_json(read_spec_file(path), path); }

json read_spec_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open the network spec (missing or unreadable)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // The byte offset of the error, as line and column.
    const size_t offset = e.byte == 0 ? 0 : e.byte - 1;
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw std::invalid_argument(path + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                ": the network spec is not valid JSON");
  }
  return j;
}

}  // namespace credence::nn

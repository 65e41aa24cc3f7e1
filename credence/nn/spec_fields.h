// SpecFields: typed reading of one layer's fields from its JSON spec, with errors that name the
// layer and the field, and a check that no field is left unread (a misspelt field is an error, not
// a silent default).
#pragma once

#include "credence/core/prior.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace credence::nn {

class SpecFields {
 public:
  // `where` names the layer in messages, e.g. "layers[3] (bayes_linear)".
  SpecFields(const nlohmann::json& fields, std::string where);

  bool has(const std::string& name) const;
  int64_t positive_integer(const std::string& name);
  int64_t positive_integer_or(const std::string& name, int64_t fallback);
  int64_t non_negative_integer_or(const std::string& name, int64_t fallback);
  // An integer or a list of `dims` integers (a kernel size, a stride), each at least `minimum`.
  std::vector<int64_t> integers(const std::string& name, size_t dims, int64_t minimum);
  std::vector<int64_t> integers_or(const std::string& name, size_t dims, int64_t minimum, int64_t fallback);
  // A list of between `fewest` and `most` positive integers (a shape).
  std::vector<int64_t> positive_integer_list(const std::string& name, size_t fewest, size_t most);
  double number_or(const std::string& name, double fallback);
  bool boolean_or(const std::string& name, bool fallback);
  std::string string_or(const std::string& name, const std::string& fallback);
  core::PriorOptions prior_or(const std::string& name, const core::PriorOptions& fallback);

  // Throws std::invalid_argument naming the first field that was not read.
  void finish() const;
  const std::string& where() const { return where_; }
  // std::invalid_argument("<where>: <what>").
  [[noreturn]] void fail(const std::string& what) const;

 private:
  const nlohmann::json& field(const std::string& name);
  const nlohmann::json& fields_;
  std::string where_;
  std::set<std::string> read_;
};

// The JSON form of a prior, as specs and model files store it.
nlohmann::json prior_to_json(const core::PriorOptions& prior);

}  // namespace credence::nn

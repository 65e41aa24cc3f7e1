// SpecFields: typed field access with messages that name the layer and the field.
#include "credence/nn/spec_fields.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::nn {

using nlohmann::json;

SpecFields::SpecFields(const json& fields, std::string where) : fields_(fields), where_(std::move(where)) {
  if (!fields_.is_object()) fail("expected a JSON object, got " + fields_.dump());
  read_.insert("type");
}

void SpecFields::fail(const std::string& what) const { throw std::invalid_argument(where_ + ": " + what); }

bool SpecFields::has(const std::string& name) const { return fields_.contains(name); }

const json& SpecFields::field(const std::string& name) {
  read_.insert(name);
  return fields_.at(name);
}

namespace {

bool is_integer(const json& value) {
  if (value.is_number_integer()) return true;
  // 5.0 is accepted as 5; 5.5 is not.
  return value.is_number_float() && std::isfinite(value.get<double>()) && std::floor(value.get<double>()) == value.get<double>() &&
         std::abs(value.get<double>()) < 9.0e15;
}

int64_t as_integer(const json& value) {
  return value.is_number_integer() ? value.get<int64_t>() : static_cast<int64_t>(value.get<double>());
}

}  // namespace

int64_t SpecFields::positive_integer(const std::string& name) {
  if (!has(name)) fail("missing field '" + name + "' (a positive integer)");
  const auto& value = field(name);
  if (!is_integer(value) || as_integer(value) <= 0) fail("field '" + name + "' must be a positive integer, got " + value.dump());
  return as_integer(value);
}

int64_t SpecFields::positive_integer_or(const std::string& name, int64_t fallback) {
  return has(name) ? positive_integer(name) : fallback;
}

int64_t SpecFields::non_negative_integer_or(const std::string& name, int64_t fallback) {
  if (!has(name)) return fallback;
  const auto& value = field(name);
  if (!is_integer(value) || as_integer(value) < 0) fail("field '" + name + "' must be a non-negative integer, got " + value.dump());
  return as_integer(value);
}

std::vector<int64_t> SpecFields::integers(const std::string& name, size_t dims, int64_t minimum) {
  const std::string expectation = (minimum > 0 ? "a positive integer" : "a non-negative integer") +
                                  std::string(dims > 1 ? " or a list of " + std::to_string(dims) + " of them" : "");
  if (!has(name)) fail("missing field '" + name + "' (" + expectation + ")");
  const auto& value = field(name);
  std::vector<int64_t> out;
  if (is_integer(value)) {
    out.assign(dims, as_integer(value));
  } else if (value.is_array() && value.size() == dims) {
    for (const auto& item : value) {
      if (!is_integer(item)) fail("field '" + name + "' must be " + expectation + ", got " + value.dump());
      out.push_back(as_integer(item));
    }
  } else {
    fail("field '" + name + "' must be " + expectation + ", got " + value.dump());
  }
  for (auto v : out) {
    if (v < minimum) fail("field '" + name + "' must be " + expectation + ", got " + value.dump());
  }
  return out;
}

std::vector<int64_t> SpecFields::positive_integer_list(const std::string& name, size_t fewest, size_t most) {
  const std::string expectation = "a list of " + std::to_string(fewest) + " to " + std::to_string(most) + " positive integers";
  if (!has(name)) fail("missing field '" + name + "' (" + expectation + ")");
  const auto& value = field(name);
  if (!value.is_array() || value.size() < fewest || value.size() > most) {
    fail("field '" + name + "' must be " + expectation + ", got " + value.dump());
  }
  std::vector<int64_t> out;
  for (const auto& item : value) {
    if (!is_integer(item) || as_integer(item) < 1) fail("field '" + name + "' must be " + expectation + ", got " + value.dump());
    out.push_back(as_integer(item));
  }
  return out;
}

std::vector<int64_t> SpecFields::integers_or(const std::string& name, size_t dims, int64_t minimum, int64_t fallback) {
  return has(name) ? integers(name, dims, minimum) : std::vector<int64_t>(dims, fallback);
}

double SpecFields::number_or(const std::string& name, double fallback) {
  if (!has(name)) return fallback;
  const auto& value = field(name);
  if (!value.is_number() || !std::isfinite(value.get<double>())) fail("field '" + name + "' must be a number, got " + value.dump());
  return value.get<double>();
}

bool SpecFields::boolean_or(const std::string& name, bool fallback) {
  if (!has(name)) return fallback;
  const auto& value = field(name);
  if (!value.is_boolean()) fail("field '" + name + "' must be true or false, got " + value.dump());
  return value.get<bool>();
}

std::string SpecFields::string_or(const std::string& name, const std::string& fallback) {
  if (!has(name)) return fallback;
  const auto& value = field(name);
  if (!value.is_string()) fail("field '" + name + "' must be a string, got " + value.dump());
  return value.get<std::string>();
}

core::PriorOptions SpecFields::prior_or(const std::string& name, const core::PriorOptions& fallback) {
  if (!has(name)) return fallback;
  SpecFields prior(field(name), where_ + ": field '" + name + "'");
  prior.read_.erase("type");
  core::PriorOptions out = fallback;
  try {
    out.kind(core::prior_kind_from_string(prior.string_or("kind", core::to_string(fallback.kind()))));
  } catch (const std::invalid_argument& e) {
    prior.fail(e.what());
  }
  out.sigma(prior.number_or("sigma", fallback.sigma()))
      .pi(prior.number_or("pi", fallback.pi()))
      .sigma1(prior.number_or("sigma1", fallback.sigma1()))
      .sigma2(prior.number_or("sigma2", fallback.sigma2()));
  prior.finish();
  try {
    core::validate(out);
  } catch (const std::invalid_argument& e) {
    prior.fail(e.what());
  }
  return out;
}

void SpecFields::finish() const {
  for (const auto& item : fields_.items()) {
    if (!read_.count(item.key())) fail("unknown field '" + item.key() + "'");
  }
}

json prior_to_json(const core::PriorOptions& prior) {
  return {{"kind", core::to_string(prior.kind())}, {"sigma", prior.sigma()}, {"pi", prior.pi()},
          {"sigma1", prior.sigma1()}, {"sigma2", prior.sigma2()}};
}

}  // namespace credence::nn

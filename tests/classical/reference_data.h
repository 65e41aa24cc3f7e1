// Helpers for the classical-model tests: the committed scikit-learn reference values
// (reference/make_reference.py) as JSON and tensors, and tolerance checks.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace credence::classical::testing {

inline nlohmann::json load_reference(const std::string& name) {
  const std::string path = std::string(CREDENCE_SOURCE_DIR) + "/tests/classical/reference/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open reference file " + path);
  return nlohmann::json::parse(in);
}

namespace detail {
inline void flatten(const nlohmann::json& j, std::vector<double>& values, std::vector<int64_t>& shape, size_t depth) {
  if (j.is_array()) {
    if (shape.size() <= depth) shape.push_back(static_cast<int64_t>(j.size()));
    for (const auto& item : j) flatten(item, values, shape, depth + 1);
  } else {
    values.push_back(j.get<double>());
  }
}
}  // namespace detail

// A JSON number or (nested) list of numbers as a float64 tensor.
inline at::Tensor to_tensor(const nlohmann::json& j) {
  std::vector<double> values;
  std::vector<int64_t> shape;
  detail::flatten(j, values, shape, 0);
  return at::tensor(values, at::TensorOptions().dtype(at::kDouble)).reshape(shape);
}

// max |actual - expected| <= rtol * max |expected|: a relative error on the scale of the quantity,
// which stays meaningful for entries that happen to be near zero.
inline void expect_close(const at::Tensor& actual, const at::Tensor& expected, double rtol, const std::string& what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double error = (actual.to(at::kDouble) - expected).abs().max().item<double>();
  const double scale = std::max(expected.abs().max().item<double>(), 1e-300);
  EXPECT_LE(error, rtol * scale) << what << ": max abs error " << error << ", scale " << scale;
}

inline void expect_close(double actual, double expected, double rtol, const std::string& what) {
  EXPECT_LE(std::abs(actual - expected), rtol * std::max(std::abs(expected), 1e-300))
      << what << ": " << actual << " vs " << expected;
}

}  // namespace credence::classical::testing

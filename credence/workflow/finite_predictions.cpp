// Finding and naming non-finite predictions.
#include "credence/workflow/finite_predictions.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace credence::workflow {

namespace {

std::string number_text(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

void find_nonfinite_score(const nlohmann::json& object, const std::string& prefix, std::string& found) {
  for (const auto& [key, value] : object.items()) {
    if (!found.empty()) return;
    if (value.is_object()) {
      find_nonfinite_score(value, prefix + key + ".", found);
    } else if (value.is_number_float() && !std::isfinite(value.get<double>())) {
      found = "'" + prefix + key + "' is " + number_text(value.get<double>());
    }
  }
}

}  // namespace

NonFiniteRows find_nonfinite_rows(const at::Tensor& values, const std::vector<std::string>& columns) {
  if (values.dim() != 2 || values.size(1) != static_cast<int64_t>(columns.size())) {
    throw std::invalid_argument("find_nonfinite_rows: expected values [rows, " + std::to_string(columns.size()) + "]");
  }
  NonFiniteRows found;
  found.rows = values.size(0);
  if (values.numel() == 0) return found;
  const auto bad = at::isfinite(values).logical_not();
  const auto bad_rows = bad.any(1);
  found.count = bad_rows.sum().item<int64_t>();
  if (found.count == 0) return found;
  found.first_row = bad_rows.to(at::kLong).argmax().item<int64_t>();
  const auto column = bad[found.first_row].to(at::kLong).argmax().item<int64_t>();
  found.first_column = columns.at(static_cast<size_t>(column));
  found.first_value = values[found.first_row][column].item<double>();
  return found;
}

std::string describe_nonfinite_rows(const NonFiniteRows& found, const std::string& data) {
  return "data row " + std::to_string(found.first_row + 1) + " of " + data + ": '" + found.first_column + "' is " +
         number_text(found.first_value) + "; " + std::to_string(found.count) + " of " + std::to_string(found.rows) +
         (found.count == 1 ? " rows has" : " rows have") + " non-finite predictions";
}

NonFiniteRows check_finite_predictions(const at::Tensor& values, const std::vector<std::string>& columns,
                                       const std::string& data, bool allow, const std::string& advice) {
  auto found = find_nonfinite_rows(values, columns);
  if (found.count > 0 && !allow) throw std::runtime_error(describe_nonfinite_rows(found, data) + advice);
  return found;
}

void check_finite_scores(const nlohmann::json& report, const std::string& data) {
  std::string found;
  find_nonfinite_score(report, "", found);
  if (!found.empty()) throw std::runtime_error(data + ": the score " + found);
}

}  // namespace credence::workflow

// The check that every prediction a command writes or scores is a finite number: a NaN or an
// infinity (from a huge input, say) is named by its data row and column before anything is written.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct NonFiniteRows {
  int64_t count = 0;         // rows with at least one NaN or infinity
  int64_t rows = 0;          // rows in all
  int64_t first_row = -1;    // 0-based index of the first such row
  std::string first_column;  // its first non-finite column
  double first_value = 0.0;  // and the value there
};

// values [rows, columns.size()], one row per data row.
NonFiniteRows find_nonfinite_rows(const at::Tensor& values, const std::vector<std::string>& columns);

// "data row 3 of in.csv: 'mean' is nan; 2 of 10 rows have non-finite predictions" (data rows are
// numbered from 1, the header not counted). `data` names where the rows came from.
std::string describe_nonfinite_rows(const NonFiniteRows& found, const std::string& data);

// Throws std::runtime_error with describe_nonfinite_rows and `advice` appended when some value is
// not finite, unless `allow`; returns what was found (count 0 when all are finite).
NonFiniteRows check_finite_predictions(const at::Tensor& values, const std::vector<std::string>& columns,
                                       const std::string& data, bool allow, const std::string& advice);

// Throws std::runtime_error naming the first score of a report (keys joined by dots) that is a
// number but not finite, with `data` for context.
void check_finite_scores(const nlohmann::json& report, const std::string& data);

}  // namespace credence::workflow

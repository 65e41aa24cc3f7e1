// TimeSeries: one column of a CSV file read as a series in time order, with an explicit policy for
// missing values (empty cells) and an optional time column that must increase.
#pragma once

#include "credence/data/csv_table.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::data {

enum class MissingValues {
  refuse,       // an empty cell is an error naming its line (the default)
  interpolate,  // inner gaps filled linearly between their neighbours; leading and trailing ones dropped
  drop,         // rows with an empty cell left out (the series' spacing then changes there)
};
// "error", "interpolate" or "drop".
MissingValues missing_values_from_string(const std::string& name);
std::string to_string(MissingValues missing);

struct TimeSeries {
  std::string name;                // the value column
  at::Tensor values;               // [T] float64, in file (time) order, after the missing-value policy
  std::vector<std::string> times;  // the time column's cells of the kept rows (empty without one)
  int64_t interpolated = 0;        // values filled in by interpolation
  int64_t dropped = 0;             // rows left out
};

// Reads column `value_column` of `table` as a series. `time_column` (empty: none) must increase
// strictly from row to row: as numbers when every cell is one (20011229, 1700), else as text (ISO
// dates such as 2001-12-29 order as text). Throws std::runtime_error "FILE:LINE:COLUMN: ..." for
// a cell that is not a number, a missing value under MissingValues::refuse (saying which --missing
// policies exist), a time that does not increase, and a series with fewer than two values.
TimeSeries read_time_series(const CsvTable& table, const std::string& value_column, const std::string& time_column,
                            MissingValues missing);

}  // namespace credence::data

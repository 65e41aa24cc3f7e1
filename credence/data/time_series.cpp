// TimeSeries: reading a series with its missing values and time order checked.
#include "credence/data/time_series.h"

#include <cmath>
#include <stdexcept>

namespace credence::data {

MissingValues missing_values_from_string(const std::string& name) {
  if (name == "error") return MissingValues::refuse;
  if (name == "interpolate") return MissingValues::interpolate;
  if (name == "drop") return MissingValues::drop;
  throw std::invalid_argument("unknown missing-value policy '" + name + "' (expected error, interpolate or drop)");
}

std::string to_string(MissingValues missing) {
  switch (missing) {
    case MissingValues::refuse: return "error";
    case MissingValues::interpolate: return "interpolate";
    case MissingValues::drop: return "drop";
  }
  return "unknown";
}

namespace {

// The time column as numbers when every cell is one (the CSV reader's own parsing), else none.
at::Tensor numeric_times(const CsvTable& table, const std::string& time_column) {
  try {
    return table.select_double({time_column}).squeeze(1).contiguous();
  } catch (const std::runtime_error&) {
    return at::Tensor();
  }
}

// Throws at the first row whose time does not come after the previous row's.
void check_increasing(const CsvTable& table, const std::string& time_column, const std::vector<std::string>& times) {
  const auto numbers = numeric_times(table, time_column);
  const double* number = numbers.defined() ? numbers.data_ptr<double>() : nullptr;
  for (size_t i = 1; i < times.size(); ++i) {
    const bool after = number ? number[i] > number[i - 1] : times[i] > times[i - 1];
    if (!after) {
      throw std::runtime_error(table.position(static_cast<int64_t>(i), time_column) + ": time '" + times[i] +
                               "' in column '" + time_column + "' does not come after '" + times[i - 1] +
                               "' of the row before (a series must be in time order, each time once)");
    }
  }
}

}  // namespace

TimeSeries read_time_series(const CsvTable& table, const std::string& value_column, const std::string& time_column,
                            MissingValues missing) {
  TimeSeries series;
  series.name = value_column;
  auto raw = table.select_double_with_missing(value_column).contiguous();
  const int64_t rows = raw.size(0);
  std::vector<std::string> times;
  if (!time_column.empty()) {
    if (time_column == value_column) throw std::invalid_argument("the time column and the value column are both '" + value_column + "'");
    times = table.text(time_column);
    check_increasing(table, time_column, times);
  }
  const double* v = raw.data_ptr<double>();
  std::vector<int64_t> observed;
  for (int64_t i = 0; i < rows; ++i) {
    if (!std::isnan(v[i])) {
      observed.push_back(i);
    } else if (missing == MissingValues::refuse) {
      throw std::runtime_error(table.position(i, value_column) + ": empty cell in column '" + value_column +
                               "' (a missing value: give --missing interpolate or --missing drop)");
    }
  }
  if (observed.size() < 2) {
    throw std::runtime_error(table.path() + ": column '" + value_column + "' holds " + std::to_string(observed.size()) +
                             " value" + (observed.size() == 1 ? "" : "s") + "; a series needs at least two");
  }
  std::vector<double> values;
  std::vector<int64_t> kept;
  if (missing == MissingValues::interpolate) {
    // From the first observed row to the last; gaps between two observations filled on the line between them.
    for (size_t k = 0; k + 1 < observed.size(); ++k) {
      const int64_t a = observed[k], b = observed[k + 1];
      for (int64_t i = a; i < b; ++i) {
        const double t = static_cast<double>(i - a) / static_cast<double>(b - a);
        values.push_back(v[a] + t * (v[b] - v[a]));
        kept.push_back(i);
      }
      series.interpolated += b - a - 1;
    }
    values.push_back(v[observed.back()]);
    kept.push_back(observed.back());
  } else {
    for (auto i : observed) {
      values.push_back(v[i]);
      kept.push_back(i);
    }
  }
  series.dropped = rows - static_cast<int64_t>(kept.size());
  series.values = at::tensor(values, at::TensorOptions().dtype(at::kDouble));
  for (auto i : kept) {
    if (!times.empty()) series.times.push_back(times[static_cast<size_t>(i)]);
  }
  return series;
}

}  // namespace credence::data

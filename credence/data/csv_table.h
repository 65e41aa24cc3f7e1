// CsvTable: a numeric CSV file with a header row, read with errors that name file, line and column.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::data {

struct CsvTable {
  std::string path;
  std::vector<std::string> columns;  // header names, in file order
  at::Tensor values;                 // [rows, columns], float64

  int64_t rows() const { return values.size(0); }
  // Index of a column by name; throws naming the file and listing the columns when absent.
  int64_t column_index(const std::string& name) const;
  // The named columns, in the given order, as a float32 [rows, k] tensor.
  at::Tensor select(const std::vector<std::string>& names) const;
  // Every column except `excluded` (e.g. the target), in file order.
  std::vector<std::string> columns_except(const std::string& excluded) const;
};

// Reads a comma-separated file: a header row, then numeric cells (optional spaces or
// tabs around each). Throws std::runtime_error "FILE:LINE:COLUMN: ..." for a missing or
// empty file, ragged rows, non-numeric or empty cells, NaN and infinity.
CsvTable read_csv(const std::string& path);

// Writes rows of numbers under a header; to a temporary name first, then renamed.
void write_csv(const std::string& path, const std::vector<std::string>& columns, const at::Tensor& values);

}  // namespace credence::data

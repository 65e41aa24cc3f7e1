// CsvTable: a numeric CSV file with a header row, read with errors that name file, line and column.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

namespace credence::data {

struct CsvTable {
  std::string path;
  std::vector<std::string> columns;  // header names, in file order
  at::Tensor values;                 // [rows, columns], float64 (NaN in text columns)
  // The raw cells of the columns read as text (see read_csv), by column name.
  std::map<std::string, std::vector<std::string>> text;

  int64_t rows() const { return values.size(0); }
  // Index of a column by name; throws naming the file and listing the columns when absent.
  int64_t column_index(const std::string& name) const;
  // The named columns, in the given order, as a float32 [rows, k] tensor (never a text column).
  at::Tensor select(const std::vector<std::string>& names) const;
  // Every column except `excluded` (e.g. the target), in file order.
  std::vector<std::string> columns_except(const std::string& excluded) const;
};

// Reads a comma-separated file: a header row, then numeric cells (optional spaces or
// tabs around each). Throws std::runtime_error "FILE:LINE:COLUMN: ..." for a missing or
// empty file, ragged rows, non-numeric or empty cells, NaN and infinity.
// Columns named in `text_columns` are kept as text (cells may be any non-empty string); a name
// that is not in the header is an error.
CsvTable read_csv(const std::string& path, const std::vector<std::string>& text_columns = {});

// The column names of a CSV file's header row (the same errors as read_csv for a missing file or header).
std::vector<std::string> read_csv_header(const std::string& path);

// Writes rows of numbers under a header; to a temporary name first, then renamed.
void write_csv(const std::string& path, const std::vector<std::string>& columns, const at::Tensor& values);
// The same with a leading text column: columns[0] names it, `leading_text` holds one cell per row
// (quoted when it contains a comma, a quote or a line break).
void write_csv(const std::string& path, const std::vector<std::string>& columns, const at::Tensor& values,
               const std::vector<std::string>& leading_text);

}  // namespace credence::data

// CsvTable: a CSV file (RFC 4180) with a header row. The file is split into cells once, in linear
// time; a cell is parsed as a number only when a command selects its column, so text columns that
// no command uses are never a problem. Errors name FILE:LINE:COLUMN and the column.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace credence::data {

class CsvTable {
 public:
  const std::string& path() const { return path_; }
  // Header names, in file order (unquoted, surrounding spaces removed).
  const std::vector<std::string>& columns() const { return columns_; }
  int64_t rows() const { return static_cast<int64_t>(row_start_.size()); }

  bool has_column(const std::string& name) const { return index_.count(name) > 0; }
  // Index of a column by name; throws naming the file and listing (some of) the columns when absent.
  int64_t column_index(const std::string& name) const;
  // The named columns, in the given order, as a float32 [rows, k] tensor. Every cell must be a
  // finite number that float32 holds; the first that is not is an error naming FILE:LINE:COLUMN and
  // the column (an empty cell, text, NaN, infinity, a magnitude beyond float32's 3.4e38).
  at::Tensor select(const std::vector<std::string>& names) const;
  // The same as float64 (finite numbers, any magnitude that float64 holds).
  at::Tensor select_double(const std::vector<std::string>& names) const;
  // One column as float64 with its empty cells (missing values) as NaN; every other cell is checked
  // as select_double checks it (a NaN written in the file is still an error).
  at::Tensor select_double_with_missing(const std::string& name) const;
  // "FILE:LINE:COLUMN" of a cell (row 0 is the first data row), for messages about it.
  std::string position(int64_t row, const std::string& column) const;
  // The cells of a column as text, quotes removed; an empty cell is an error naming its position.
  std::vector<std::string> text(const std::string& name) const;
  // Every column except `excluded` (e.g. the target), in file order.
  std::vector<std::string> columns_except(const std::string& excluded) const;

 private:
  friend CsvTable parse_csv(std::string contents, const std::string& path, bool header_only);

  struct Cell {
    size_t begin, end;  // byte range in contents_, surrounding spaces and quotes included
  };
  Cell cell(int64_t row, size_t column) const;
  template <typename T>
  at::Tensor select_as(const std::vector<std::string>& names, at::ScalarType type, bool empty_as_nan = false) const;
  [[noreturn]] void fail_at(size_t offset, const std::string& what) const;

  std::string path_;
  std::vector<std::string> columns_;
  std::unordered_map<std::string, size_t> index_;
  std::string contents_;
  size_t body_ = 0;                  // where the file's text starts (after a UTF-8 byte order mark)
  std::vector<size_t> row_start_;    // offset of each data row
  std::vector<size_t> row_end_;      // offset of each data row's line ending
  std::vector<uint32_t> cell_start_; // [rows * columns] offset of each cell from its row's start
};

// Reads a comma-separated file (RFC 4180):
// * the first non-blank record is the header: names must be non-empty and distinct (a repeated
//   name is an error naming both positions);
// * fields may be quoted with ": a quoted field holds commas, line breaks and "" (one quote);
//   spaces and tabs around a field are not part of it; a quote inside an unquoted field is kept;
// * records end with LF, CRLF or CR; blank lines are skipped; a UTF-8 byte order mark is skipped;
// * every record has as many fields as the header.
// Throws std::runtime_error "FILE:LINE:COLUMN: ..." for a missing file, a directory, an empty file,
// no data rows, ragged rows, an unterminated quote or text after a closing quote.
CsvTable read_csv(const std::string& path);

// The same from the file's contents; `path` names it in messages. `header_only` reads the header
// and leaves the table without rows (no "no data rows" error).
CsvTable parse_csv(std::string contents, const std::string& path, bool header_only = false);

// The column names of a CSV file's header row (the same errors as read_csv for the file and header).
std::vector<std::string> read_csv_header(const std::string& path);

// Writes rows of numbers under a header, quoting a name or cell when it needs quotes (a comma, a
// quote, a line break, surrounding spaces); to a temporary name first, then renamed. The path "-"
// writes to standard output.
void write_csv(const std::string& path, const std::vector<std::string>& columns, const at::Tensor& values);
// The same with a leading text column: columns[0] names it, `leading_text` holds one cell per row.
void write_csv(const std::string& path, const std::vector<std::string>& columns, const at::Tensor& values,
               const std::vector<std::string>& leading_text);

// One CSV field: the text itself, or quoted with "" for each quote when it needs quotes.
std::string csv_field(const std::string& text);

}  // namespace credence::data

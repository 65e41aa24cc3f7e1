// CSV reading (RFC 4180, one linear pass that finds the cells; numbers parsed per selected column)
// and writing, with errors that name the file, line, column and column name.
#include "credence/data/csv_table.h"

#include "credence/data/atomic_file.h"
#include "credence/data/input_file.h"

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace credence::data {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool ends_field(char c) { return c == ',' || c == '\n' || c == '\r'; }

// "LINE:COLUMN" of a byte offset: lines end with LF, CRLF or CR (also inside quoted fields, as an
// editor counts them); the column counts UTF-8 characters from 1, the byte order mark excluded.
std::string location(const std::string& text, size_t body, size_t offset) {
  size_t line = 1, line_start = body;
  for (size_t i = body; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
      ++line;
      line_start = i + 1;
    }
  }
  size_t column = 1;
  for (size_t i = line_start; i < offset && i < text.size(); ++i) {
    column += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

[[noreturn]] void fail(const std::string& path, const std::string& text, size_t body, size_t offset,
                       const std::string& what) {
  throw std::runtime_error(path + ":" + location(text, body, offset) + ": " + what);
}

// The line number alone, for messages about a whole record.
std::string line_of(const std::string& text, size_t body, size_t offset) {
  const auto where = location(text, body, offset);
  return where.substr(0, where.find(':'));
}

// The first non-space byte of a field.
size_t skip_spaces(const std::string& text, size_t begin, size_t end) {
  while (begin < end && is_space(text[begin])) ++begin;
  return begin;
}

// A field's text: spaces around it removed, and for a quoted field the quotes removed and each
// "" made one quote. `scratch` holds the unescaped text of a quoted field.
std::string_view field_text(const std::string& text, size_t begin, size_t end, std::string& scratch) {
  begin = skip_spaces(text, begin, end);
  while (end > begin && is_space(text[end - 1])) --end;
  if (begin == end || text[begin] != '"') return std::string_view(text.data() + begin, end - begin);
  // The scanner guarantees that the field ends with its closing quote.
  scratch.clear();
  for (size_t i = begin + 1; i + 1 < end; ++i) {
    scratch += text[i];
    if (text[i] == '"') ++i;
  }
  return scratch;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Splits `text` into records and fields in one pass.
class Scanner {
 public:
  Scanner(const std::string& text, size_t body, const std::string& path) : text_(text), path_(path), body_(body), pos_(body) {}

  // The next non-blank record: the offset where each field starts (spaces before it included) and
  // the offset of the record's line ending. False at the end of the text.
  bool next(std::vector<size_t>& field_starts, size_t& record_start, size_t& record_end) {
    const size_t n = text_.size();
    while (true) {
      const size_t p = skip_spaces(text_, pos_, n);
      if (p >= n) {
        pos_ = n;
        return false;
      }
      if (text_[p] != '\n' && text_[p] != '\r') break;
      pos_ = after_line_end(p);
    }
    record_start = pos_;
    field_starts.clear();
    size_t p = pos_;
    const char* data = text_.data();
    while (true) {
      field_starts.push_back(p);
      p = skip_spaces(text_, p, n);
      if (p < n && data[p] == '"') {
        const size_t open = p++;
        while (true) {
          const void* quote = p < n ? std::memchr(data + p, '"', n - p) : nullptr;
          if (!quote) fail(path_, text_, body_, open, "unterminated quoted field (the quote opened here is never closed)");
          p = static_cast<size_t>(static_cast<const char*>(quote) - data) + 1;
          if (p < n && data[p] == '"') {
            ++p;
            continue;
          }
          break;
        }
        p = skip_spaces(text_, p, n);
        if (p < n && !ends_field(data[p])) {
          fail(path_, text_, body_, p,
               "unexpected text after a closing quote (inside a quoted field a quote is written \"\")");
        }
      } else {
        while (p < n && !ends_field(data[p])) ++p;
      }
      if (p < n && data[p] == ',') {
        ++p;
        continue;
      }
      record_end = p;
      pos_ = after_line_end(p);
      return true;
    }
  }

 private:
  size_t after_line_end(size_t p) const {
    if (p >= text_.size()) return text_.size();
    if (text_[p] == '\r' && p + 1 < text_.size() && text_[p + 1] == '\n') return p + 2;
    return p + 1;
  }

  const std::string& text_;
  const std::string& path_;
  size_t body_;
  size_t pos_;
};

// A number cell as float64, or the reason it is not one.
enum class NumberError { none, empty, not_a_number, out_of_range, nan, infinity };

NumberError parse_number(std::string_view cell, double& value) {
  cell = trimmed(cell);
  if (cell.empty()) return NumberError::empty;
  std::string_view digits = cell;
  if (digits.front() == '+') {
    digits.remove_prefix(1);
    if (digits.empty() || digits.front() == '+' || digits.front() == '-') return NumberError::not_a_number;
  }
  const char* last = digits.data() + digits.size();
  auto [end, error] = std::from_chars(digits.data(), last, value);
  if (end != last || (error != std::errc() && error != std::errc::result_out_of_range)) return NumberError::not_a_number;
  if (error == std::errc::result_out_of_range) {
    // Too large for float64, or so small that it is zero or subnormal: strtod tells which.
    const std::string copy(digits);
    value = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(value) || std::fabs(value) == HUGE_VAL) return NumberError::out_of_range;
  }
  if (std::isnan(value)) return NumberError::nan;
  if (std::isinf(value)) return NumberError::infinity;
  return NumberError::none;
}

std::string list_columns(const std::vector<std::string>& columns) {
  constexpr size_t kListed = 20;
  std::string known;
  for (size_t i = 0; i < columns.size() && i < kListed; ++i) known += (i ? ", " : "") + shown_text(columns[i]);
  if (columns.size() > kListed) known += ", ... (" + std::to_string(columns.size()) + " columns)";
  return known;
}

}  // namespace

CsvTable::Cell CsvTable::cell(int64_t row, size_t column) const {
  const auto r = static_cast<size_t>(row);
  const size_t width = columns_.size();
  const size_t start = row_start_[r];
  const size_t begin = start + cell_start_[r * width + column];
  const size_t end = column + 1 < width ? start + cell_start_[r * width + column + 1] - 1 : row_end_[r];
  return {begin, end};
}

void CsvTable::fail_at(size_t offset, const std::string& what) const { fail(path_, contents_, body_, offset, what); }

int64_t CsvTable::column_index(const std::string& name) const {
  const auto found = index_.find(name);
  if (found != index_.end()) return static_cast<int64_t>(found->second);
  throw std::runtime_error(path_ + ": no column named '" + shown_text(name) + "' (columns: " + list_columns(columns_) + ")");
}

template <typename T>
at::Tensor CsvTable::select_as(const std::vector<std::string>& names, at::ScalarType type, bool empty_as_nan) const {
  const size_t k = names.size();
  std::vector<size_t> index(k);
  for (size_t j = 0; j < k; ++j) index[j] = static_cast<size_t>(column_index(names[j]));
  // Within a row the cells are read in file order, so that an error names the leftmost bad cell.
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return index[a] < index[b]; });
  at::Tensor out = at::empty({rows(), static_cast<int64_t>(k)}, at::TensorOptions().dtype(type));
  T* values = out.data_ptr<T>();
  std::string scratch;
  for (int64_t r = 0; r < rows(); ++r) {
    for (size_t j : order) {
      const auto [begin, end] = cell(r, index[j]);
      double value = 0.0;
      const auto text = field_text(contents_, begin, end, scratch);
      const auto error = parse_number(text, value);
      if (error == NumberError::empty && empty_as_nan) {
        values[static_cast<size_t>(r) * k + j] = std::numeric_limits<T>::quiet_NaN();
        continue;
      }
      const bool beyond_float32 = std::is_same<T, float>::value && std::fabs(value) > static_cast<double>(FLT_MAX);
      if (error != NumberError::none || beyond_float32) {
        const std::string where = " in column '" + shown_text(names[j]) + "'";
        const size_t at = skip_spaces(contents_, begin, end);
        switch (error) {
          case NumberError::empty: fail_at(at, "empty cell" + where);
          case NumberError::not_a_number: fail_at(at, "expected a number, found '" + shown_text(text) + "'" + where);
          case NumberError::out_of_range: fail_at(at, "number out of range" + where + " (" + shown_text(trimmed(text)) + ")");
          case NumberError::nan: fail_at(at, "NaN is not allowed" + where);
          case NumberError::infinity: fail_at(at, "infinity is not allowed" + where);
          case NumberError::none: break;
        }
        fail_at(at, shown_text(trimmed(text)) + where +
                        " is beyond the float32 range that the networks compute in (magnitude at most 3.4e38)");
      }
      values[static_cast<size_t>(r) * k + j] = static_cast<T>(value);
    }
  }
  return out;
}

at::Tensor CsvTable::select(const std::vector<std::string>& names) const { return select_as<float>(names, at::kFloat); }

at::Tensor CsvTable::select_double(const std::vector<std::string>& names) const {
  return select_as<double>(names, at::kDouble);
}

at::Tensor CsvTable::select_double_with_missing(const std::string& name) const {
  return select_as<double>({name}, at::kDouble, true).squeeze(1);
}

std::string CsvTable::position(int64_t row, const std::string& column) const {
  const auto [begin, end] = cell(row, static_cast<size_t>(column_index(column)));
  return path_ + ":" + location(contents_, body_, skip_spaces(contents_, begin, end));
}

std::vector<std::string> CsvTable::text(const std::string& name) const {
  const auto column = static_cast<size_t>(column_index(name));
  std::vector<std::string> cells;
  cells.reserve(row_start_.size());
  std::string scratch;
  for (int64_t r = 0; r < rows(); ++r) {
    const auto [begin, end] = cell(r, column);
    const auto text = field_text(contents_, begin, end, scratch);
    if (text.empty()) fail_at(skip_spaces(contents_, begin, end), "empty cell in column '" + shown_text(name) + "'");
    cells.emplace_back(text);
  }
  return cells;
}

std::vector<std::string> CsvTable::columns_except(const std::string& excluded) const {
  std::vector<std::string> out;
  for (const auto& c : columns_) {
    if (c != excluded) out.push_back(c);
  }
  return out;
}

CsvTable parse_csv(std::string contents, const std::string& path, bool header_only) {
  CsvTable table;
  table.path_ = path;
  table.contents_ = std::move(contents);
  const std::string& text = table.contents_;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) table.body_ = 3;
  Scanner scanner(text, table.body_, path);
  std::vector<size_t> starts;
  size_t record_start = 0, record_end = 0;
  if (!scanner.next(starts, record_start, record_end)) {
    throw std::runtime_error(path + ": the file is empty (expected a header row and data rows)");
  }
  std::string scratch;
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : record_end;
    const size_t at = skip_spaces(text, starts[i], end);
    std::string name(field_text(text, starts[i], end, scratch));
    if (name.empty()) fail(path, text, table.body_, at, "empty column name in the header");
    const auto [previous, added] = table.index_.emplace(name, i);
    if (!added) {
      fail(path, text, table.body_, at,
           "column name '" + shown_text(name) + "' appears twice in the header (fields " + std::to_string(previous->second + 1) +
               " and " + std::to_string(i + 1) + ")");
    }
    table.columns_.push_back(std::move(name));
  }
  if (header_only) return table;
  const size_t width = table.columns_.size();
  while (scanner.next(starts, record_start, record_end)) {
    if (starts.size() != width) {
      throw std::runtime_error(path + ":" + line_of(text, table.body_, record_start) + ": expected " +
                               std::to_string(width) + " fields as in the header, found " + std::to_string(starts.size()));
    }
    if (record_end - record_start > std::numeric_limits<uint32_t>::max()) {
      throw std::runtime_error(path + ":" + line_of(text, table.body_, record_start) + ": a row longer than 4 GiB");
    }
    table.row_start_.push_back(record_start);
    table.row_end_.push_back(record_end);
    for (size_t s : starts) table.cell_start_.push_back(static_cast<uint32_t>(s - record_start));
  }
  if (table.row_start_.empty()) throw std::runtime_error(path + ": no data rows after the header");
  return table;
}

CsvTable read_csv(const std::string& path) { return parse_csv(read_input_file(path, "CSV file"), path); }

std::vector<std::string> read_csv_header(const std::string& path) {
  return parse_csv(read_input_file(path, "CSV file"), path, /*header_only=*/true).columns();
}

std::string csv_field(const std::string& text) {
  const bool needs_quotes = text.find_first_of(",\"\r\n") != std::string::npos ||
                            (!text.empty() && (is_space(text.front()) || is_space(text.back())));
  if (!needs_quotes) return text;
  std::string out = "\"";
  for (char c : text) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

void write_csv(const std::string& path, const std::vector<std::string>& columns, const at::Tensor& values) {
  write_csv(path, columns, values, {});
}

void write_csv(const std::string& path, const std::vector<std::string>& columns, const at::Tensor& values,
               const std::vector<std::string>& leading_text) {
  auto v = values.to(at::kDouble).contiguous().cpu();
  const bool text = v.dim() == 2 && static_cast<int64_t>(columns.size()) == v.size(1) + 1;
  if (v.dim() != 2 || (!text && v.size(1) != static_cast<int64_t>(columns.size())) ||
      (text && static_cast<int64_t>(leading_text.size()) != v.size(0))) {
    throw std::invalid_argument("write_csv: values do not match the columns");
  }
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csv_field(columns[i]);
  out += "\n";
  const double* p = v.data_ptr<double>();
  char buffer[64];
  for (int64_t r = 0; r < v.size(0); ++r) {
    if (text) out += csv_field(leading_text[static_cast<size_t>(r)]);
    for (int64_t c = 0; c < v.size(1); ++c) {
      std::snprintf(buffer, sizeof buffer, "%.9g", p[r * v.size(1) + c]);
      if (c || text) out += ',';
      out += buffer;
    }
    out += "\n";
  }
  write_output(path, out);
}

}  // namespace credence::data

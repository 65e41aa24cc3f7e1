// CSV reading and writing with precise error locations.
#include "credence/data/csv_table.h"

#include "credence/data/atomic_file.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace credence::data {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits one line on commas, remembering the 1-based character column where each field starts.
void split_fields(const std::string& line, std::vector<std::string_view>& fields, std::vector<size_t>& starts) {
  fields.clear();
  starts.clear();
  size_t begin = 0;
  while (true) {
    size_t comma = line.find(',', begin);
    size_t end = comma == std::string::npos ? line.size() : comma;
    std::string_view field(line.data() + begin, end - begin);
    size_t lead = 0;
    while (lead < field.size() && (field[lead] == ' ' || field[lead] == '\t')) ++lead;
    fields.push_back(trim(field));
    starts.push_back(begin + lead + 1);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
}

bool is_blank(const std::string& line) { return trim(line).empty(); }

[[noreturn]] void fail(const std::string& path, size_t line, size_t column, const std::string& what) {
  std::ostringstream message;
  message << path;
  if (line > 0) message << ":" << line;
  if (line > 0 && column > 0) message << ":" << column;
  message << ": " << what;
  throw std::runtime_error(message.str());
}

// Reads the header, the first non-blank line, advancing line_number past it.
std::vector<std::string> read_header(std::istream& in, const std::string& path, size_t& line_number) {
  std::vector<std::string> columns;
  std::string line;
  std::vector<std::string_view> fields;
  std::vector<size_t> starts;
  while (std::getline(in, line)) {
    ++line_number;
    if (is_blank(line)) continue;
    if (line_number == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    split_fields(line, fields, starts);
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].empty()) fail(path, line_number, starts[i], "empty column name in the header");
      columns.emplace_back(fields[i]);
    }
    return columns;
  }
  throw std::runtime_error(path + ": the file is empty (expected a header row and data rows)");
}

}  // namespace

int64_t CsvTable::column_index(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int64_t>(i);
  }
  std::string known;
  for (size_t i = 0; i < columns.size(); ++i) known += (i ? ", " : "") + columns[i];
  throw std::runtime_error(path + ": no column named '" + name + "' (columns: " + known + ")");
}

at::Tensor CsvTable::select(const std::vector<std::string>& names) const {
  std::vector<int64_t> index;
  for (const auto& name : names) {
    if (text.count(name)) throw std::runtime_error(path + ": column '" + name + "' holds text, not numbers");
    index.push_back(column_index(name));
  }
  return values.index_select(1, at::tensor(index, at::kLong)).to(at::kFloat).contiguous();
}

std::vector<std::string> CsvTable::columns_except(const std::string& excluded) const {
  std::vector<std::string> out;
  for (const auto& c : columns) {
    if (c != excluded) out.push_back(c);
  }
  return out;
}

CsvTable read_csv(const std::string& path, const std::vector<std::string>& text_columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 0, 0, "cannot open file (missing or unreadable)");
  CsvTable table;
  table.path = path;
  std::string line;
  size_t line_number = 0;
  std::vector<std::string_view> fields;
  std::vector<size_t> starts;
  table.columns = read_header(in, path, line_number);
  const size_t width = table.columns.size();
  std::vector<std::vector<std::string>*> text_cells(width, nullptr);
  for (const auto& name : text_columns) text_cells[table.column_index(name)] = &table.text[name];
  std::vector<double> values;
  size_t rows = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (is_blank(line)) continue;
    split_fields(line, fields, starts);
    if (fields.size() != width) {
      fail(path, line_number, 0,
           "expected " + std::to_string(width) + " fields as in the header, found " + std::to_string(fields.size()));
    }
    for (size_t i = 0; i < width; ++i) {
      const auto field = fields[i];
      const std::string where = " in column '" + table.columns[i] + "'";
      if (field.empty()) fail(path, line_number, starts[i], "empty cell" + where);
      if (text_cells[i]) {
        text_cells[i]->emplace_back(field);
        values.push_back(std::nan(""));
        continue;
      }
      double v = 0.0;
      const char* first = field.data();
      if (*first == '+') ++first;
      auto [ptr, ec] = std::from_chars(first, field.data() + field.size(), v);
      if (ec != std::errc() || ptr != field.data() + field.size()) {
        if (ec == std::errc::result_out_of_range) fail(path, line_number, starts[i], "number out of range" + where);
        fail(path, line_number, starts[i], "expected a number, found '" + std::string(field) + "'" + where);
      }
      if (std::isnan(v)) fail(path, line_number, starts[i], "NaN is not allowed" + where);
      if (std::isinf(v)) fail(path, line_number, starts[i], "infinity is not allowed" + where);
      values.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) throw std::runtime_error(path + ": no data rows after the header");
  table.values = at::from_blob(values.data(), {static_cast<int64_t>(rows), static_cast<int64_t>(width)},
                               at::TensorOptions().dtype(at::kDouble))
                     .clone();
  return table;
}

std::vector<std::string> read_csv_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 0, 0, "cannot open file (missing or unreadable)");
  size_t line_number = 0;
  return read_header(in, path, line_number);
}

namespace {

std::string quoted(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

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
  std::ostringstream out;
  for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
  out << "\n";
  const double* p = v.data_ptr<double>();
  char buffer[64];
  for (int64_t r = 0; r < v.size(0); ++r) {
    if (text) out << quoted(leading_text[r]);
    for (int64_t c = 0; c < v.size(1); ++c) {
      std::snprintf(buffer, sizeof buffer, "%.9g", p[r * v.size(1) + c]);
      out << (c || text ? "," : "") << buffer;
    }
    out << "\n";
  }
  write_file_atomically(path, out.str());
}

}  // namespace credence::data

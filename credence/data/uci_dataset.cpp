// Reading the UCI benchmark folders: whitespace-separated numbers, blank lines allowed.
#include "credence/data/uci_dataset.h"

#include "credence/data/input_file.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>

namespace credence::data {

namespace {

struct Token {
  double value;
  size_t line, column;
};

// Every whitespace-separated number of a file, with its position; one vector per non-blank line.
// `float32`: the values must also lie in float32's range (the networks compute in it).
std::vector<std::vector<Token>> read_numbers(const std::string& path, bool float32 = false) {
  const std::string text = read_input_file(path);
  std::vector<std::vector<Token>> lines;
  size_t line_number = 0, begin = 0;
  while (begin < text.size()) {
    size_t newline = text.find('\n', begin);
    if (newline == std::string::npos) newline = text.size();
    const std::string_view line(text.data() + begin, newline - begin);
    begin = newline + 1;
    ++line_number;
    std::vector<Token> tokens;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
      if (i >= line.size()) break;
      size_t end = i;
      while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
      const auto where = [&] { return path + ":" + std::to_string(line_number) + ":" + std::to_string(i + 1) + ": "; };
      double v = 0.0;
      const char* first = line.data() + i;
      if (*first == '+' && end > i + 1 && first[1] != '-' && first[1] != '+') ++first;
      auto [ptr, ec] = std::from_chars(first, line.data() + end, v);
      if (ec != std::errc() || ptr != line.data() + end || !std::isfinite(v)) {
        throw std::runtime_error(where() + "expected a finite number, found '" + shown_text(line.substr(i, end - i)) + "'");
      }
      if (float32 && std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
        throw std::runtime_error(where() + shown_text(line.substr(i, end - i)) +
                                 " is beyond the float32 range that the networks compute in (magnitude at most 3.4e38)");
      }
      tokens.push_back({v, line_number, i + 1});
      i = end;
    }
    if (!tokens.empty()) lines.push_back(std::move(tokens));
  }
  return lines;
}

// The integers of a file with one number per line, each in [0, limit).
std::vector<int64_t> read_indices(const std::string& path, int64_t limit, const std::string& what) {
  std::vector<int64_t> out;
  for (const auto& tokens : read_numbers(path)) {
    for (const auto& t : tokens) {
      if (t.value != std::floor(t.value) || t.value < 0 || t.value >= static_cast<double>(limit)) {
        std::ostringstream message;
        message << path << ":" << t.line << ":" << t.column << ": " << what << " index " << t.value
                << " is out of range (expected an integer in 0.." << limit - 1 << ")";
        throw std::runtime_error(message.str());
      }
      out.push_back(static_cast<int64_t>(t.value));
    }
  }
  if (out.empty()) throw std::runtime_error(path + ": the file is empty (expected " + what + " indices)");
  return out;
}

// A count such as n_splits.txt: one whole number from 1 to a billion.
int64_t read_positive_count(const std::string& path) {
  constexpr double kLargest = 1e9;
  auto lines = read_numbers(path);
  if (lines.size() != 1 || lines[0].size() != 1 || lines[0][0].value < 1 || lines[0][0].value > kLargest ||
      lines[0][0].value != std::floor(lines[0][0].value)) {
    throw std::runtime_error(path + ": expected one positive integer (at most 1000000000)");
  }
  return static_cast<int64_t>(lines[0][0].value);
}

}  // namespace

UciDataset read_uci_dataset(const std::string& directory) {
  UciDataset d;
  d.directory = directory;
  struct stat info {};
  if (::stat(directory.c_str(), &info) == 0 && !S_ISDIR(info.st_mode)) {
    throw std::runtime_error(directory + ": not a directory (a UCI data set is a folder holding data.txt, "
                             "index_features.txt, index_target.txt, index_train_K.txt, ...)");
  }
  const std::string data_path = directory + "/data.txt";
  auto rows = read_numbers(data_path, /*float32=*/true);
  if (rows.empty()) throw std::runtime_error(data_path + ": the file is empty");
  const size_t width = rows[0].size();
  std::vector<double> values;
  values.reserve(rows.size() * width);
  for (const auto& row : rows) {
    if (row.size() != width) {
      throw std::runtime_error(data_path + ":" + std::to_string(row[0].line) + ": expected " + std::to_string(width) +
                               " numbers as on the first row, found " + std::to_string(row.size()));
    }
    for (const auto& t : row) values.push_back(t.value);
  }
  d.values = at::tensor(values, at::kDouble).view({static_cast<int64_t>(rows.size()), static_cast<int64_t>(width)});
  const auto columns = static_cast<int64_t>(width);
  d.feature_columns = read_indices(directory + "/index_features.txt", columns, "feature column");
  auto target = read_indices(directory + "/index_target.txt", columns, "target column");
  if (target.size() != 1) throw std::runtime_error(directory + "/index_target.txt: expected exactly one target column");
  d.target_column = target[0];
  for (auto f : d.feature_columns) {
    if (f == d.target_column) {
      throw std::runtime_error(directory + "/index_features.txt: column " + std::to_string(f) + " is also the target");
    }
  }
  d.splits = read_positive_count(directory + "/n_splits.txt");
  d.hidden = read_positive_count(directory + "/n_hidden.txt");
  d.epochs = read_positive_count(directory + "/n_epochs.txt");
  return d;
}

at::Tensor UciDataset::inputs() const {
  return values.index_select(1, at::tensor(feature_columns, at::kLong)).to(at::kFloat).contiguous();
}

at::Tensor UciDataset::targets() const { return values.select(1, target_column).to(at::kFloat).contiguous(); }

UciSplit UciDataset::split(int64_t k) const {
  if (k < 0 || k >= splits) {
    throw std::invalid_argument("split " + std::to_string(k) + " does not exist in " + directory + " (it has " +
                                std::to_string(splits) + ")");
  }
  const std::string train_path = directory + "/index_train_" + std::to_string(k) + ".txt";
  const std::string test_path = directory + "/index_test_" + std::to_string(k) + ".txt";
  const int64_t rows = values.size(0);
  auto train = read_indices(train_path, rows, "row");
  auto test = read_indices(test_path, rows, "row");
  std::vector<char> in_train(static_cast<size_t>(rows), 0);
  for (auto r : train) in_train[static_cast<size_t>(r)] = 1;
  for (auto r : test) {
    if (in_train[static_cast<size_t>(r)]) {
      throw std::runtime_error(test_path + ": row " + std::to_string(r) + " is also in " + train_path +
                               " (train and test must not overlap)");
    }
  }
  return {at::tensor(train, at::kLong), at::tensor(test, at::kLong)};
}

}  // namespace credence::data

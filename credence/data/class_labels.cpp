// Encoding table labels as class indices.
#include "credence/data/class_labels.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>

namespace credence::data {

namespace {

bool parse_integer(const std::string& cell, long long& value) {
  const char* first = cell.data();
  const char* last = cell.data() + cell.size();
  if (first != last && *first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, last, value);
  return ec == std::errc() && ptr == last && first != last;
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 20; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 20) out += ", ...";
  return out;
}

}  // namespace

EncodedLabels encode_labels(const std::vector<std::string>& cells, const std::string& where) {
  if (cells.empty()) throw std::runtime_error(where + ": no labels");
  bool integers = true;
  std::vector<long long> numbers(cells.size());
  for (size_t i = 0; i < cells.size() && integers; ++i) integers = parse_integer(cells[i], numbers[i]);
  EncodedLabels encoded;
  if (integers) {
    std::vector<long long> distinct(numbers);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (auto v : distinct) encoded.class_names.push_back(std::to_string(v));
    std::vector<int64_t> index(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) {
      index[i] = std::lower_bound(distinct.begin(), distinct.end(), numbers[i]) - distinct.begin();
    }
    encoded.labels = at::tensor(index, at::kLong);
  } else {
    std::vector<std::string> distinct(cells);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    encoded.class_names = distinct;
    encoded.labels = labels_for_classes(cells, distinct, where);
  }
  if (encoded.class_names.size() < 2) {
    throw std::runtime_error(where + ": the labels hold a single class ('" + encoded.class_names.front() +
                             "'); classification needs at least two");
  }
  return encoded;
}

at::Tensor labels_for_classes(const std::vector<std::string>& cells, const std::vector<std::string>& class_names,
                              const std::string& where) {
  std::map<std::string, int64_t> lookup;
  for (size_t k = 0; k < class_names.size(); ++k) lookup[class_names[k]] = static_cast<int64_t>(k);
  std::vector<int64_t> index(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    auto found = lookup.find(cells[i]);
    if (found == lookup.end()) {
      // Integer labels may be written differently ("+3", "03"): compare them as numbers too.
      long long value = 0;
      if (parse_integer(cells[i], value)) found = lookup.find(std::to_string(value));
    }
    if (found == lookup.end()) {
      throw std::runtime_error(where + ": data row " + std::to_string(i + 1) + ": label '" + cells[i] +
                               "' is not one of the classes the model knows (" + list(class_names) + ")");
    }
    index[i] = found->second;
  }
  return at::tensor(index, at::kLong);
}

}  // namespace credence::data

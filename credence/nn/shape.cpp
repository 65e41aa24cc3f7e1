// Shape formatting and arithmetic.
#include "credence/nn/shape.h"

namespace credence::nn {

std::string to_string(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

int64_t element_count(const Shape& shape) {
  int64_t count = 1;
  for (auto d : shape) count *= d;
  return count;
}

std::vector<int64_t> batch_sizes(int64_t rows, const Shape& shape) {
  std::vector<int64_t> sizes{rows};
  sizes.insert(sizes.end(), shape.begin(), shape.end());
  return sizes;
}

}  // namespace credence::nn

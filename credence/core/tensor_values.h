// A tensor's values as a std::vector<double> (any shape, read in row-major order), for code that
// works on plain numbers: plot series, optimisers over flat parameter vectors.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace credence::core {

inline std::vector<double> to_double_vector(const at::Tensor& t) {
  const auto c = t.detach().to(at::kDouble).contiguous().reshape({-1});
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace credence::core

// Monte Carlo noise of a whole prediction addressed by (sample, row, value), so that the draws a
// row gets do not depend on how the rows are cut into chunks (and hence not on a memory budget).
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace credence::core {

class RowKeyedNoise {
 public:
  RowKeyedNoise() = default;
  // S samples of `total_rows` rows under one key taken from `generator` (a CPU generator).
  RowKeyedNoise(at::Generator& generator, std::int64_t samples, std::int64_t total_rows);

  bool active() const { return total_rows_ > 0; }
  std::int64_t samples() const { return samples_; }
  std::int64_t total_rows() const { return total_rows_; }

  // Standard normal draws [S, rows, row...] (float32, CPU) for rows first_row .. first_row + rows - 1:
  // value j of row r in sample s is position (s * total_rows + r) * values_per_row + j of the stream.
  at::Tensor standard_normal(std::int64_t first_row, std::int64_t rows, at::IntArrayRef row) const;

 private:
  std::uint64_t key_ = 0;
  std::int64_t samples_ = 0, total_rows_ = 0;
};

}  // namespace credence::core

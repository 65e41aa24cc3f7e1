// Row-addressed Monte Carlo noise from the Philox stream of normal_noise.h.
#include "credence/core/row_keyed_noise.h"

#include "credence/core/normal_noise.h"

#include <ATen/ops/empty.h>

#include <stdexcept>
#include <vector>

namespace credence::core {

RowKeyedNoise::RowKeyedNoise(at::Generator& generator, std::int64_t samples, std::int64_t total_rows)
    : key_(draw_key(generator)), samples_(samples), total_rows_(total_rows) {
  if (samples <= 0 || total_rows <= 0) throw std::invalid_argument("RowKeyedNoise: samples and rows must be positive");
}

at::Tensor RowKeyedNoise::standard_normal(std::int64_t first_row, std::int64_t rows, at::IntArrayRef row) const {
  if (first_row < 0 || rows < 0 || first_row + rows > total_rows_) {
    throw std::invalid_argument("RowKeyedNoise: rows " + std::to_string(first_row) + " .. " + std::to_string(first_row + rows) +
                                " outside the prediction's " + std::to_string(total_rows_));
  }
  std::int64_t per_row = 1;
  for (auto d : row) per_row *= d;
  std::vector<std::int64_t> sizes{samples_, rows};
  sizes.insert(sizes.end(), row.begin(), row.end());
  auto out = at::empty(sizes, at::TensorOptions().dtype(at::kFloat));
  auto* values = out.data_ptr<float>();
  for (std::int64_t s = 0; s < samples_; ++s) {
    const auto first = static_cast<std::uint64_t>((s * total_rows_ + first_row) * per_row);
    fill_standard_normal(values + s * rows * per_row, rows * per_row, key_, first);
  }
  return out;
}

}  // namespace credence::core

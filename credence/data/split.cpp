// Random train/validation splits.
#include "credence/data/split.h"

#include <cmath>
#include <stdexcept>

namespace credence::data {

std::pair<at::Tensor, at::Tensor> train_validation_split(int64_t n, double fraction, at::Generator& generator) {
  if (!(fraction >= 0.0 && fraction < 1.0)) throw std::invalid_argument("validation fraction must lie in [0, 1)");
  auto order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
  const int64_t held_out = static_cast<int64_t>(std::llround(fraction * static_cast<double>(n)));
  if (fraction > 0.0 && (held_out == 0 || held_out >= n)) {
    throw std::invalid_argument("validation fraction leaves an empty training or validation set for " +
                                std::to_string(n) + " rows");
  }
  return {order.slice(0, held_out, n), order.slice(0, 0, held_out)};
}

at::Tensor bootstrap_sample(int64_t n, at::Generator& generator) {
  if (n < 1) throw std::invalid_argument("bootstrap_sample: no rows to resample");
  return at::randint(0, n, {n}, generator, at::kLong);
}

std::pair<at::Tensor, at::Tensor> bootstrap_rows(const at::Tensor& inputs, const at::Tensor& targets,
                                                 at::Generator& generator) {
  auto rows = bootstrap_sample(inputs.size(0), generator).to(inputs.device());
  return {inputs.index_select(0, rows), targets.index_select(0, rows)};
}

}  // namespace credence::data

// Input checks shared by the classical models.
#include "credence/classical/validation.h"

#include <stdexcept>

namespace credence::classical {

at::Tensor checked_matrix(const at::Tensor& x, int64_t min_rows, const std::string& what) {
  if (!x.defined() || x.dim() != 2) throw std::invalid_argument(what + ": expected a 2-D [rows, columns] matrix");
  if (x.size(1) < 1) throw std::invalid_argument(what + ": has no columns");
  if (x.size(0) < min_rows) {
    throw std::invalid_argument(what + ": has " + std::to_string(x.size(0)) + " rows, needs at least " +
                                std::to_string(min_rows));
  }
  auto result = x.to(at::kDouble).contiguous();
  if (!at::isfinite(result).all().item<bool>()) throw std::invalid_argument(what + ": contains NaN or infinity");
  return result;
}

std::string column_name(int64_t index, const std::vector<std::string>& names) {
  if (index >= 0 && index < static_cast<int64_t>(names.size())) return "column '" + names[index] + "'";
  return "column " + std::to_string(index + 1);
}

void check_no_constant_columns(const at::Tensor& x, const std::vector<std::string>& names) {
  // Exact comparison with the first row: a constant column is constant bit for bit.
  auto constant = (x == x.slice(0, 0, 1)).all(0);
  for (int64_t j = 0; j < constant.size(0); ++j) {
    if (constant[j].item<bool>()) {
      throw std::invalid_argument(column_name(j, names) + " is constant: its covariance would be singular");
    }
  }
}

void check_not_constant(const at::Tensor& x, const std::string& what) {
  if ((x == x.slice(0, 0, 1)).all().item<bool>()) {
    throw std::invalid_argument(what + ": every row is the same point (constant data)");
  }
}

int64_t distinct_rows(const at::Tensor& x) {
  return std::get<0>(at::unique_dim(x, 0, /*sorted=*/false)).size(0);
}

void check_finite_result(const at::Tensor& t, const std::string& what) {
  if (t.defined() && !at::isfinite(t).all().item<bool>()) {
    throw std::runtime_error(what + ": the fit produced NaN or infinity (the data may be singular or badly scaled)");
  }
}

}  // namespace credence::classical

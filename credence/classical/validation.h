// Input checks shared by the classical models: they turn bad data into one clear line
// before it can become a NaN model.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::classical {

// Returns `x` as a contiguous float64 [rows, columns] tensor, or throws
// std::invalid_argument naming `what` when it is not 2-D, has fewer than `min_rows`
// rows, or holds NaN or infinity.
at::Tensor checked_matrix(const at::Tensor& x, int64_t min_rows, const std::string& what);

// Throws std::invalid_argument naming the column (from `names` when given, else its
// 1-based position) when a column of `x` has zero variance.
void check_no_constant_columns(const at::Tensor& x, const std::vector<std::string>& names = {});

// Throws std::invalid_argument when every row of `x` is the same point.
void check_not_constant(const at::Tensor& x, const std::string& what);

// Number of distinct rows of `x` (exact comparison).
int64_t distinct_rows(const at::Tensor& x);

// Throws std::runtime_error when `t` holds NaN or infinity: the last guard before a
// fitted model is handed back, so that no NaN model is ever returned or written.
void check_finite_result(const at::Tensor& t, const std::string& what);

// The name of column `index` for messages: names[index] when present, else "column N" (1-based).
std::string column_name(int64_t index, const std::vector<std::string>& names);

}  // namespace credence::classical

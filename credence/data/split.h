// Random train/validation splits of row indices, and bootstrap resamples.
#pragma once

#include <ATen/ATen.h>

#include <utility>

namespace credence::data {

// Shuffles 0..n-1 with `generator` and holds out round(fraction * n) rows for validation.
// Returns (train indices, validation indices); fraction 0 gives an empty validation set.
std::pair<at::Tensor, at::Tensor> train_validation_split(int64_t n, double fraction, at::Generator& generator);

// n row indices drawn from 0..n-1 with replacement (bagging; Breiman 1996).
at::Tensor bootstrap_sample(int64_t n, at::Generator& generator);
// The rows of `inputs` and `targets` at one bootstrap sample (on their device).
std::pair<at::Tensor, at::Tensor> bootstrap_rows(const at::Tensor& inputs, const at::Tensor& targets,
                                                 at::Generator& generator);

}  // namespace credence::data

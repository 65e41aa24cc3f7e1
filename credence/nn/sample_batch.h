// SampleBatch: the explicit sampling protocol of a Monte Carlo pass. A batch of activations is
// either shared by all S samples ([B, ...], before the first stochastic layer) or given per sample
// ([S*B, ...], sample-major: sample s holds rows s*B .. s*B + B - 1). The layout is carried, never
// guessed from a tensor's rank (which is ambiguous once sequences arrive). A chunk of a longer
// prediction also carries the position of its first row, which row-addressed noise uses.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace credence::nn {

struct SampleBatch {
  at::Tensor values;
  int64_t samples = 1;  // S
  bool shared = true;   // the same values for every sample
  int64_t first_row = 0;  // of this batch within the prediction it is a chunk of

  static SampleBatch shared_input(at::Tensor values, int64_t samples, int64_t first_row = 0) {
    return {std::move(values), samples, true, first_row};
  }
  static SampleBatch per_sample(at::Tensor values, int64_t samples, int64_t first_row = 0) {
    return {std::move(values), samples, false, first_row};
  }
  // Per-sample values [S*B, ...] of the same S samples and rows as this batch.
  SampleBatch as_per_sample(at::Tensor new_values) const { return {std::move(new_values), samples, false, first_row}; }

  // B: the rows of one sample.
  int64_t rows() const { return shared ? values.size(0) : values.size(0) / samples; }
  // The same layout with other values (a layer that treats rows independently keeps it).
  SampleBatch with_values(at::Tensor new_values) const { return {std::move(new_values), samples, shared, first_row}; }
  // [S*B, ...] in either case (a shared batch is repeated S times).
  at::Tensor expanded() const;
  // [S, B, ...].
  at::Tensor by_sample() const;
};

}  // namespace credence::nn

// SampleBatch: the explicit sampling protocol of a Monte Carlo pass. A batch of activations is
// either shared by all S samples ([B, ...], before the first stochastic layer) or given per sample
// ([S*B, ...], sample-major: sample s holds rows s*B .. s*B + B - 1). The layout is carried, never
// guessed from a tensor's rank (which is ambiguous once sequences arrive).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace credence::nn {

struct SampleBatch {
  at::Tensor values;
  int64_t samples = 1;  // S
  bool shared = true;   // the same values for every sample

  static SampleBatch shared_input(at::Tensor values, int64_t samples) { return {std::move(values), samples, true}; }
  static SampleBatch per_sample(at::Tensor values, int64_t samples) { return {std::move(values), samples, false}; }

  // B: the rows of one sample.
  int64_t rows() const { return shared ? values.size(0) : values.size(0) / samples; }
  // The same layout with other values (a layer that treats rows independently keeps it).
  SampleBatch with_values(at::Tensor new_values) const { return {std::move(new_values), samples, shared}; }
  // [S*B, ...] in either case (a shared batch is repeated S times).
  at::Tensor expanded() const;
  // [S, B, ...].
  at::Tensor by_sample() const;
};

}  // namespace credence::nn

// Monte Carlo outputs of one network or an ensemble's members, drawn in one batched pass per chunk
// of rows (never a loop over samples), each member's weight samples held for every chunk.
#pragma once

#include "credence/nn/network.h"

#include <ATen/ATen.h>
#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace credence::predict {

struct PredictOptions {
  TORCH_ARG(int64_t, samples) = 100;
  // Bound on the elements of one chunk's widest activation tensor [S*rows, ...] (the peak memory of
  // a prediction is a small multiple of it, whatever S and the row count).
  TORCH_ARG(int64_t, max_chunk_elements) = int64_t{1} << 24;
};

// Draws per member so that every member weighs the same: S split evenly (rounded up) over the
// members, one draw for a member that is not stochastic.
int64_t draws_per_member(const nn::Network& member, int64_t samples, int64_t members);

// The rows per chunk that keep draws * rows * widest activation within max_chunk_elements.
int64_t chunk_rows(const nn::Network& net, int64_t draws, int64_t max_chunk_elements);

// Calls visit(outputs) with the members' outputs [D, rows, output...] for each chunk of the rows of
// x, D = the sum of the members' draws. `widening` multiplies the draws in the memory bound (a head
// that expands each draw, as noisy logits do).
void for_each_output_chunk(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options,
                           int64_t widening, const std::function<void(const at::Tensor& outputs)>& visit);

// All chunks' outputs, [D, N, output...].
at::Tensor sample_outputs(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options);

}  // namespace credence::predict

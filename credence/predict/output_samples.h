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

// The default memory budget of a prediction (bytes): 1 GiB.
inline constexpr int64_t kDefaultMemoryBudget = int64_t{1} << 30;
// Bytes a chunk needs per value of its widest activation [D*rows, ...]: a layer's input and its
// square, the mean and variance products, their root, the noise and the output are alive at once,
// beside the previous layers' outputs, the summaries' float64 and int64 copies and what the
// allocator keeps between chunks. Measured (bench/results/predict_memory.md): an 8-100-100-1
// network at 5000 draws in chunks of 30 MB values peaked 470 MB above its start, about 16 float32
// copies of the chunk: 64 bytes per value.
inline constexpr int64_t kChunkBytesPerActivationValue = 64;

// Called after each chunk with the rows done so far and the rows in all.
using ChunkProgress = std::function<void(int64_t rows_done, int64_t total_rows)>;

struct PredictOptions {
  TORCH_ARG(int64_t, samples) = 100;
  // Bound on the elements of one chunk's widest activation tensor [S*rows, ...].
  TORCH_ARG(int64_t, max_chunk_elements) = int64_t{1} << 24;
  // Bound (bytes) on the Monte Carlo working memory: the held weight samples plus one chunk of rows
  // with all its draws; the rows per chunk follow from it. The draws do not depend on it: weight
  // samples are held and noise is addressed by row (nn::Layer::hold_weight_samples).
  TORCH_ARG(int64_t, memory_budget) = kDefaultMemoryBudget;
  TORCH_ARG(ChunkProgress, progress) = nullptr;
};

// Draws per member so that every member weighs the same: S split evenly (rounded up) over the
// members, one draw for a member that is not stochastic.
int64_t draws_per_member(const nn::Network& member, int64_t samples, int64_t members);

// The rows per chunk that keep draws * rows * widest activation within max_chunk_elements.
int64_t chunk_rows(const nn::Network& net, int64_t draws, int64_t max_chunk_elements);

// The rows per chunk within options' max_chunk_elements and memory budget, for D draws of values
// `row_width` wide (the widest activation times any widening) beside `held_bytes` already held.
// Throws std::invalid_argument naming the smallest budget (MiB) that works when not even one row fits.
int64_t budget_chunk_rows(const PredictOptions& options, int64_t draws, int64_t row_width, int64_t held_bytes);

// Calls visit(outputs, first_row) with the members' outputs [D, rows, output...] for each chunk of
// the rows of x, D = the sum of the members' draws, then options.progress. `widening` multiplies
// the draws in the memory bound (a head that expands each draw, as noisy logits do).
using OutputChunkVisitor = std::function<void(const at::Tensor& outputs, int64_t first_row)>;
void for_each_output_chunk(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options,
                           int64_t widening, const OutputChunkVisitor& visit);

// All chunks' outputs, [D, N, output...].
at::Tensor sample_outputs(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options);

}  // namespace credence::predict

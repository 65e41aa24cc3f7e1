// Chooses, per layer, how Monte Carlo samples are drawn: by the cost of products and noise.
#pragma once

#include <cstdint>

namespace credence::nn {

enum class SamplingStrategy {
  // Sample pre-activations from their mean and variance (two products, noise per output).
  pre_activations,
  // Draw one weight sample per Monte Carlo sample (one product per sample, noise per weight).
  weights,
};

// Drawing one normal number costs about as much as this many floating-point operations of
// a large matrix product: measured as 5.0 ns per draw against 172 GFLOP/s on 2 cores, i.e.
// ~870 (bench/regression_bench.cpp, section 4, repeats the measurement).
inline constexpr double kNormalDrawCostInFlops = 800.0;
// Weight samples larger than this fall back to pre-activation sampling.
inline constexpr std::int64_t kMaxWeightSampleElements = std::int64_t{1} << 25;

// What one row costs a layer whose output is a product linear in its weights (dense or convolution).
struct ProductCost {
  double multiply_adds_per_row = 0.0;  // of one product with the weights, for one row
  double outputs_per_row = 0.0;        // pre-activations of one row
  std::int64_t weights = 0;            // elements of one weight sample, biases included
};

// samples: S; rows: B; shared_input: the input is the same for every sample ([B, ...]).
SamplingStrategy choose_sampling_strategy(std::int64_t samples, std::int64_t rows, const ProductCost& cost,
                                          bool shared_input);

}  // namespace credence::nn

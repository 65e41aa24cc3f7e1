// Chooses, per layer, how Monte Carlo samples are drawn: by the cost of products and noise.
#pragma once

#include <cstdint>

namespace credence::nn {

enum class SamplingStrategy {
  // Sample pre-activations from their mean and variance (two products, noise per row).
  pre_activations,
  // Draw one weight matrix per sample (one product per sample, noise per weight).
  weights,
};

// Drawing one normal number costs about as much as this many multiply-adds in a
// matrix product: measured here as 4.2 ns per normal against ~170 GFLOP/s for
// a 2000x2000 product on 2 cores (bench/sampling_cost_bench.cpp repeats it).
inline constexpr double kNormalDrawCostInFlops = 400.0;
// Weight samples larger than this fall back to pre-activation sampling.
inline constexpr std::int64_t kMaxWeightSampleElements = std::int64_t{1} << 25;

// samples: S; rows: B; shared_input: the input is the same for every sample ([B, in]).
SamplingStrategy choose_sampling_strategy(std::int64_t samples, std::int64_t rows, std::int64_t in_features,
                                          std::int64_t out_features, bool shared_input);

}  // namespace credence::nn

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

// Drawing one normal number costs about as much as this many floating-point operations of
// a large matrix product: measured as 5.0 ns per draw against 172 GFLOP/s on 2 cores, i.e.
// ~870 (bench/regression_bench.cpp, section 4, repeats the measurement).
inline constexpr double kNormalDrawCostInFlops = 800.0;
// Weight samples larger than this fall back to pre-activation sampling.
inline constexpr std::int64_t kMaxWeightSampleElements = std::int64_t{1} << 25;

// samples: S; rows: B; shared_input: the input is the same for every sample ([B, in]).
SamplingStrategy choose_sampling_strategy(std::int64_t samples, std::int64_t rows, std::int64_t in_features,
                                          std::int64_t out_features, bool shared_input);

}  // namespace credence::nn

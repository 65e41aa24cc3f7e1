// Cost model behind the per-layer choice of Monte Carlo sampling strategy.
#include "credence/nn/sampling_cost.h"

namespace credence::nn {

SamplingStrategy choose_sampling_strategy(std::int64_t samples, std::int64_t rows, const ProductCost& cost,
                                          bool shared_input) {
  if (samples * cost.weights > kMaxWeightSampleElements) return SamplingStrategy::pre_activations;
  const double s = static_cast<double>(samples);
  const double b = static_cast<double>(rows);
  const double product_flops = 2.0 * cost.multiply_adds_per_row * b;
  // Pre-activations: mean and variance products (once if the input is shared, else per sample).
  const double product_passes = shared_input ? 1.0 : s;
  const double pre_activation_cost = 2.0 * product_passes * product_flops + kNormalDrawCostInFlops * s * b * cost.outputs_per_row;
  const double weight_cost = s * product_flops + kNormalDrawCostInFlops * s * static_cast<double>(cost.weights);
  return weight_cost < pre_activation_cost ? SamplingStrategy::weights : SamplingStrategy::pre_activations;
}

}  // namespace credence::nn

// Cost model behind the per-layer choice of Monte Carlo sampling strategy.
#include "credence/nn/sampling_cost.h"

namespace credence::nn {

SamplingStrategy choose_sampling_strategy(std::int64_t samples, std::int64_t rows, std::int64_t in_features,
                                          std::int64_t out_features, bool shared_input) {
  const double s = static_cast<double>(samples);
  const double b = static_cast<double>(rows);
  const double d = static_cast<double>(in_features);
  const double k = static_cast<double>(out_features);
  // Pre-activations: mean and variance products (once if the input is shared, else per sample).
  const double product_passes = shared_input ? 1.0 : s;
  const double pre_activation_cost = 2.0 * 2.0 * product_passes * b * d * k + kNormalDrawCostInFlops * s * b * k;
  const double weight_cost = 2.0 * s * b * d * k + kNormalDrawCostInFlops * s * (d + 1.0) * k;
  if (samples * (in_features + 1) * out_features > kMaxWeightSampleElements) {
    return SamplingStrategy::pre_activations;
  }
  return weight_cost < pre_activation_cost ? SamplingStrategy::weights : SamplingStrategy::pre_activations;
}

}  // namespace credence::nn

// KL weighting schedules over the minibatches of an epoch.
#include "credence/inference/kl_weighting.h"

#include <cmath>
#include <stdexcept>

namespace credence::inference {

KlWeighting kl_weighting_from_string(const std::string& name) {
  if (name == "uniform") return KlWeighting::uniform;
  if (name == "blundell") return KlWeighting::blundell;
  throw std::invalid_argument("unknown KL weighting '" + name + "' (expected uniform or blundell)");
}

std::string to_string(KlWeighting weighting) { return weighting == KlWeighting::uniform ? "uniform" : "blundell"; }

double kl_weight(KlWeighting weighting, int64_t batch_index, int64_t num_batches) {
  if (num_batches <= 0 || batch_index < 0 || batch_index >= num_batches) {
    throw std::invalid_argument("kl_weight: batch index out of range");
  }
  if (weighting == KlWeighting::uniform) return 1.0 / static_cast<double>(num_batches);
  // 2^(M-i) / (2^M - 1) = 2^-i / (1 - 2^-M), which never overflows for large M.
  const double i = static_cast<double>(batch_index + 1);
  return std::exp2(-i) / (1.0 - std::exp2(-static_cast<double>(num_batches)));
}

}  // namespace credence::inference

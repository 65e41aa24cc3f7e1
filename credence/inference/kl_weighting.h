// How the KL term of the ELBO is spread over the M minibatches of an epoch.
#pragma once

#include <cstdint>
#include <string>

namespace credence::inference {

enum class KlWeighting {
  uniform,   // pi_i = 1 / M
  blundell,  // pi_i = 2^(M - i) / (2^M - 1), i = 1..M (Blundell et al. 2015, eq. 9)
};
KlWeighting kl_weighting_from_string(const std::string& name);
std::string to_string(KlWeighting weighting);

// pi_i for minibatch `batch_index` (0-based) of `num_batches`; the weights of an epoch sum to 1.
double kl_weight(KlWeighting weighting, int64_t batch_index, int64_t num_batches);

}  // namespace credence::inference

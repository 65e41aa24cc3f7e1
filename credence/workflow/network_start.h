// The network a fit starts from: built from the spec, its weights drawn from the member's generator,
// or taken from a trained deterministic network (MOPED).
#pragma once

#include "credence/nn/network.h"

#include <ATen/ATen.h>

namespace credence::workflow {

// `initial` may be nullptr (random weights); otherwise the spec must be Bayesian and starts from it
// with nn::initialise_from_deterministic (delta). Throws std::invalid_argument (prefixed
// "--init-from: ") when `initial` does not fit the spec.
nn::Network start_network(const nn::NetworkSpec& spec, at::Generator& generator, const nn::Network& initial, double delta,
                          const at::Device& device);

}  // namespace credence::workflow

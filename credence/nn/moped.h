// MOPED (Krishnan et al. 2020): a Bayesian network started from a trained deterministic one of the
// same spec, posterior means at its weights and sigma = delta |w|.
#pragma once

#include "credence/nn/network.h"

namespace credence::nn {

// The smallest initial sigma, for weights that are exactly zero (softplus(rho) must stay positive).
inline constexpr double kMopedSigmaFloor = 1e-6;

// Sets every Bayesian layer of `bayesian` from the matching weight layer of `deterministic`: mu = w
// and sigma = max(delta |w|, kMopedSigmaFloor), for weights and biases. The two specs must be the same
// but for the Bayesian layers' posterior fields. Throws std::invalid_argument naming the first layer
// that differs, or when `deterministic` is not deterministic or delta is not positive.
void initialise_from_deterministic(Network& bayesian, const Network& deterministic, double delta);

}  // namespace credence::nn

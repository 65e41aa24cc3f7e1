// Convergence diagnostics of Markov chains: split R-hat (Gelman et al., BDA3 ch. 11) and the
// effective sample size with Geyer's initial monotone sequence (Vehtari et al. 2021), per
// parameter and per parameter group.
#pragma once

#include "credence/inference/network_log_density.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::inference {

// draws [chains, n] of one scalar. Each chain is split into halves (an odd draw in the middle is
// dropped) and R-hat = sqrt(var+ / W) over the 2 * chains half-chains, var+ = (m - 1) / m W + B / m
// with m the half-chain length. Needs at least 4 draws per chain.
double split_r_hat(const at::Tensor& draws);

// draws [chains, n] of one scalar: chains * n / tau with tau = -1 + 2 sum_k (rho_2k + rho_2k+1)
// over the initial positive, monotone sequence of paired autocorrelations, rho_t combining the chains
// as Stan does (1 - (W - mean autocovariance_t) / var+). Constant chains give chains * n.
double effective_sample_size(const at::Tensor& draws);

struct GroupDiagnostics {
  std::string name;
  int64_t size = 0;
  double max_r_hat = 1.0;     // the worst parameter of the group
  double median_r_hat = 1.0;
  double min_ess = 0.0;       // the worst parameter of the group
  double median_ess = 0.0;
};

// draws [chains, n, D]: R-hat and ESS of every parameter, summarised per group.
std::vector<GroupDiagnostics> diagnose_groups(const at::Tensor& draws, const std::vector<ParameterGroup>& groups);

}  // namespace credence::inference

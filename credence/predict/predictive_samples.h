// Monte Carlo predictive distribution of a regression network or ensemble, drawn in batched passes.
#pragma once

#include "credence/inference/gaussian_likelihood.h"
#include "credence/nn/network.h"
#include "credence/predict/output_samples.h"

#include <ATen/ATen.h>

#include <functional>
#include <vector>

namespace credence::predict {

// D draws of the per-row predictive mean and noise variance: p(y | x) is approximated by the
// mixture (1/D) sum_d N(y; means[d], variances[d]).
struct PredictiveSamples {
  at::Tensor means;      // [D, N]
  at::Tensor variances;  // [D, N], the likelihood's noise variance for each draw
};

// One network with its likelihood, or an ensemble (member k with likelihoods[k]): each member draws
// draws_per_member times (a network that is not stochastic, deterministic or bbb in mean mode, is
// evaluated once), so D is S for one stochastic network and the member count for a deterministic
// ensemble. One batched pass per chunk of rows.
// The same chunk by chunk: visit(draws of the chunk's rows [D, rows], first_row), so that a caller
// can reduce each chunk before the next is drawn (the draws are those of sample_predictive).
using PredictiveChunkVisitor = std::function<void(const PredictiveSamples& chunk, int64_t first_row)>;
void for_each_predictive_chunk(std::vector<nn::Network>& members, std::vector<inference::GaussianLikelihood>& likelihoods,
                               const at::Tensor& x, const PredictOptions& options, const PredictiveChunkVisitor& visit);

PredictiveSamples sample_predictive(std::vector<nn::Network>& members,
                                    std::vector<inference::GaussianLikelihood>& likelihoods, const at::Tensor& x,
                                    const PredictOptions& options = {});
PredictiveSamples sample_predictive(nn::Network& net, inference::GaussianLikelihood& likelihood, const at::Tensor& x,
                                    const PredictOptions& options = {});

}  // namespace credence::predict

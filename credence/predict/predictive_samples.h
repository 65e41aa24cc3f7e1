// Monte Carlo predictive distribution of a regression network, drawn in one batched pass.
#pragma once

#include "credence/inference/gaussian_likelihood.h"
#include "credence/nn/mlp.h"

#include <ATen/ATen.h>

namespace credence::predict {

// S draws of the per-row predictive mean and noise variance: p(y | x) is approximated by
// the mixture (1/S) sum_s N(y; means[s], variances[s]).
struct PredictiveSamples {
  at::Tensor means;      // [S, N]
  at::Tensor variances;  // [S, N], the likelihood's noise variance for each draw
};

struct PredictOptions {
  TORCH_ARG(int64_t, samples) = 100;
  // Bound on the elements of one chunk's widest activation tensor [S, rows, width].
  TORCH_ARG(int64_t, max_chunk_elements) = int64_t{1} << 24;
};

// One batched pass per chunk of rows (never a loop over samples). A network that is not
// stochastic (deterministic, or bbb in mean mode) is evaluated once and gives S identical draws.
PredictiveSamples sample_predictive(nn::Mlp& net, inference::GaussianLikelihood& likelihood, const at::Tensor& x,
                                    const PredictOptions& options = {});

// The rows per chunk that keep S * rows * widest-layer within max_chunk_elements.
int64_t chunk_rows(const nn::MlpOptions& net, int64_t samples, int64_t max_chunk_elements);

}  // namespace credence::predict

// Chunked, batched Monte Carlo prediction.
#include "credence/predict/predictive_samples.h"

#include <algorithm>
#include <stdexcept>

namespace credence::predict {

int64_t chunk_rows(const nn::MlpOptions& net, int64_t samples, int64_t max_chunk_elements) {
  int64_t widest = std::max(net.input(), net.output());
  for (auto h : net.hidden()) widest = std::max(widest, h);
  return std::max<int64_t>(1, max_chunk_elements / (samples * widest));
}

PredictiveSamples sample_predictive(nn::Mlp& net, inference::GaussianLikelihood& likelihood, const at::Tensor& x,
                                    const PredictOptions& options) {
  if (options.samples() <= 0) throw std::invalid_argument("predict: the number of samples must be positive");
  if (x.dim() != 2) throw std::invalid_argument("predict: expected a [rows, features] input");
  at::NoGradGuard no_grad;
  net->eval();
  const int64_t n = x.size(0);
  const int64_t samples = options.samples();
  const int64_t draws = net->is_stochastic() ? samples : 1;
  const int64_t rows_per_chunk = chunk_rows(net->options, draws, options.max_chunk_elements());
  nn::HeldWeightSamples held(net, draws, n);  // one set of weight draws for every chunk
  std::vector<at::Tensor> means, variances;
  for (int64_t start = 0; start < n; start += rows_per_chunk) {
    auto chunk = x.slice(0, start, std::min(n, start + rows_per_chunk));
    auto outputs = net->forward_samples(chunk, draws);  // [draws, rows, width]
    auto [mean, variance] = likelihood->mean_and_variance(outputs);
    means.push_back(mean.contiguous());
    variances.push_back(variance.contiguous());
  }
  auto all_means = means.empty() ? at::empty({draws, 0}) : at::cat(means, 1);
  auto all_variances = variances.empty() ? at::empty({draws, 0}) : at::cat(variances, 1);
  if (draws != samples) {
    all_means = all_means.expand({samples, n}).contiguous();
    all_variances = all_variances.expand({samples, n}).contiguous();
  }
  return {all_means, all_variances};
}

}  // namespace credence::predict

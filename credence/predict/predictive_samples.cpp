// Chunked, batched Monte Carlo regression prediction.
#include "credence/predict/predictive_samples.h"

#include <stdexcept>

namespace credence::predict {

void for_each_predictive_chunk(std::vector<nn::Network>& members, std::vector<inference::GaussianLikelihood>& likelihoods,
                               const at::Tensor& x, const PredictOptions& options, const PredictiveChunkVisitor& visit) {
  if (likelihoods.size() != members.size()) throw std::invalid_argument("predict: one likelihood per member expected");
  at::NoGradGuard no_grad;
  std::vector<int64_t> draws;
  for (auto& member : members) draws.push_back(draws_per_member(member, options.samples(), static_cast<int64_t>(members.size())));
  for_each_output_chunk(members, x, options, 1, [&](const at::Tensor& outputs, int64_t first_row) {
    // Each member's draws through its own likelihood.
    std::vector<at::Tensor> chunk_means, chunk_variances;
    int64_t offset = 0;
    for (size_t k = 0; k < members.size(); ++k) {
      auto [mean, variance] = likelihoods[k]->mean_and_variance(outputs.slice(0, offset, offset + draws[k]));
      chunk_means.push_back(mean);
      chunk_variances.push_back(variance);
      offset += draws[k];
    }
    visit({at::cat(chunk_means, 0).contiguous(), at::cat(chunk_variances, 0).contiguous()}, first_row);
  });
}

PredictiveSamples sample_predictive(std::vector<nn::Network>& members,
                                    std::vector<inference::GaussianLikelihood>& likelihoods, const at::Tensor& x,
                                    const PredictOptions& options) {
  std::vector<at::Tensor> means, variances;
  for_each_predictive_chunk(members, likelihoods, x, options, [&](const PredictiveSamples& chunk, int64_t) {
    means.push_back(chunk.means);
    variances.push_back(chunk.variances);
  });
  if (means.empty()) {
    int64_t total = 0;
    for (auto& member : members) total += draws_per_member(member, options.samples(), static_cast<int64_t>(members.size()));
    return {at::empty({total, 0}, x.options()), at::empty({total, 0}, x.options())};
  }
  return {at::cat(means, 1), at::cat(variances, 1)};
}

PredictiveSamples sample_predictive(nn::Network& net, inference::GaussianLikelihood& likelihood, const at::Tensor& x,
                                    const PredictOptions& options) {
  std::vector<nn::Network> members{net};
  std::vector<inference::GaussianLikelihood> likelihoods{likelihood};
  return sample_predictive(members, likelihoods, x, options);
}

}  // namespace credence::predict

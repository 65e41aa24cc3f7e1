// Chunked Monte Carlo outputs of a network or an ensemble.
#include "credence/predict/output_samples.h"

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace credence::predict {

int64_t draws_per_member(const nn::Network& member, int64_t samples, int64_t members) {
  if (!member->is_stochastic()) return 1;
  return std::max<int64_t>(1, (samples + members - 1) / members);
}

int64_t chunk_rows(const nn::Network& net, int64_t draws, int64_t max_chunk_elements) {
  return std::max<int64_t>(1, max_chunk_elements / (draws * net->widest_activation()));
}

void for_each_output_chunk(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options,
                           int64_t widening, const std::function<void(const at::Tensor& outputs)>& visit) {
  if (members.empty()) throw std::invalid_argument("predict: the model has no networks");
  if (options.samples() <= 0) throw std::invalid_argument("predict: the number of samples must be positive");
  at::NoGradGuard no_grad;
  const int64_t m = static_cast<int64_t>(members.size());
  const auto rows_in = nn::shape_rows(x, members.front()->input_shape());
  const int64_t n = rows_in.size(0);
  int64_t total_draws = 0;
  std::vector<int64_t> draws;
  for (auto& member : members) {
    member->eval();
    draws.push_back(draws_per_member(member, options.samples(), m));
    total_draws += draws.back();
  }
  const int64_t rows = chunk_rows(members.front(), total_draws * widening, options.max_chunk_elements());
  // One set of weight draws per member for every chunk.
  std::vector<std::unique_ptr<nn::HeldWeightSamples>> held;
  for (size_t k = 0; k < members.size(); ++k) held.push_back(std::make_unique<nn::HeldWeightSamples>(members[k], draws[k], n));
  for (int64_t start = 0; start < n; start += rows) {
    auto chunk = rows_in.slice(0, start, std::min(n, start + rows));
    std::vector<at::Tensor> outputs;
    for (size_t k = 0; k < members.size(); ++k) outputs.push_back(members[k]->forward_samples(chunk, draws[k]));
    visit(outputs.size() == 1 ? outputs.front() : at::cat(outputs, 0));
  }
}

at::Tensor sample_outputs(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options) {
  std::vector<at::Tensor> chunks;
  for_each_output_chunk(members, x, options, 1, [&](const at::Tensor& outputs) { chunks.push_back(outputs); });
  if (!chunks.empty()) return at::cat(chunks, 1);
  int64_t draws = 0;
  for (auto& member : members) draws += draws_per_member(member, options.samples(), static_cast<int64_t>(members.size()));
  auto sizes = nn::batch_sizes(0, members.front()->output_shape());
  sizes.insert(sizes.begin(), draws);
  return at::empty(sizes, x.options());
}

}  // namespace credence::predict

// Chunked Monte Carlo outputs of a network or an ensemble.
#include "credence/predict/output_samples.h"

#include <algorithm>
#include <cmath>
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

int64_t budget_chunk_rows(const PredictOptions& options, int64_t draws, int64_t row_width, int64_t held_bytes) {
  if (options.memory_budget() <= 0) throw std::invalid_argument("predict: the memory budget must be positive");
  // In double: draws * width * bytes can exceed int64 for absurd sample counts.
  const double per_row = static_cast<double>(draws) * static_cast<double>(row_width) * kChunkBytesPerActivationValue;
  const double room = static_cast<double>(options.memory_budget()) - static_cast<double>(held_bytes);
  if (room < per_row) {
    constexpr double mib = 1024.0 * 1024.0;
    const auto needed = static_cast<long long>(std::ceil((static_cast<double>(held_bytes) + per_row) / mib));
    throw std::invalid_argument("memory budget of " + std::to_string(options.memory_budget() >> 20) + " MB is too small for " +
                                std::to_string(draws) + " draws per row: one row's draws" +
                                (held_bytes > 0 ? " and the held weight samples" : std::string()) + " need at least " +
                                std::to_string(needed) + " MB");
  }
  const double values_per_row = static_cast<double>(draws) * static_cast<double>(row_width);
  const double rows = std::min(static_cast<double>(options.max_chunk_elements()) / values_per_row, room / per_row);
  return std::max<int64_t>(1, static_cast<int64_t>(std::min(rows, 1e15)));
}

void for_each_output_chunk(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options,
                           int64_t widening, const OutputChunkVisitor& visit) {
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
  // One set of weight draws (or row-addressed noise) per member for every chunk.
  std::vector<std::unique_ptr<nn::HeldWeightSamples>> held;
  int64_t held_bytes = 0;
  for (size_t k = 0; k < members.size(); ++k) {
    held.push_back(std::make_unique<nn::HeldWeightSamples>(members[k], draws[k], n));
    held_bytes += members[k]->held_elements() * static_cast<int64_t>(rows_in.element_size());
  }
  if (n == 0) return;
  const int64_t rows = budget_chunk_rows(options, total_draws, widening * members.front()->widest_activation(), held_bytes);
  for (int64_t start = 0; start < n; start += rows) {
    const int64_t end = std::min(n, start + rows);
    auto chunk = rows_in.slice(0, start, end);
    std::vector<at::Tensor> outputs;
    for (size_t k = 0; k < members.size(); ++k) outputs.push_back(members[k]->forward_samples(chunk, draws[k], start));
    visit(outputs.size() == 1 ? outputs.front() : at::cat(outputs, 0), start);
    if (options.progress()) options.progress()(end, n);
  }
}

at::Tensor sample_outputs(std::vector<nn::Network>& members, const at::Tensor& x, const PredictOptions& options) {
  std::vector<at::Tensor> chunks;
  for_each_output_chunk(members, x, options, 1, [&](const at::Tensor& outputs, int64_t) { chunks.push_back(outputs); });
  if (!chunks.empty()) return at::cat(chunks, 1);
  int64_t draws = 0;
  for (auto& member : members) draws += draws_per_member(member, options.samples(), static_cast<int64_t>(members.size()));
  auto sizes = nn::batch_sizes(0, members.front()->output_shape());
  sizes.insert(sizes.begin(), draws);
  return at::empty(sizes, x.options());
}

}  // namespace credence::predict

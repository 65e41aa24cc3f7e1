// Chunked ensemble sampling of classifier outputs and probabilities.
#include "credence/predict/class_probability_samples.h"

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace credence::predict {

namespace {

void check(const std::vector<nn::Mlp>& members, const at::Tensor& x, const PredictOptions& options) {
  if (members.empty()) throw std::invalid_argument("predict: the model has no networks");
  if (options.samples() <= 0) throw std::invalid_argument("predict: the number of samples must be positive");
  if (x.dim() != 2) throw std::invalid_argument("predict: expected a [rows, features] input");
}

// Calls visit(start, end, chunk_outputs) with [D, rows, width] for every chunk of rows.
template <typename Visit>
void for_each_chunk(std::vector<nn::Mlp>& members, const at::Tensor& x, const PredictOptions& options,
                    int64_t widening, Visit visit) {
  at::NoGradGuard no_grad;
  const int64_t m = static_cast<int64_t>(members.size());
  int64_t most_draws = 1;
  for (auto& member : members) {
    member->eval();
    most_draws = std::max(most_draws, draws_per_member(member, options.samples(), m));
  }
  const int64_t rows = chunk_rows(members.front()->options, most_draws * m * widening, options.max_chunk_elements());
  const int64_t n = x.size(0);
  // One set of weight draws per member for every chunk.
  std::vector<std::unique_ptr<nn::HeldWeightSamples>> held;
  for (auto& member : members) {
    held.push_back(std::make_unique<nn::HeldWeightSamples>(member, draws_per_member(member, options.samples(), m), n));
  }
  for (int64_t start = 0; start < n; start += rows) {
    auto chunk = x.slice(0, start, std::min(n, start + rows));
    std::vector<at::Tensor> outputs;
    for (auto& member : members) {
      outputs.push_back(member->forward_samples(chunk, draws_per_member(member, options.samples(), m)));
    }
    visit(at::cat(outputs, 0));
  }
}

}  // namespace

int64_t draws_per_member(const nn::Mlp& member, int64_t samples, int64_t members) {
  if (!member->is_stochastic()) return 1;
  return std::max<int64_t>(1, (samples + members - 1) / members);
}

at::Tensor sample_ensemble_outputs(std::vector<nn::Mlp>& members, const at::Tensor& x, const PredictOptions& options) {
  check(members, x, options);
  std::vector<at::Tensor> chunks;
  for_each_chunk(members, x, options, 1, [&](const at::Tensor& outputs) { chunks.push_back(outputs); });
  if (chunks.empty()) return at::empty({1, 0, members.front()->options.output()}, x.options());
  return at::cat(chunks, 1);
}

at::Tensor sample_class_probabilities(std::vector<nn::Mlp>& members, const ClassifierHead& head, const at::Tensor& x,
                                      const PredictOptions& options, c10::optional<at::Generator> generator) {
  check(members, x, options);
  const bool noisy = head.likelihood == inference::ClassLikelihood::noisy_logits;
  std::vector<at::Tensor> chunks;
  for_each_chunk(members, x, options, noisy ? head.noise_samples : 1, [&](const at::Tensor& outputs) {
    chunks.push_back(
        inference::class_probabilities(head.likelihood, outputs, head.temperature, head.noise_samples, generator));
  });
  if (chunks.empty()) {
    const int64_t width = members.front()->options.output();
    return at::empty({1, 0, noisy ? width / 2 : width}, x.options());
  }
  return at::cat(chunks, 1);
}

}  // namespace credence::predict

// Global signal-to-noise ranking and removal of the weakest weights.
#include "credence/nn/snr_pruning.h"

#include "credence/nn/mean_field_layer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::nn {

namespace {

struct ParameterPair {
  PosteriorParameter parameter;
  size_t bayesian_layer;  // index into the report's layers
};

std::vector<ParameterPair> bayesian_parameters(const Network& net, std::vector<size_t>* layers = nullptr) {
  std::vector<ParameterPair> pairs;
  size_t count = 0;
  for (size_t i = 0; i < net->size(); ++i) {
    const auto* bayesian = dynamic_cast<const MeanFieldLayer*>(&net->layer(i));
    if (!bayesian) continue;
    for (const auto& p : bayesian->posterior_parameters()) pairs.push_back({p, count});
    if (layers) layers->push_back(i);
    ++count;
  }
  return pairs;
}

}  // namespace

void PruningReport::add(const PruningReport& other) {
  total += other.total;
  removed += other.removed;
  kept += other.kept;
  threshold = std::max(threshold, other.threshold);
  if (layers.empty()) layers = other.layers;
  kept_per_layer.resize(std::max(kept_per_layer.size(), other.kept_per_layer.size()), 0);
  for (size_t l = 0; l < other.kept_per_layer.size(); ++l) kept_per_layer[l] += other.kept_per_layer[l];
}

PruningReport prune_by_signal_to_noise(Network& net, double fraction) {
  if (!(fraction >= 0.0 && fraction <= 1.0)) throw std::invalid_argument("the pruning fraction must be in [0, 1]");
  PruningReport report;
  auto pairs = bayesian_parameters(net, &report.layers);
  if (pairs.empty()) {
    throw std::invalid_argument("pruning by signal-to-noise ratio needs a bbb network (this one is " + net->method() + ")");
  }
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> ratios;
  for (auto& p : pairs) {
    auto sigma = at::softplus(p.parameter.rho.to(at::kDouble));
    auto ratio = at::abs(p.parameter.mu.to(at::kDouble)) / sigma;
    // A weight already pruned (sigma 0, mu 0) ranks lowest.
    ratios.push_back(at::where(sigma > 0, ratio, at::zeros_like(ratio)).flatten());
  }
  auto all = at::cat(ratios);
  report.total = all.numel();
  report.removed = static_cast<int64_t>(std::llround(fraction * static_cast<double>(report.total)));
  report.kept = report.total - report.removed;
  report.kept_per_layer.assign(report.layers.size(), 0);
  auto mask = at::zeros({report.total}, at::kBool);
  if (report.removed > 0) {
    // A stable sort breaks ties by position, so exactly `removed` weights go.
    auto order = std::get<1>(at::sort(all, /*stable=*/true, /*dim=*/0, /*descending=*/false));
    auto removed_index = order.slice(0, 0, report.removed);
    report.threshold = all.index_select(0, removed_index).max().item<double>();
    mask.index_fill_(0, removed_index, true);
  }
  int64_t offset = 0;
  for (auto& p : pairs) {
    const int64_t count = p.parameter.mu.numel();
    auto pair_mask = mask.slice(0, offset, offset + count).view(p.parameter.mu.sizes());
    report.kept_per_layer[p.bayesian_layer] += count - pair_mask.sum().item<int64_t>();
    pair_mask = pair_mask.to(p.parameter.mu.device());
    p.parameter.mu.masked_fill_(pair_mask, 0.0);
    p.parameter.rho.masked_fill_(pair_mask, -std::numeric_limits<double>::infinity());
    offset += count;
  }
  net->refresh_removed_weights();
  return report;
}

int64_t count_pruned(const Network& net) {
  at::NoGradGuard no_grad;
  int64_t count = 0;
  for (auto& p : bayesian_parameters(net)) {
    count += ((p.parameter.mu == 0) & (at::softplus(p.parameter.rho) == 0)).sum().item<int64_t>();
  }
  return count;
}

}  // namespace credence::nn

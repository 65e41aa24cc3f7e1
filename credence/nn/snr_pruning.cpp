// Global signal-to-noise ranking and removal of the weakest weights.
#include "credence/nn/snr_pruning.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::nn {

namespace {

struct ParameterPair {
  at::Tensor mu, rho;
  size_t layer;  // index into net->bayes_layers
};

std::vector<ParameterPair> bayesian_parameters(const Mlp& net) {
  std::vector<ParameterPair> pairs;
  for (size_t l = 0; l < net->bayes_layers.size(); ++l) {
    const auto& layer = net->bayes_layers[l];
    pairs.push_back({layer->weight_mu, layer->weight_rho, l});
    if (layer->options.bias()) pairs.push_back({layer->bias_mu, layer->bias_rho, l});
  }
  return pairs;
}

}  // namespace

PruningReport prune_by_signal_to_noise(Mlp& net, double fraction) {
  if (net->options.method() != Method::bbb) {
    throw std::invalid_argument("pruning by signal-to-noise ratio needs a bbb network (this one is " +
                                to_string(net->options.method()) + ")");
  }
  if (!(fraction >= 0.0 && fraction <= 1.0)) throw std::invalid_argument("the pruning fraction must be in [0, 1]");
  at::NoGradGuard no_grad;
  auto pairs = bayesian_parameters(net);
  std::vector<at::Tensor> ratios;
  for (auto& p : pairs) {
    auto sigma = at::softplus(p.rho.to(at::kDouble));
    auto ratio = at::abs(p.mu.to(at::kDouble)) / sigma;
    // A weight already pruned (sigma 0, mu 0) ranks lowest.
    ratios.push_back(at::where(sigma > 0, ratio, at::zeros_like(ratio)).flatten());
  }
  auto all = at::cat(ratios);
  PruningReport report;
  report.total = all.numel();
  report.removed = static_cast<int64_t>(std::llround(fraction * static_cast<double>(report.total)));
  report.kept = report.total - report.removed;
  report.kept_per_layer.assign(net->bayes_layers.size(), 0);
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
    const int64_t count = p.mu.numel();
    auto pair_mask = mask.slice(0, offset, offset + count).view(p.mu.sizes());
    report.kept_per_layer[p.layer] += count - pair_mask.sum().item<int64_t>();
    pair_mask = pair_mask.to(p.mu.device());
    p.mu.masked_fill_(pair_mask, 0.0);
    p.rho.masked_fill_(pair_mask, -std::numeric_limits<double>::infinity());
    offset += count;
  }
  return report;
}

int64_t count_pruned(const Mlp& net) {
  at::NoGradGuard no_grad;
  int64_t count = 0;
  for (auto& p : bayesian_parameters(net)) {
    count += ((p.mu == 0) & (at::softplus(p.rho) == 0)).sum().item<int64_t>();
  }
  return count;
}

}  // namespace credence::nn

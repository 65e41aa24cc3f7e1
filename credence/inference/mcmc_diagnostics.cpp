// Split R-hat and effective sample size, computed in double on the CPU.
#include "credence/inference/mcmc_diagnostics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::inference {

namespace {

using Chains = std::vector<std::vector<double>>;

Chains to_chains(const at::Tensor& draws) {
  if (draws.dim() != 2) throw std::invalid_argument("mcmc diagnostics: expected draws [chains, n]");
  auto d = draws.to(at::kCPU, at::kDouble).contiguous();
  auto a = d.accessor<double, 2>();
  Chains chains(d.size(0), std::vector<double>(d.size(1)));
  for (int64_t c = 0; c < d.size(0); ++c) {
    for (int64_t i = 0; i < d.size(1); ++i) chains[c][i] = a[c][i];
  }
  return chains;
}

double mean_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// Within-chain variance W (n - 1 divisor, averaged) and B / n (variance of chain means, m - 1 divisor).
void within_between(const Chains& chains, double& within, double& between_over_n) {
  const size_t m = chains.size();
  std::vector<double> means(m);
  within = 0.0;
  for (size_t c = 0; c < m; ++c) {
    means[c] = mean_of(chains[c]);
    double ss = 0.0;
    for (double x : chains[c]) ss += (x - means[c]) * (x - means[c]);
    within += ss / static_cast<double>(chains[c].size() - 1);
  }
  within /= static_cast<double>(m);
  between_over_n = 0.0;
  if (m > 1) {
    const double grand = mean_of(means);
    for (double mu : means) between_over_n += (mu - grand) * (mu - grand);
    between_over_n /= static_cast<double>(m - 1);
  }
}

double r_hat_of(const Chains& chains) {
  double within = 0.0, between_over_n = 0.0;
  within_between(chains, within, between_over_n);
  const double n = static_cast<double>(chains.front().size());
  if (within <= 0.0) return between_over_n > 0.0 ? std::numeric_limits<double>::infinity() : 1.0;
  return std::sqrt(((n - 1.0) / n * within + between_over_n) / within);
}

double ess_of(const Chains& chains) {
  const size_t m = chains.size();
  const size_t n = chains.front().size();
  double within = 0.0, between_over_n = 0.0;
  within_between(chains, within, between_over_n);
  const double total = static_cast<double>(m * n);
  const double var_plus = within * (static_cast<double>(n) - 1.0) / static_cast<double>(n) + between_over_n;
  if (!(var_plus > 0.0)) return total;
  std::vector<double> means(m);
  for (size_t c = 0; c < m; ++c) means[c] = mean_of(chains[c]);
  // rho_t = 1 - (W - mean_c acov_c(t)) / var+, acov with the 1/n divisor.
  auto rho = [&](size_t t) {
    double acov = 0.0;
    for (size_t c = 0; c < m; ++c) {
      double s = 0.0;
      for (size_t i = 0; i + t < n; ++i) s += (chains[c][i] - means[c]) * (chains[c][i + t] - means[c]);
      acov += s / static_cast<double>(n);
    }
    acov /= static_cast<double>(m);
    return 1.0 - (within - acov) / var_plus;
  };
  double sum_pairs = 0.0;
  double previous = std::numeric_limits<double>::infinity();
  for (size_t t = 0; t + 1 < n; t += 2) {
    double pair = rho(t) + rho(t + 1);
    if (!(pair > 0.0)) break;
    pair = std::min(pair, previous);  // Geyer's monotone sequence
    sum_pairs += pair;
    previous = pair;
  }
  const double tau = std::max(-1.0 + 2.0 * sum_pairs, 1.0 / std::log10(total));
  return total / tau;
}

}  // namespace

double split_r_hat(const at::Tensor& draws) {
  auto chains = to_chains(draws);
  const size_t n = chains.front().size();
  if (n < 4) throw std::invalid_argument("split_r_hat: expected at least 4 draws per chain");
  const size_t half = n / 2;
  Chains halves;
  for (const auto& c : chains) {
    halves.emplace_back(c.begin(), c.begin() + half);
    halves.emplace_back(c.end() - half, c.end());
  }
  return r_hat_of(halves);
}

double effective_sample_size(const at::Tensor& draws) {
  auto chains = to_chains(draws);
  if (chains.front().size() < 4) throw std::invalid_argument("effective_sample_size: expected at least 4 draws per chain");
  return ess_of(chains);
}

std::vector<GroupDiagnostics> diagnose_groups(const at::Tensor& draws, const std::vector<ParameterGroup>& groups) {
  if (draws.dim() != 3) throw std::invalid_argument("diagnose_groups: expected draws [chains, n, D]");
  auto all = draws.to(at::kCPU, at::kDouble);
  std::vector<GroupDiagnostics> result;
  for (const auto& g : groups) {
    std::vector<double> r_hats, esses;
    for (int64_t k = g.offset; k < g.offset + g.size; ++k) {
      auto one = all.select(2, k);
      r_hats.push_back(split_r_hat(one));
      esses.push_back(effective_sample_size(one));
    }
    GroupDiagnostics d;
    d.name = g.name;
    d.size = g.size;
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      const size_t h = v.size() / 2;
      return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
    };
    d.max_r_hat = *std::max_element(r_hats.begin(), r_hats.end());
    d.median_r_hat = median(r_hats);
    d.min_ess = *std::min_element(esses.begin(), esses.end());
    d.median_ess = median(esses);
    result.push_back(d);
  }
  return result;
}

}  // namespace credence::inference

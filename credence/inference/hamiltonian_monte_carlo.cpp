// NUTS: the recursive doubling of Hoffman & Gelman (2014) with multinomial sampling of the
// trajectory (uniform within a subtree, biased towards the new half at the top; Betancourt 2017),
// their dual averaging of the step size, and Stan's windowed adaptation of a diagonal mass matrix.
#include "credence/inference/hamiltonian_monte_carlo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <vector>

namespace credence::inference {

void leapfrog(PhasePoint& point, double step, const at::Tensor& inverse_mass, const LogDensityWithGradient& log_density) {
  auto momentum = point.momentum + 0.5 * step * point.gradient;
  auto position = point.position + step * inverse_mass * momentum;
  at::Tensor gradient;
  const double logp = log_density(position, gradient);
  point.momentum = momentum + 0.5 * step * gradient;
  point.position = position;
  point.gradient = gradient;
  point.log_density = logp;
}

double hamiltonian(const PhasePoint& point, const at::Tensor& inverse_mass) {
  return -point.log_density + 0.5 * (point.momentum * point.momentum * inverse_mass).sum().item<double>();
}

namespace {

double log_add_exp(double a, double b) {
  if (a == -std::numeric_limits<double>::infinity()) return b;
  if (b == -std::numeric_limits<double>::infinity()) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

struct Subtree {
  PhasePoint minus, plus, proposal;
  double log_weight = -std::numeric_limits<double>::infinity();
  bool stop = false;  // a U-turn or a divergence inside: the caller discards the subtree
  bool divergent = false;
  double sum_accept = 0.0;
  int64_t leapfrog_steps = 0;
};

class Nuts {
 public:
  Nuts(const LogDensityWithGradient& log_density, const NutsOptions& options, at::Generator& generator)
      : log_density_(log_density), options_(options), generator_(generator) {}

  double uniform() { return at::rand({}, generator_, at::TensorOptions().dtype(at::kDouble)).item<double>(); }

  bool turning(const PhasePoint& minus, const PhasePoint& plus) const {
    auto span = plus.position - minus.position;
    return (span * inverse_mass * minus.momentum).sum().item<double>() < 0.0 ||
           (span * inverse_mass * plus.momentum).sum().item<double>() < 0.0;
  }

  Subtree build(const PhasePoint& start, int direction, int64_t depth, double step, double initial_energy) {
    Subtree tree;
    if (depth == 0) {
      PhasePoint point = start;
      leapfrog(point, direction * step, inverse_mass, log_density_);
      double energy = hamiltonian(point, inverse_mass);
      if (!std::isfinite(energy)) energy = std::numeric_limits<double>::infinity();
      tree.leapfrog_steps = 1;
      tree.log_weight = initial_energy - energy;
      tree.sum_accept = std::min(1.0, std::exp(initial_energy - energy));
      tree.divergent = energy - initial_energy > options_.divergence_threshold();
      tree.stop = tree.divergent;
      tree.minus = tree.plus = tree.proposal = point;
      return tree;
    }
    Subtree first = build(start, direction, depth - 1, step, initial_energy);
    if (first.stop) return first;
    Subtree second = build(direction > 0 ? first.plus : first.minus, direction, depth - 1, step, initial_energy);
    first.sum_accept += second.sum_accept;
    first.leapfrog_steps += second.leapfrog_steps;
    if (second.stop) {
      first.stop = true;
      first.divergent = second.divergent;
      return first;
    }
    const double log_weight = log_add_exp(first.log_weight, second.log_weight);
    if (std::log(uniform()) < second.log_weight - log_weight) first.proposal = second.proposal;
    first.log_weight = log_weight;
    if (direction > 0) first.plus = second.plus; else first.minus = second.minus;
    first.stop = turning(first.minus, first.plus);
    return first;
  }

  struct Transition {
    PhasePoint point;
    double accept = 0.0;
    bool divergent = false;
    int64_t depth = 0;
    int64_t leapfrog_steps = 0;
  };

  Transition transition(const PhasePoint& current, double step) {
    PhasePoint start = current;
    start.momentum = at::normal(0.0, 1.0, current.position.sizes(), generator_, current.position.options()) / at::sqrt(inverse_mass);
    const double initial_energy = hamiltonian(start, inverse_mass);
    PhasePoint minus = start, plus = start;
    Transition result;
    result.point = start;
    double log_weight = 0.0;
    double sum_accept = 0.0;
    for (int64_t depth = 0; depth < options_.max_tree_depth(); ++depth) {
      const int direction = uniform() < 0.5 ? -1 : 1;
      Subtree tree = build(direction > 0 ? plus : minus, direction, depth, step, initial_energy);
      sum_accept += tree.sum_accept;
      result.leapfrog_steps += tree.leapfrog_steps;
      result.depth = depth + 1;
      if (tree.stop) {
        result.divergent = tree.divergent;
        break;
      }
      // Biased progressive sampling: prefer the new half in proportion to its weight.
      if (std::log(uniform()) < tree.log_weight - log_weight) result.point = tree.proposal;
      log_weight = log_add_exp(log_weight, tree.log_weight);
      if (direction > 0) plus = tree.plus; else minus = tree.minus;
      if (turning(minus, plus)) break;
    }
    result.accept = result.leapfrog_steps > 0 ? sum_accept / static_cast<double>(result.leapfrog_steps) : 0.0;
    return result;
  }

  // Hoffman & Gelman's Algorithm 4: double or halve the step until one leapfrog's acceptance crosses 1/2.
  double reasonable_step(const PhasePoint& current, double step) {
    auto acceptance_log = [&](double eps) {
      PhasePoint p = current;
      p.momentum = at::normal(0.0, 1.0, current.position.sizes(), generator_, current.position.options()) / at::sqrt(inverse_mass);
      const double h0 = hamiltonian(p, inverse_mass);
      leapfrog(p, eps, inverse_mass, log_density_);
      ++gradient_evaluations;
      const double h = hamiltonian(p, inverse_mass);
      return std::isfinite(h) ? h0 - h : -std::numeric_limits<double>::infinity();
    };
    double log_accept = acceptance_log(step);
    const int a = log_accept > std::log(0.5) ? 1 : -1;
    for (int i = 0; i < 60; ++i) {
      if (!(a * log_accept > -a * std::log(2.0))) break;
      step *= std::pow(2.0, a);
      log_accept = acceptance_log(step);
    }
    return step;
  }

  at::Tensor inverse_mass;
  int64_t gradient_evaluations = 0;

 private:
  const LogDensityWithGradient& log_density_;
  const NutsOptions& options_;
  at::Generator& generator_;
};

// Dual averaging of log step size (Hoffman & Gelman 2014, section 3.2) with their constants.
struct DualAveraging {
  explicit DualAveraging(double step) { restart(step); }
  void restart(double step) {
    mu = std::log(10.0 * step);
    log_step = std::log(step);
    log_step_bar = 0.0;
    h_bar = 0.0;
    count = 0;
  }
  double update(double accept, double target) {
    ++count;
    const double m = static_cast<double>(count);
    h_bar = (1.0 - 1.0 / (m + t0)) * h_bar + (target - accept) / (m + t0);
    log_step = mu - std::sqrt(m) / gamma * h_bar;
    const double w = std::pow(m, -kappa);
    log_step_bar = w * log_step + (1.0 - w) * log_step_bar;
    return std::exp(log_step);
  }
  double final_step() const { return std::exp(log_step_bar); }
  double mu = 0.0, log_step = 0.0, log_step_bar = 0.0, h_bar = 0.0;
  int64_t count = 0;
  static constexpr double gamma = 0.05, t0 = 10.0, kappa = 0.75;
};

// Stan's warm-up windows: a fast first 15%, slow windows doubling in length (the last stretched to
// the end) for the mass matrix, and a fast last 10%. Returns the iterations at which a window ends.
std::vector<int64_t> mass_window_ends(int64_t warmup) {
  std::vector<int64_t> ends;
  if (warmup < 20) return ends;
  const int64_t start_buffer = std::max<int64_t>(1, warmup * 15 / 100);
  const int64_t end_buffer = std::max<int64_t>(1, warmup / 10);
  const int64_t slow_end = warmup - end_buffer;
  int64_t window = std::min<int64_t>(25, slow_end - start_buffer);
  int64_t begin = start_buffer;
  while (begin < slow_end) {
    int64_t end = begin + window;
    if (end + 2 * window > slow_end) end = slow_end;
    ends.push_back(end);
    begin = end;
    window *= 2;
  }
  return ends;
}

}  // namespace

NutsChain run_nuts_chain(const LogDensityWithGradient& log_density, const at::Tensor& initial, const NutsOptions& options,
                         at::Generator& generator) {
  if (options.draws() < 1) throw std::invalid_argument("--draws: expected at least one draw per chain");
  if (options.warmup() < 0) throw std::invalid_argument("--warmup: expected a non-negative number of iterations");
  if (options.max_tree_depth() < 1) throw std::invalid_argument("--max-tree-depth: expected at least 1");
  if (!(options.target_accept() > 0.0 && options.target_accept() < 1.0)) {
    throw std::invalid_argument("--target-accept: expected a value in (0, 1)");
  }
  const auto started = std::chrono::steady_clock::now();
  Nuts nuts(log_density, options, generator);
  nuts.inverse_mass = at::ones_like(initial, initial.options().dtype(at::kDouble));
  PhasePoint current;
  current.position = initial.to(at::kDouble).clone();
  current.log_density = log_density(current.position, current.gradient);
  ++nuts.gradient_evaluations;
  if (!std::isfinite(current.log_density)) throw std::runtime_error("hmc: the log density is not finite at the chain's start");

  double step = nuts.reasonable_step(current, 0.1);
  DualAveraging averaging(step);
  const auto window_ends = mass_window_ends(options.adapt_mass_matrix() ? options.warmup() : 0);
  const int64_t window_start_buffer = window_ends.empty() ? 0 : std::max<int64_t>(1, options.warmup() * 15 / 100);
  size_t next_window = 0;
  int64_t window_begin = window_start_buffer;
  at::Tensor window_sum = at::zeros_like(current.position), window_sum_squares = at::zeros_like(current.position);
  int64_t window_count = 0;

  NutsChain chain;
  chain.draws = at::empty({options.draws(), initial.numel()}, current.position.options());
  chain.log_densities = at::empty({options.draws()}, current.position.options());
  double accept_sum = 0.0, depth_sum = 0.0;
  const int64_t total = options.warmup() + options.draws();
  for (int64_t iteration = 0; iteration < total; ++iteration) {
    const bool warming = iteration < options.warmup();
    auto t = nuts.transition(current, step);
    nuts.gradient_evaluations += t.leapfrog_steps;
    current = t.point;
    if (warming) {
      if (t.divergent) ++chain.warmup_divergent;
      step = averaging.update(t.accept, options.target_accept());
      if (next_window < window_ends.size() && iteration >= window_begin) {
        window_sum += current.position;
        window_sum_squares += current.position * current.position;
        ++window_count;
        if (iteration + 1 == window_ends[next_window]) {
          // Stan's regularised variance estimate, shrunk towards 1e-3.
          const double n = static_cast<double>(window_count);
          auto mean = window_sum / n;
          auto variance = (window_sum_squares / n - mean * mean) * (n / std::max(n - 1.0, 1.0));
          variance = (n / (n + 5.0)) * variance.clamp_min(0.0) + 1e-3 * (5.0 / (n + 5.0));
          nuts.inverse_mass = variance;
          window_sum.zero_();
          window_sum_squares.zero_();
          window_count = 0;
          window_begin = iteration + 1;
          ++next_window;
          step = nuts.reasonable_step(current, step);
          averaging.restart(step);
        }
      }
      if (iteration + 1 == options.warmup()) step = averaging.final_step();
    } else {
      const int64_t k = iteration - options.warmup();
      chain.draws[k].copy_(current.position);
      chain.log_densities[k] = current.log_density;
      if (t.divergent) ++chain.divergent;
      if (!t.divergent && t.depth == options.max_tree_depth()) ++chain.max_depth_hits;
      accept_sum += t.accept;
      depth_sum += static_cast<double>(t.depth);
    }
    if (options.progress() && (iteration + 1) % std::max<int64_t>(1, total / 10) == 0) {
      *options.progress() << "  iteration " << (iteration + 1) << "/" << total << (warming ? " (warm-up)" : "")
                          << ", step " << step << ", tree depth " << t.depth << "\n";
    }
  }
  chain.step_size = step;
  chain.mean_accept = accept_sum / static_cast<double>(options.draws());
  chain.mean_tree_depth = depth_sum / static_cast<double>(options.draws());
  chain.inverse_mass = nuts.inverse_mass;
  chain.gradient_evaluations = nuts.gradient_evaluations;
  chain.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return chain;
}

}  // namespace credence::inference

#include <sstream>

namespace credence::inference {

void check_hmc_options(const HmcOptions& options, int64_t parameters) {
  if (options.chains() < 1) throw std::invalid_argument("--chains: expected at least one chain, got " + std::to_string(options.chains()));
  if (options.nuts().draws() < 1) throw std::invalid_argument("--draws: expected at least one draw per chain, got " + std::to_string(options.nuts().draws()));
  if (options.nuts().warmup() < 0) throw std::invalid_argument("--warmup: expected a non-negative number of iterations");
  if (options.nuts().max_tree_depth() < 1 || options.nuts().max_tree_depth() > 20) {
    throw std::invalid_argument("--max-tree-depth: expected a depth from 1 to 20, got " + std::to_string(options.nuts().max_tree_depth()));
  }
  if (options.stored_samples() < 1) throw std::invalid_argument("--stored-samples: expected at least one stored sample");
  if (parameters > options.max_parameters()) {
    throw std::invalid_argument("--method hmc: the network has " + std::to_string(parameters) +
                                " sampled parameters, more than the limit of " + std::to_string(options.max_parameters()) +
                                " for full-batch HMC (use a smaller --hidden, or sgld, sghmc, svgd)");
  }
}

at::Tensor maximise_log_density(NetworkLogDensity& density, at::Tensor position, int64_t steps, double learning_rate,
                                at::Generator& generator, int64_t batch_size) {
  position = position.to(at::kDouble).clone();
  auto first = at::zeros_like(position), second = at::zeros_like(position);
  const double beta1 = 0.9, beta2 = 0.999;
  const int64_t n = density.rows();
  at::Tensor order;
  int64_t cursor = n;
  for (int64_t k = 1; k <= steps; ++k) {
    at::Tensor rows;
    if (batch_size > 0 && batch_size < n) {
      if (cursor + batch_size > n) {
        order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
        cursor = 0;
      }
      rows = order.slice(0, cursor, cursor + batch_size);
      cursor += batch_size;
    }
    at::Tensor gradient;
    const double logp = density.log_density_and_gradient(position, gradient, rows);
    if (!std::isfinite(logp)) throw std::runtime_error("the log density became non-finite in the chains' initial training");
    auto g = -gradient;
    first.mul_(beta1).add_(g, 1.0 - beta1);
    second.mul_(beta2).addcmul_(g, g, 1.0 - beta2);
    const double correction1 = 1.0 - std::pow(beta1, static_cast<double>(k));
    const double correction2 = 1.0 - std::pow(beta2, static_cast<double>(k));
    position -= learning_rate * (first / correction1) / (at::sqrt(second / correction2) + 1e-8);
  }
  return position;
}

HmcResult sample_network_posterior(NetworkLogDensity& density, const at::Tensor& initial_positions, const HmcOptions& options,
                                   at::Generator& generator) {
  check_hmc_options(options, density.dimension());
  if (initial_positions.dim() != 2 || initial_positions.size(0) != options.chains() ||
      initial_positions.size(1) != density.dimension()) {
    throw std::invalid_argument("sample_network_posterior: expected initial positions [chains, D]");
  }
  const auto started = std::chrono::steady_clock::now();
  HmcResult result;
  LogDensityWithGradient f = [&density](const at::Tensor& q, at::Tensor& g) { return density.log_density_and_gradient(q, g); };
  std::vector<at::Tensor> draws;
  for (int64_t c = 0; c < options.chains(); ++c) {
    if (options.nuts().progress()) *options.nuts().progress() << "hmc chain " << (c + 1) << "/" << options.chains() << "\n";
    auto start = initial_positions[c].to(at::kDouble);
    if (options.initial_training_steps() > 0) {
      start = maximise_log_density(density, start, options.initial_training_steps(), options.initial_learning_rate(), generator);
      result.gradient_evaluations += options.initial_training_steps();
    }
    result.chains.push_back(run_nuts_chain(f, start, options.nuts(), generator));
    const auto& chain = result.chains.back();
    result.divergent += chain.divergent;
    result.gradient_evaluations += chain.gradient_evaluations;
    draws.push_back(chain.draws);
  }
  result.draws = at::stack(draws);
  const int64_t n = options.nuts().draws();
  if (n >= 4) {
    result.diagnostics = diagnose_groups(result.draws, density.groups());
    // Function space: the network's mean output on every training row, per draw (weight-space R-hat
    // is inflated by the network's symmetries even when the predictions agree; Izmailov et al. 2021).
    std::vector<at::Tensor> outputs;
    auto flat = result.draws.reshape({-1, density.dimension()});
    for (int64_t k = 0; k < flat.size(0); ++k) outputs.push_back(density.outputs(flat[k]).reshape({density.rows(), -1}).select(1, 0));
    auto by_chain = at::stack(outputs).reshape({options.chains(), n, density.rows()});
    auto g = diagnose_groups(by_chain, {{"outputs (function space)", 0, density.rows()}});
    result.diagnostics.push_back(g.front());
  }
  const int64_t transitions = options.chains() * n;
  for (const auto& d : result.diagnostics) {
    if (d.max_r_hat > 1.1) {
      std::ostringstream w;
      w.precision(3);
      w << "warning: hmc: R-hat " << d.max_r_hat << " above 1.1 in " << d.name << ": the chains disagree there";
      result.warnings.push_back(w.str());
    }
  }
  if (result.divergent > 0) {
    result.warnings.push_back("warning: hmc: " + std::to_string(result.divergent) + " of " + std::to_string(transitions) +
                              " transitions after warm-up diverged (their draws are kept; a higher --target-accept lowers the step)");
  }
  int64_t depth_hits = 0;
  for (const auto& c : result.chains) depth_hits += c.max_depth_hits;
  if (depth_hits > 0) {
    result.warnings.push_back("warning: hmc: " + std::to_string(depth_hits) + " of " + std::to_string(transitions) +
                              " transitions stopped at --max-tree-depth " + std::to_string(options.nuts().max_tree_depth()));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (static_cast<double>(result.divergent) > options.max_divergent_fraction() * static_cast<double>(transitions)) {
    throw std::runtime_error("--method hmc: " + std::to_string(result.divergent) + " of " + std::to_string(transitions) +
                             " transitions after warm-up diverged, more than " +
                             std::to_string(static_cast<int>(100 * options.max_divergent_fraction())) +
                             "%: the posterior is not explored (raise --target-accept or --warmup)");
  }
  return result;
}

std::string HmcResult::report() const {
  std::ostringstream out;
  out.precision(4);
  out << "hmc: " << chains.size() << " chains, " << (draws.defined() ? draws.size(1) : 0) << " draws each, "
      << gradient_evaluations << " gradient evaluations in " << seconds << " s ("
      << (seconds > 0 ? static_cast<double>(gradient_evaluations) / seconds : 0.0) << " per second)\n";
  for (size_t c = 0; c < chains.size(); ++c) {
    const auto& k = chains[c];
    out << "  chain " << (c + 1) << ": step " << k.step_size << ", mean accept " << k.mean_accept << ", mean tree depth "
        << k.mean_tree_depth << ", divergent " << k.divergent << " (warm-up " << k.warmup_divergent << ")\n";
  }
  out << "  group                          size   max R-hat  median R-hat   min ESS  median ESS\n";
  for (const auto& d : diagnostics) {
    std::string name = d.name;
    name.resize(std::max<size_t>(name.size(), 30), ' ');
    out << "  " << name << " " << d.size << "   " << d.max_r_hat << "   " << d.median_r_hat << "   " << d.min_ess << "   "
        << d.median_ess << "\n";
  }
  if (!diagnostics.empty() && seconds > 0) {
    double worst = 1e300;
    for (size_t k = 0; k + 1 < diagnostics.size(); ++k) worst = std::min(worst, diagnostics[k].min_ess);
    out << "  effective samples per second: " << worst / seconds << " (the worst weight), "
        << diagnostics.back().median_ess / seconds << " (median function-space output)\n";
  }
  for (const auto& w : warnings) out << w << "\n";
  return out.str();
}

}  // namespace credence::inference

// Projected L-BFGS with box bounds.
#include "credence/classical/bounded_lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>

namespace credence::classical {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double max_abs(const std::vector<double>& a) {
  double m = 0.0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

struct Pair {
  std::vector<double> s, y;
  double rho;
};

}  // namespace

BoundedLbfgsResult minimise_bounded_lbfgs(const BoundedObjective& objective, std::vector<double> x,
                                          const std::vector<double>& lower, const std::vector<double>& upper,
                                          const BoundedLbfgsOptions& options) {
  const size_t n = x.size();
  if (lower.size() != n || upper.size() != n) throw std::invalid_argument("lbfgs: bounds and start differ in size");
  for (size_t i = 0; i < n; ++i) {
    if (!(lower[i] <= upper[i])) throw std::invalid_argument("lbfgs: a lower bound exceeds its upper bound");
    x[i] = std::clamp(x[i], lower[i], upper[i]);
  }
  BoundedLbfgsResult result;
  std::vector<double> g(n, 0.0);
  double f = objective(x, g);
  result.evaluations = 1;
  if (!std::isfinite(f)) throw std::invalid_argument("lbfgs: the objective is not finite at the starting point");

  std::deque<Pair> memory;
  std::vector<double> direction(n), trial(n), trial_gradient(n), q(n);
  std::vector<double> alphas;
  auto project = [&](size_t i, double v) { return std::clamp(v, lower[i], upper[i]); };
  // Variables held at a bound this step: at the bound with the gradient pushing outwards.
  auto held = [&](size_t i) { return (x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0); };

  for (result.iterations = 0; result.iterations < options.max_iter();) {
    double projected = 0.0;
    for (size_t i = 0; i < n; ++i) projected = std::max(projected, std::abs(project(i, x[i] - g[i]) - x[i]));
    if (projected <= options.gradient_tolerance()) {
      result.converged = true;
      result.stop_reason = "projected gradient below tolerance";
      break;
    }
    // Two-loop recursion on the free variables.
    for (size_t i = 0; i < n; ++i) q[i] = held(i) ? 0.0 : g[i];
    alphas.assign(memory.size(), 0.0);
    for (size_t k = memory.size(); k-- > 0;) {
      alphas[k] = memory[k].rho * dot(memory[k].s, q);
      for (size_t i = 0; i < n; ++i) q[i] -= alphas[k] * memory[k].y[i];
    }
    if (!memory.empty()) {
      const auto& last = memory.back();
      const double gamma = dot(last.s, last.y) / dot(last.y, last.y);
      for (auto& v : q) v *= gamma;
    }
    for (size_t k = 0; k < memory.size(); ++k) {
      const double beta = memory[k].rho * dot(memory[k].y, q);
      for (size_t i = 0; i < n; ++i) q[i] += (alphas[k] - beta) * memory[k].s[i];
    }
    for (size_t i = 0; i < n; ++i) direction[i] = held(i) ? 0.0 : -q[i];
    double slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (the curvature pairs disagree with the bounds): steepest descent.
      memory.clear();
      for (size_t i = 0; i < n; ++i) direction[i] = held(i) ? 0.0 : -g[i];
      slope = dot(g, direction);
    }
    // First step: scaled to a unit move, as scipy does, since the gradient's scale is unknown.
    double step = memory.empty() ? std::min(1.0, 1.0 / std::max(max_abs(direction), 1e-300)) : 1.0;
    bool accepted = false;
    double f_trial = 0.0;
    for (int64_t trial_count = 0; trial_count < options.max_line_search(); ++trial_count) {
      for (size_t i = 0; i < n; ++i) trial[i] = project(i, x[i] + step * direction[i]);
      f_trial = objective(trial, trial_gradient);
      ++result.evaluations;
      double decrease = 0.0;
      for (size_t i = 0; i < n; ++i) decrease += g[i] * (trial[i] - x[i]);
      if (std::isfinite(f_trial) && f_trial <= f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      if (!memory.empty()) {
        memory.clear();  // retry once along the steepest descent before giving up
        continue;
      }
      result.stop_reason = "line search found no decrease";
      break;
    }
    ++result.iterations;
    Pair pair{std::vector<double>(n), std::vector<double>(n), 0.0};
    for (size_t i = 0; i < n; ++i) {
      pair.s[i] = trial[i] - x[i];
      pair.y[i] = trial_gradient[i] - g[i];
    }
    const double sy = dot(pair.s, pair.y);
    // Keep only pairs of positive curvature, so that the implicit inverse Hessian stays positive definite.
    if (sy > 1e-10 * dot(pair.y, pair.y)) {
      pair.rho = 1.0 / sy;
      memory.push_back(std::move(pair));
      if (static_cast<int64_t>(memory.size()) > options.history()) memory.pop_front();
    }
    const double f_old = f;
    x = trial;
    g = trial_gradient;
    f = f_trial;
    if ((f_old - f) / std::max({std::abs(f_old), std::abs(f), 1.0}) <= options.function_tolerance()) {
      result.converged = true;
      result.stop_reason = "relative reduction below tolerance";
      break;
    }
  }
  if (result.stop_reason.empty()) result.stop_reason = "iteration limit";
  result.x = x;
  result.value = f;
  result.gradient = g;
  return result;
}

}  // namespace credence::classical

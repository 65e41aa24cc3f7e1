// Projected L-BFGS with box bounds and a strong Wolfe line search.
#include "credence/classical/bounded_lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
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

// The minimiser of the cubic through (t1, f1, g1) and (t2, f2, g2), kept inside [lo, hi]
// (bisection when the cubic has no real minimiser) (Nocedal & Wright 3.59).
double cubic_minimiser(double t1, double f1, double g1, double t2, double f2, double g2, double lo, double hi) {
  const double d1 = g1 + g2 - 3.0 * (f1 - f2) / (t1 - t2);
  const double square = d1 * d1 - g1 * g2;
  if (square >= 0 && std::isfinite(square)) {
    const double d2 = std::copysign(std::sqrt(square), t2 - t1);
    const double t = t2 - (t2 - t1) * (g2 + d2 - d1) / (g2 - g1 + 2.0 * d2);
    if (std::isfinite(t)) return std::clamp(t, lo, hi);
  }
  return 0.5 * (lo + hi);
}

// One point of the line x + t d: its value, gradient and slope g . d.
struct LinePoint {
  double t = 0.0, f = 0.0, slope = 0.0;
  std::vector<double> x, g;
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
  std::vector<double> direction(n), q(n), alphas;
  auto project = [&](size_t i, double v) { return std::clamp(v, lower[i], upper[i]); };
  auto evaluate = [&](double t) {
    LinePoint p;
    p.t = t;
    p.x.resize(n);
    p.g.assign(n, 0.0);
    for (size_t i = 0; i < n; ++i) p.x[i] = project(i, x[i] + t * direction[i]);
    p.f = objective(p.x, p.g);
    ++result.evaluations;
    p.slope = dot(p.g, direction);
    return p;
  };

  while (result.iterations < options.max_iter()) {
    double projected = 0.0;
    for (size_t i = 0; i < n; ++i) projected = std::max(projected, std::abs(project(i, x[i] - g[i]) - x[i]));
    if (projected <= options.gradient_tolerance()) {
      result.converged = true;
      result.stop_reason = "projected gradient below tolerance";
      break;
    }
    // Variables on a bound that the gradient pushes outwards stay there for this step.
    std::vector<bool> held(n);
    for (size_t i = 0; i < n; ++i) held[i] = (x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0);
    // Two-loop recursion on the free variables.
    for (size_t i = 0; i < n; ++i) q[i] = held[i] ? 0.0 : g[i];
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
    // A free variable on a bound may not be asked to cross it either.
    for (size_t i = 0; i < n; ++i) {
      direction[i] = held[i] ? 0.0 : -q[i];
      if ((x[i] <= lower[i] && direction[i] < 0) || (x[i] >= upper[i] && direction[i] > 0)) direction[i] = 0.0;
    }
    double slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (the curvature pairs disagree with the bounds): steepest descent.
      memory.clear();
      for (size_t i = 0; i < n; ++i) direction[i] = held[i] ? 0.0 : -g[i];
      slope = dot(g, direction);
      if (!(slope < 0)) {
        result.converged = true;
        result.stop_reason = "no descent direction inside the bounds";
        break;
      }
    }
    // The longest step that stays in the box along the direction.
    double t_max = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n; ++i) {
      if (direction[i] > 0) t_max = std::min(t_max, (upper[i] - x[i]) / direction[i]);
      if (direction[i] < 0) t_max = std::min(t_max, (lower[i] - x[i]) / direction[i]);
    }
    // First step: a unit move, as scipy does, since the gradient's scale is unknown.
    const double first = memory.empty() ? std::min(1.0, 1.0 / std::max(max_abs(direction), 1e-300)) : 1.0;

    // Strong Wolfe line search (Nocedal & Wright algorithms 3.5 and 3.6) on t in (0, t_max];
    // a non-finite value counts as too far. A step to the box's edge with sufficient decrease is accepted.
    const double c1 = 1e-4, c2 = 0.9;
    LinePoint previous;
    previous.t = 0.0;
    previous.f = f;
    previous.slope = slope;
    LinePoint accepted;
    bool found = false;
    int64_t trials = 0;
    auto sufficient = [&](const LinePoint& p) { return std::isfinite(p.f) && p.f <= f + c1 * p.t * slope; };
    auto zoom = [&](LinePoint lo, LinePoint hi) {
      while (trials < options.max_line_search()) {
        const double a = std::min(lo.t, hi.t), b = std::max(lo.t, hi.t);
        double t = std::isfinite(hi.f) ? cubic_minimiser(lo.t, lo.f, lo.slope, hi.t, hi.f, hi.slope, a + 0.1 * (b - a), b - 0.1 * (b - a))
                                       : 0.5 * (lo.t + hi.t);
        auto p = evaluate(t);
        ++trials;
        if (!sufficient(p) || p.f >= lo.f) {
          hi = std::move(p);
        } else {
          if (std::abs(p.slope) <= -c2 * slope) {
            accepted = std::move(p);
            found = true;
            return;
          }
          if (p.slope * (hi.t - lo.t) >= 0) hi = lo;
          lo = std::move(p);
        }
        if (std::abs(hi.t - lo.t) < 1e-12 * std::max(1.0, lo.t)) break;
      }
      // Out of trials: the best point with sufficient decrease, if any.
      if (lo.t > 0) {
        accepted = std::move(lo);
        found = true;
      }
    };
    double t = std::min(first, t_max);
    while (trials < options.max_line_search()) {
      auto p = evaluate(t);
      ++trials;
      if (!sufficient(p) || (trials > 1 && p.f >= previous.f)) {
        zoom(previous, std::move(p));
        break;
      }
      if (std::abs(p.slope) <= -c2 * slope) {
        accepted = std::move(p);
        found = true;
        break;
      }
      if (p.slope >= 0) {
        zoom(std::move(p), previous);
        break;
      }
      if (t >= t_max) {
        accepted = std::move(p);  // at the edge of the box, still going down
        found = true;
        break;
      }
      const double next = std::min(t_max, cubic_minimiser(previous.t, previous.f, previous.slope, p.t, p.f, p.slope, 2.0 * t, 10.0 * t));
      previous = std::move(p);
      t = next;
    }
    if (!found) {
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
      pair.s[i] = accepted.x[i] - x[i];
      pair.y[i] = accepted.g[i] - g[i];
    }
    const double sy = dot(pair.s, pair.y);
    // Keep only pairs of positive curvature, so that the implicit inverse Hessian stays positive definite.
    if (sy > 1e-10 * dot(pair.y, pair.y)) {
      pair.rho = 1.0 / sy;
      memory.push_back(std::move(pair));
      if (static_cast<int64_t>(memory.size()) > options.history()) memory.pop_front();
    }
    const double f_old = f;
    x = std::move(accepted.x);
    g = std::move(accepted.g);
    f = accepted.f;
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

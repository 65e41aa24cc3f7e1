// Exact Gaussian process regression.
//
// Every likelihood evaluation costs one Cholesky factorisation (n^3 / 3) and, for the
// gradient, the inverse from that factor (LAPACK potri, 2 n^3 / 3; scikit-learn solves against
// the identity, 2 n^3); the kernel's derivative enters only through the contraction
// sum_ij W_ij dK_ij / dtheta, which the kernel computes in closed form without forming the
// [n, n, p] tensor of derivatives.
#include "credence/classical/gaussian_process.h"

#include "credence/core/gaussian.h"

#include "credence/classical/bounded_lbfgs.h"
#include "credence/classical/validation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace credence::classical {

namespace {

using core::kLog2Pi;

std::string format_short(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  return buffer;
}

bool bounded(double lower, double upper) { return lower > 0 && std::isfinite(upper); }

}  // namespace

CholeskyFactor cholesky_with_jitter(const at::Tensor& matrix, double max_relative_jitter) {
  const auto k = matrix.detach();
  const int64_t n = k.size(0);
  auto [factor, info] = at::linalg_cholesky_ex(k);
  if (info.item<int64_t>() == 0) return {factor, 0.0};
  const double mean_diagonal = k.diagonal().mean().item<double>();
  std::string tried = "0";
  const auto identity = at::eye(n, k.options());
  for (double relative = 1e-10; relative <= max_relative_jitter * (1 + 1e-9); relative *= 10.0) {
    const double jitter = relative * std::abs(mean_diagonal);
    std::tie(factor, info) = at::linalg_cholesky_ex(k + jitter * identity);
    tried += ", " + format_short(relative);
    if (info.item<int64_t>() == 0 && std::isfinite(jitter)) return {factor, jitter};
  }
  throw NotPositiveDefinite("the kernel matrix is not positive definite, even with a jitter of " + format_short(max_relative_jitter) +
                            " times its mean diagonal added (tried " + tried + "); add white noise to the kernel or remove duplicate rows");
}

LogMarginalLikelihood log_marginal_likelihood(const Kernel& kernel, const at::Tensor& x, const at::Tensor& y, bool with_gradient,
                                              double max_relative_jitter) {
  const int64_t n = x.size(0);
  const auto k = kernel.gram(x);
  const auto factor = cholesky_with_jitter(k, max_relative_jitter);
  const auto& l = factor.factor;
  const auto targets = y.reshape({n, 1});
  const auto weights = at::cholesky_solve(targets, l);  // K^-1 y
  LogMarginalLikelihood result;
  result.jitter = factor.jitter;
  result.value = -0.5 * targets.mul(weights).sum().item<double>() - l.diagonal().log().sum().item<double>() -
                 0.5 * static_cast<double>(n) * kLog2Pi;
  if (with_gradient) {
    // W = (a a^T - K^-1) / 2, built in place over the inverse to hold one n x n buffer.
    auto w = at::cholesky_inverse(l);
    const auto a = weights.reshape({n});
    w.neg_().addr_(a, a).mul_(0.5);
    result.gradient = kernel.gram_gradient_contraction(x, w);
  }
  return result;
}

std::vector<std::string> parameters_at_bounds(const Kernel& kernel, double lower, double upper) {
  std::vector<std::string> found;
  if (!bounded(lower, upper)) return found;
  const auto values = kernel.free_log_parameters();
  const auto names = kernel.free_parameter_names();
  for (int64_t i = 0; i < values.size(0); ++i) {
    const double v = values[i].item<double>();
    if (v <= std::log(lower) + 1e-8) found.push_back(names[i] + " at its lower bound " + format_short(lower));
    if (v >= std::log(upper) - 1e-8) found.push_back(names[i] + " at its upper bound " + format_short(upper));
  }
  return found;
}

GaussianProcessRegression GaussianProcessRegression::posterior(const Kernel& kernel, const at::Tensor& train_inputs,
                                                               const at::Tensor& train_targets, double jitter,
                                                               const ColumnScaling& input_scaling,
                                                               const ColumnScaling& target_scaling) {
  GaussianProcessRegression model;
  model.kernel = kernel;
  model.train_inputs = train_inputs.to(at::kDouble).contiguous();
  model.train_targets = train_targets.to(at::kDouble).reshape({-1}).contiguous();
  model.input_scaling = input_scaling;
  model.target_scaling = target_scaling;
  model.jitter = jitter;
  const int64_t n = model.train_inputs.size(0);
  auto k = kernel.gram(model.train_inputs);
  if (jitter > 0) k.diagonal().add_(jitter);
  auto [factor, info] = at::linalg_cholesky_ex(k);
  if (info.item<int64_t>() != 0) {
    throw NotPositiveDefinite("the kernel matrix is not positive definite with the stored jitter " + format_short(jitter));
  }
  model.cholesky = factor;
  model.weights = at::cholesky_solve(model.train_targets.reshape({n, 1}), factor).reshape({n});
  model.log_marginal_likelihood = -0.5 * model.train_targets.dot(model.weights).item<double>() -
                                  factor.diagonal().log().sum().item<double>() - 0.5 * static_cast<double>(n) * kLog2Pi;
  return model;
}

GaussianProcessRegression GaussianProcessRegression::fit(const at::Tensor& x_in, const at::Tensor& y_in, const Kernel& kernel_in,
                                                         const GaussianProcessOptions& options, at::Generator& generator) {
  auto x = checked_matrix(x_in, 1, "gp");
  if (!y_in.defined() || y_in.numel() != x.size(0)) {
    throw std::invalid_argument("gp: expected one target per row (" + std::to_string(x.size(0)) + ")");
  }
  auto y = y_in.to(at::kDouble).reshape({-1}).contiguous();
  if (!at::isfinite(y).all().item<bool>()) throw std::invalid_argument("gp: the target contains NaN or infinity");
  if (options.max_iter() < 0 || options.restarts() < 0) throw std::invalid_argument("gp: max_iter and restarts must be non-negative");
  const bool has_bounds = bounded(options.lower_bound(), options.upper_bound());
  if (has_bounds && !(options.lower_bound() < options.upper_bound())) throw std::invalid_argument("gp: the lower bound must lie below the upper bound");

  const auto input_scaling = options.normalise_inputs() ? ColumnScaling::fit(x) : ColumnScaling::identity(x.size(1));
  ColumnScaling target_scaling = ColumnScaling::identity(1);
  if (options.normalise_target()) {
    if ((y == y[0]).all().item<bool>()) throw std::invalid_argument("gp: the target is constant");
    target_scaling = ColumnScaling::fit(y);
  }
  const auto inputs = input_scaling.apply(x).contiguous();
  const auto targets = target_scaling.apply(y).contiguous();
  Kernel kernel = kernel_in.bound_to(x.size(1));
  const int64_t p = kernel.n_free_parameters();

  int64_t iterations = 0, evaluations = 0;
  bool converged = true;
  std::vector<double> start_values;
  if (options.optimise() && p > 0) {
    const double lo = has_bounds ? std::log(options.lower_bound()) : -std::numeric_limits<double>::infinity();
    const double hi = has_bounds ? std::log(options.upper_bound()) : std::numeric_limits<double>::infinity();
    const std::vector<double> lower(p, lo), upper(p, hi);
    const auto names = kernel.free_parameter_names();
    auto objective = [&](const std::vector<double>& theta, std::vector<double>& gradient) {
      try {
        const auto candidate = kernel.with_free_log_parameters(at::tensor(theta, at::TensorOptions().dtype(at::kDouble)));
        const auto lml = classical::log_marginal_likelihood(candidate, inputs, targets, true, options.max_jitter());
        const auto g = lml.gradient.contiguous();
        gradient.assign(g.data_ptr<double>(), g.data_ptr<double>() + p);
        for (auto& v : gradient) v = -v;
        bool finite = std::isfinite(lml.value);
        for (double v : gradient) finite = finite && std::isfinite(v);
        return finite ? -lml.value : std::numeric_limits<double>::infinity();
      } catch (const NotPositiveDefinite&) {
        // Outside the numerical domain: the line search steps back, as scikit-learn's -inf does.
        return std::numeric_limits<double>::infinity();
      }
    };
    const auto given = kernel.free_log_parameters();
    std::vector<std::vector<double>> starts{std::vector<double>(given.data_ptr<double>(), given.data_ptr<double>() + p)};
    for (int64_t r = 0; r < options.restarts(); ++r) {
      const auto u = at::rand({p}, generator, at::TensorOptions().dtype(at::kDouble));
      std::vector<double> start(p);
      for (int64_t i = 0; i < p; ++i) {
        const double a = has_bounds ? lo : starts[0][i] - 5.0;
        const double b = has_bounds ? hi : starts[0][i] + 5.0;
        start[i] = a + (b - a) * u[i].item<double>();
      }
      starts.push_back(start);
    }
    const auto lbfgs = BoundedLbfgsOptions().max_iter(options.max_iter());
    double best = std::numeric_limits<double>::infinity();
    std::vector<double> best_theta;
    for (const auto& start : starts) {
      BoundedLbfgsResult result;
      try {
        result = minimise_bounded_lbfgs(objective, start, lower, upper, lbfgs);
      } catch (const std::invalid_argument&) {
        start_values.push_back(std::numeric_limits<double>::quiet_NaN());  // not finite at this start
        continue;
      }
      iterations += result.iterations;
      evaluations += result.evaluations;
      start_values.push_back(-result.value);
      if (result.value < best) {
        best = result.value;
        best_theta = result.x;
        converged = result.converged;
      }
    }
    if (best_theta.empty()) {
      // No start was finite: report the given start's failure in full.
      classical::log_marginal_likelihood(kernel, inputs, targets, false, options.max_jitter());
      throw NotPositiveDefinite("gp: the log marginal likelihood is not finite at any start");
    }
    if (!has_bounds) {
      const double limit = std::log(options.divergence_limit());
      for (int64_t i = 0; i < p; ++i) {
        if (std::abs(best_theta[i]) > limit) {
          throw HyperparameterDiverged("gp: hyper-parameter " + names[i] + " ran to " + (best_theta[i] > 0 ? "infinity" : "zero") +
                                       " (" + format_short(std::exp(best_theta[i])) + " after " + std::to_string(iterations) +
                                       " L-BFGS iterations): the data does not bound it; fix it in the kernel or set bounds");
        }
      }
    }
    kernel = kernel.with_free_log_parameters(at::tensor(best_theta, at::TensorOptions().dtype(at::kDouble)));
  }
  const auto factor = cholesky_with_jitter(kernel.gram(inputs), options.max_jitter());
  auto model = posterior(kernel, inputs, targets, factor.jitter, input_scaling, target_scaling);
  model.n_iter = iterations;
  model.n_evaluations = evaluations;
  model.converged = converged;
  model.start_log_marginal_likelihoods = start_values;
  check_finite_result(model.weights, "gp");
  return model;
}

double GaussianProcessRegression::log_marginal_likelihood_original_units() const {
  return log_marginal_likelihood - static_cast<double>(train_inputs.size(0)) * std::log(target_scaling.scale[0].item<double>());
}

RegressionPrediction GaussianProcessRegression::predict(const at::Tensor& x_in) const {
  if (x_in.dim() != 2 || x_in.size(1) != n_features()) {
    throw std::invalid_argument("gp: expected " + std::to_string(n_features()) + " features per row");
  }
  const auto x = input_scaling.apply(x_in).contiguous();
  const int64_t m = x.size(0), n = train_inputs.size(0);
  std::vector<at::Tensor> means, epistemic;
  // Rows in chunks, so that the [n, chunk] cross-covariance stays near 128 MB.
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(n, 1));
  for (int64_t start = 0; start < m; start += chunk) {
    const auto rows = x.slice(0, start, std::min(m, start + chunk));
    const auto cross = kernel.cross(rows, train_inputs);  // [c, n]
    means.push_back(cross.matmul(weights));
    const auto v = at::linalg_solve_triangular(cholesky, cross.t(), /*upper=*/false);  // L^-1 K(X, x*)
    epistemic.push_back((kernel.signal_diagonal(rows) - v.pow(2).sum(0)).clamp_min(0.0));
  }
  const double scale = target_scaling.scale[0].item<double>();
  RegressionPrediction prediction;
  prediction.mean = m > 0 ? at::cat(means) * scale + target_scaling.mean[0].item<double>() : at::zeros({0}, x.options());
  prediction.epistemic_variance = m > 0 ? at::cat(epistemic) * (scale * scale) : at::zeros({0}, x.options());
  prediction.aleatoric_variance = (kernel.diagonal(x) - kernel.signal_diagonal(x)).clamp_min(0.0) * (scale * scale);
  return prediction;
}

}  // namespace credence::classical

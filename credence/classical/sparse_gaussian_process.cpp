// Sparse variational Gaussian processes: the collapsed and uncollapsed bounds, their
// optimisation, and the predictive distribution of the whitened posterior.
#include "credence/classical/sparse_gaussian_process.h"

#include "credence/core/gaussian.h"
#include "credence/core/tensor_values.h"

#include "credence/classical/bounded_lbfgs.h"
#include "credence/classical/gaussian_process.h"
#include "credence/classical/kmeans.h"
#include "credence/classical/validation.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/optim/adam.h>

#include <cmath>
#include <limits>

namespace credence::classical {

namespace {

using core::kLog2Pi;

struct InducingFactor {
  at::Tensor factor;
  double jitter;
};

// L with L L^T = K_uu + jitter I, differentiable; the jitter is found on a detached copy.
InducingFactor inducing_factor(const Kernel& kernel, const at::Tensor& z, const at::Tensor& log_parameters, double max_jitter) {
  auto kuu = kernel.signal_gram(z, log_parameters);
  const double jitter = cholesky_with_jitter(kuu.detach(), max_jitter).jitter;
  if (jitter > 0) kuu = kuu + jitter * at::eye(z.size(0), z.options());
  return {at::linalg_cholesky(kuu), jitter};
}

at::Tensor noise_diagonal(const Kernel& kernel, const at::Tensor& x, const at::Tensor& log_parameters) {
  auto noise = kernel.diagonal(x, log_parameters) - kernel.signal_diagonal(x, log_parameters);
  if (!(noise.detach().min().item<double>() > 0)) {
    throw std::invalid_argument("sparse gp: the kernel has no white noise (e.g. rbf+white), but the sparse bound divides by the noise variance");
  }
  return noise;
}

bool bounded(double lower, double upper) { return lower > 0 && std::isfinite(upper); }

struct WhitenedPosterior {
  at::Tensor mean, sqrt;
};

// q(v) = N(m, S) in natural parameters: the precision I + sum_i a_i a_i^T / L_i and the shift
// sum_i a_i y_i / L_i, with a_i = L^-1 k_u(x_i), each sum scaled by `weight` (n / B for a minibatch).
struct NaturalParameters {
  at::Tensor precision, shift;
};

NaturalParameters data_natural_parameters(const Kernel& kernel, const at::Tensor& factor, const at::Tensor& z, const at::Tensor& x,
                                          const at::Tensor& y, double weight) {
  const int64_t m = z.size(0), n = x.size(0);
  auto precision = at::zeros({m, m}, x.options());
  auto shift = at::zeros({m}, x.options());
  // Rows in chunks, so that the [M, chunk] block stays near 128 MB.
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(m, 1));
  for (int64_t start = 0; start < n; start += chunk) {
    const auto rows = x.slice(0, start, std::min(n, start + chunk));
    const auto a = at::linalg_solve_triangular(factor, kernel.cross(z, rows), /*upper=*/false);
    const auto inverse_noise = noise_diagonal(kernel, rows, {}).reciprocal();
    precision.addmm_(a * inverse_noise, a.t());
    shift.add_(a.matmul(y.slice(0, start, start + rows.size(0)) * inverse_noise));
  }
  precision.mul_(weight).diagonal().add_(1.0);
  shift.mul_(weight);
  return {precision, shift};
}

WhitenedPosterior from_natural(const NaturalParameters& natural) {
  const auto lp = at::linalg_cholesky(natural.precision);
  const auto identity = at::eye(lp.size(0), lp.options());
  // S = P^-1 = L_P^-T L_P^-1: S's square root is L_P^-T.
  return {at::cholesky_solve(natural.shift.unsqueeze(1), lp).squeeze(1), at::linalg_solve_triangular(lp.t(), identity, /*upper=*/true)};
}

}  // namespace

at::Tensor collapsed_bound(const Kernel& kernel, const at::Tensor& x, const at::Tensor& y, const at::Tensor& z,
                           const at::Tensor& log_parameters, double max_jitter) {
  const int64_t n = x.size(0), m = z.size(0);
  const auto factor = inducing_factor(kernel, z, log_parameters, max_jitter).factor;
  const auto noise = noise_diagonal(kernel, x, log_parameters);
  const auto inv_sqrt = noise.rsqrt();
  // A = L^-1 K_uf L^-1/2, B = I + A A^T: with them, ln N(y | 0, Q + L) and the trace term need
  // only M x M factorisations (Titsias 2009, in the form of GPflow's SGPR).
  const auto a = at::linalg_solve_triangular(factor, kernel.cross(z, x, log_parameters), /*upper=*/false) * inv_sqrt;
  const auto b = at::eye(m, x.options()) + a.matmul(a.t());
  const auto lb = at::linalg_cholesky(b);
  const auto yw = y * inv_sqrt;
  const auto c = at::linalg_solve_triangular(lb, a.matmul(yw).unsqueeze(1), /*upper=*/false).squeeze(1);
  return -0.5 * static_cast<double>(n) * kLog2Pi - lb.diagonal().log().sum() - 0.5 * noise.log().sum() - 0.5 * yw.dot(yw) +
         0.5 * c.dot(c) - 0.5 * (kernel.signal_diagonal(x, log_parameters) / noise).sum() + 0.5 * a.pow(2).sum();
}

at::Tensor uncollapsed_bound(const Kernel& kernel, const at::Tensor& x_batch, const at::Tensor& y_batch, int64_t n_total,
                             const at::Tensor& z, const at::Tensor& q_mean, const at::Tensor& q_sqrt,
                             const at::Tensor& log_parameters, double max_jitter) {
  const int64_t m = z.size(0), b = x_batch.size(0);
  const auto factor = inducing_factor(kernel, z, log_parameters, max_jitter).factor;
  const auto a = at::linalg_solve_triangular(factor, kernel.cross(z, x_batch, log_parameters), /*upper=*/false);  // [M, B]
  const auto mean = a.t().matmul(q_mean);
  const auto variance = kernel.signal_diagonal(x_batch, log_parameters) - a.pow(2).sum(0) + q_sqrt.t().matmul(a).pow(2).sum(0);
  const auto noise = noise_diagonal(kernel, x_batch, log_parameters);
  const auto expected = (-0.5 * (kLog2Pi + noise.log()) - 0.5 * ((y_batch - mean).pow(2) + variance) / noise).sum();
  const auto log_det = 2.0 * std::get<1>(at::linalg_slogdet(q_sqrt));
  const auto kl = 0.5 * (q_sqrt.pow(2).sum() + q_mean.dot(q_mean) - static_cast<double>(m) - log_det);
  return expected * (static_cast<double>(n_total) / static_cast<double>(b)) - kl;
}

SparseGaussianProcessRegression SparseGaussianProcessRegression::posterior(const Kernel& kernel, const at::Tensor& inducing_inputs,
                                                                           const at::Tensor& q_mean, const at::Tensor& q_sqrt,
                                                                           double jitter, const ColumnScaling& input_scaling,
                                                                           const ColumnScaling& target_scaling) {
  SparseGaussianProcessRegression model;
  model.kernel = kernel;
  model.inducing_inputs = inducing_inputs.to(at::kDouble).contiguous();
  model.q_mean = q_mean.to(at::kDouble).contiguous();
  model.q_sqrt = q_sqrt.to(at::kDouble).contiguous();
  model.jitter = jitter;
  model.input_scaling = input_scaling;
  model.target_scaling = target_scaling;
  auto kuu = kernel.signal_gram(model.inducing_inputs);
  if (jitter > 0) kuu.diagonal().add_(jitter);
  auto [factor, info] = at::linalg_cholesky_ex(kuu);
  if (info.item<int64_t>() != 0) throw NotPositiveDefinite("sparse gp: K_uu is not positive definite with the stored jitter");
  model.inducing_cholesky = factor;
  return model;
}

SparseGaussianProcessRegression SparseGaussianProcessRegression::fit(const at::Tensor& x_in, const at::Tensor& y_in,
                                                                     const Kernel& kernel_in,
                                                                     const SparseGaussianProcessOptions& options,
                                                                     at::Generator& generator) {
  const int64_t m = options.n_inducing();
  auto x = checked_matrix(x_in, 1, "sparse gp");
  if (!y_in.defined() || y_in.numel() != x.size(0)) {
    throw std::invalid_argument("sparse gp: expected one target per row (" + std::to_string(x.size(0)) + ")");
  }
  auto y = y_in.to(at::kDouble).reshape({-1}).contiguous();
  if (!at::isfinite(y).all().item<bool>()) throw std::invalid_argument("sparse gp: the target contains NaN or infinity");
  if (m < 1) throw std::invalid_argument("--inducing: must be at least 1");
  if (options.batch_size() < 0) throw std::invalid_argument("--batch-size: must be non-negative");
  const auto input_scaling = options.normalise_inputs() ? ColumnScaling::fit(x) : ColumnScaling::identity(x.size(1));
  ColumnScaling target_scaling = ColumnScaling::identity(1);
  if (options.normalise_target()) {
    if ((y == y[0]).all().item<bool>()) throw std::invalid_argument("sparse gp: the target is constant");
    target_scaling = ColumnScaling::fit(y);
  }
  const auto inputs = input_scaling.apply(x).contiguous();
  const auto targets = target_scaling.apply(y).contiguous();
  Kernel kernel = kernel_in.bound_to(x.size(1));
  noise_diagonal(kernel, inputs.slice(0, 0, 1), {});

  at::Tensor z;
  if (options.inducing_inputs().defined()) {
    z = options.inducing_inputs().to(at::kDouble).contiguous();
    if (z.dim() != 2 || z.size(0) != m || z.size(1) != x.size(1)) {
      throw std::invalid_argument("sparse gp: inducing inputs must be [" + std::to_string(m) + ", " + std::to_string(x.size(1)) + "]");
    }
  } else {
    const int64_t distinct = distinct_rows(inputs);
    if (distinct < m) {
      throw std::invalid_argument("--inducing: " + std::to_string(m) + " inducing points need at least as many distinct rows; the data has " +
                                  std::to_string(distinct));
    }
    // k-means centres spread the inducing points where the data is (a few Lloyd steps suffice).
    z = KMeans::fit_from(inputs, kmeans_plus_plus(inputs, m, generator), /*max_iter=*/20).centres.contiguous();
  }

  const int64_t p = kernel.n_free_parameters();
  const int64_t d = x.size(1);
  const bool tune_kernel = options.optimise() && p > 0;
  const bool tune_inducing = options.optimise_inducing();
  const bool has_bounds = bounded(options.lower_bound(), options.upper_bound());
  const double lo = has_bounds ? std::log(options.lower_bound()) : -std::numeric_limits<double>::infinity();
  const double hi = has_bounds ? std::log(options.upper_bound()) : std::numeric_limits<double>::infinity();
  const auto double_options = at::TensorOptions().dtype(at::kDouble);
  SparseGaussianProcessRegression model;
  model.converged = true;

  at::Tensor q_mean, q_sqrt;
  if (options.batch_size() == 0) {
    model.method = "collapsed";
    if (tune_kernel || tune_inducing) {
      // One vector for L-BFGS: [log theta (bounded), z (free)].
      std::vector<double> start, lower, upper;
      if (tune_kernel) {
        start = core::to_double_vector(kernel.free_log_parameters());
        lower.assign(p, lo);
        upper.assign(p, hi);
      }
      if (tune_inducing) {
        const auto zs = core::to_double_vector(z);
        start.insert(start.end(), zs.begin(), zs.end());
        lower.resize(start.size(), -std::numeric_limits<double>::infinity());
        upper.resize(start.size(), std::numeric_limits<double>::infinity());
      }
      auto unpack = [&](const std::vector<double>& v, at::Tensor& theta, at::Tensor& zz) {
        const auto all = at::tensor(v, double_options);
        theta = tune_kernel ? all.slice(0, 0, p).clone() : kernel.free_log_parameters();
        zz = tune_inducing ? all.slice(0, tune_kernel ? p : 0).reshape({m, d}).clone() : z;
      };
      auto objective = [&](const std::vector<double>& v, std::vector<double>& gradient) {
        at::Tensor theta, zz;
        unpack(v, theta, zz);
        if (tune_kernel) theta.requires_grad_(true);
        if (tune_inducing) zz.requires_grad_(true);
        try {
          const auto bound = collapsed_bound(kernel, inputs, targets, zz, theta, options.max_jitter());
          std::vector<at::Tensor> wrt;
          if (tune_kernel) wrt.push_back(theta);
          if (tune_inducing) wrt.push_back(zz);
          const auto grads = torch::autograd::grad({bound}, wrt);
          gradient.clear();
          for (const auto& g : grads) {
            const auto values = core::to_double_vector(g);
            gradient.insert(gradient.end(), values.begin(), values.end());
          }
          for (auto& g : gradient) g = -g;
          const double value = -bound.item<double>();
          bool finite = std::isfinite(value);
          for (double g : gradient) finite = finite && std::isfinite(g);
          return finite ? value : std::numeric_limits<double>::infinity();
        } catch (const NotPositiveDefinite&) {
          return std::numeric_limits<double>::infinity();
        } catch (const c10::Error&) {
          return std::numeric_limits<double>::infinity();  // B's factorisation failed
        }
      };
      const auto result = minimise_bounded_lbfgs(objective, start, lower, upper, BoundedLbfgsOptions().max_iter(options.max_iter()));
      at::Tensor theta;
      unpack(result.x, theta, z);
      if (tune_kernel) kernel = kernel.with_free_log_parameters(theta);
      model.n_iter = result.iterations;
      model.converged = result.converged;
    }
    at::NoGradGuard no_grad;
    model.bound = collapsed_bound(kernel, inputs, targets, z, {}, options.max_jitter()).item<double>();
  } else {
    // Hensman et al. (2013): natural-gradient steps on q(v) (for a Gaussian likelihood the
    // natural gradient of the batch bound is a convex step towards the batch's optimal q) and
    // Adam on the hyper-parameters and the inducing inputs, which see q as fixed.
    model.method = "minibatch";
    const int64_t n = inputs.size(0);
    const int64_t batch = std::min(options.batch_size(), n);
    const double weight = static_cast<double>(n) / static_cast<double>(batch);
    const double step = options.natural_step();
    if (tune_kernel || tune_inducing) {
      auto theta = kernel.free_log_parameters().clone().requires_grad_(tune_kernel);
      auto zz = z.clone().requires_grad_(tune_inducing);
      std::vector<at::Tensor> parameters;
      if (tune_kernel) parameters.push_back(theta);
      if (tune_inducing) parameters.push_back(zz);
      torch::optim::Adam adam(parameters, torch::optim::AdamOptions(options.learning_rate()));
      NaturalParameters natural{at::eye(m, double_options), at::zeros({m}, double_options)};  // the prior N(0, I)
      for (int64_t epoch = 0; epoch < options.epochs(); ++epoch) {
        const auto order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
        for (int64_t start = 0; start + batch <= n; start += batch) {
          const auto rows = order.slice(0, start, start + batch);
          const auto xb = inputs.index_select(0, rows), yb = targets.index_select(0, rows);
          const auto q = from_natural(natural);
          adam.zero_grad();
          const auto bound = uncollapsed_bound(kernel, xb, yb, n, zz, q.mean, q.sqrt, theta, options.max_jitter());
          (-bound / static_cast<double>(n)).backward();
          adam.step();
          ++model.n_iter;
          at::NoGradGuard no_grad;
          if (tune_kernel && has_bounds) theta.clamp_(lo, hi);
          const auto current = kernel.with_free_log_parameters(theta.detach());
          const auto factor = inducing_factor(current, zz.detach(), {}, options.max_jitter()).factor;
          const auto target = data_natural_parameters(current, factor, zz.detach(), xb, yb, weight);
          natural.precision = (1.0 - step) * natural.precision + step * target.precision;
          natural.shift = (1.0 - step) * natural.shift + step * target.shift;
        }
      }
      at::NoGradGuard no_grad;
      if (tune_kernel) kernel = kernel.with_free_log_parameters(theta.detach());
      z = zz.detach().clone();
    }
    // The last q is the optimum for the final parameters (a natural step of length 1 on all
    // rows, one streaming pass), so that the model does not carry the minibatch noise of q.
    at::NoGradGuard no_grad;
    model.bound = collapsed_bound(kernel, inputs, targets, z, {}, options.max_jitter()).item<double>();
  }
  {
    at::NoGradGuard no_grad;
    const auto factor = inducing_factor(kernel, z, {}, options.max_jitter()).factor;
    const auto q = from_natural(data_natural_parameters(kernel, factor, z, inputs, targets, 1.0));
    q_mean = q.mean;
    q_sqrt = q.sqrt;
  }
  const double jitter = cholesky_with_jitter(kernel.signal_gram(z), options.max_jitter()).jitter;
  auto result = posterior(kernel, z, q_mean, q_sqrt, jitter, input_scaling, target_scaling);
  result.bound = model.bound;
  result.method = model.method;
  result.n_iter = model.n_iter;
  result.converged = model.converged;
  check_finite_result(result.q_mean, "sparse gp");
  check_finite_result(result.q_sqrt, "sparse gp");
  if (!std::isfinite(result.bound)) check_finite_result(at::full({1}, result.bound), "sparse gp");
  return result;
}

RegressionPrediction SparseGaussianProcessRegression::predict(const at::Tensor& x_in) const {
  if (x_in.dim() != 2 || x_in.size(1) != n_features()) {
    throw std::invalid_argument("sparse gp: expected " + std::to_string(n_features()) + " features per row");
  }
  const auto x = input_scaling.apply(x_in).contiguous();
  const int64_t rows = x.size(0);
  std::vector<at::Tensor> means, epistemic;
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(n_inducing(), 1));
  for (int64_t start = 0; start < rows; start += chunk) {
    const auto part = x.slice(0, start, std::min(rows, start + chunk));
    const auto a = at::linalg_solve_triangular(inducing_cholesky, kernel.cross(inducing_inputs, part), /*upper=*/false);
    means.push_back(a.t().matmul(q_mean));
    epistemic.push_back((kernel.signal_diagonal(part) - a.pow(2).sum(0) + q_sqrt.t().matmul(a).pow(2).sum(0)).clamp_min(0.0));
  }
  const double scale = target_scaling.scale[0].item<double>();
  RegressionPrediction prediction;
  prediction.mean = rows > 0 ? at::cat(means) * scale + target_scaling.mean[0].item<double>() : at::zeros({0}, x.options());
  prediction.epistemic_variance = rows > 0 ? at::cat(epistemic) * (scale * scale) : at::zeros({0}, x.options());
  prediction.aleatoric_variance = (kernel.diagonal(x) - kernel.signal_diagonal(x)).clamp_min(0.0) * (scale * scale);
  return prediction;
}

}  // namespace credence::classical

// Automatic relevance determination: per-weight precisions by the MacKay fixed point.
#include "credence/classical/ard_regression.h"

#include "credence/classical/validation.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::classical {

namespace {

// (diag(alpha_kept) + beta X_kept^T X_kept)^-1 by Cholesky: the matrix is positive definite
// whenever every alpha_i > 0, which the updates preserve.
at::Tensor kept_covariance(const at::Tensor& gram, const at::Tensor& precisions, const at::Tensor& kept, double beta) {
  auto g = gram.index_select(0, kept).index_select(1, kept);
  auto precision = beta * g + at::diag(precisions.index_select(0, kept));
  auto [factor, info] = at::linalg_cholesky_ex(precision);
  if (info.item<int64_t>() != 0) {
    throw std::runtime_error("ard: posterior precision is not positive definite (the design matrix is singular)");
  }
  return at::cholesky_inverse(factor);
}

}  // namespace

ArdRegression ArdRegression::fit(const at::Tensor& phi_in, const at::Tensor& t_in, const ArdRegressionOptions& options) {
  if (!phi_in.defined() || phi_in.dim() != 2 || phi_in.size(1) < 1) {
    throw std::invalid_argument("ard: design matrix must be 2-D [rows, features] with at least one feature");
  }
  if (!t_in.defined() || t_in.numel() != phi_in.size(0)) {
    throw std::invalid_argument("ard: expected one target per row (" + std::to_string(phi_in.size(0)) + ")");
  }
  const int64_t n = phi_in.size(0);
  const int64_t p = phi_in.size(1);
  if (n < 2) throw std::invalid_argument("ard: needs at least 2 rows, got " + std::to_string(n));
  auto phi = phi_in.to(at::kDouble).contiguous();
  auto t = t_in.to(at::kDouble).reshape({n}).contiguous();
  if (!at::isfinite(phi).all().item<bool>()) throw std::invalid_argument("ard: design matrix contains NaN or infinity");
  if (!at::isfinite(t).all().item<bool>()) throw std::invalid_argument("ard: target contains NaN or infinity");

  ArdRegression model;
  model.x_offset = options.fit_intercept() ? phi.mean(0) : at::zeros({p}, phi.options());
  model.y_offset = options.fit_intercept() ? t.mean().item<double>() : 0.0;
  auto x = phi - model.x_offset;
  auto y = t - model.y_offset;
  const double target_variance = y.var(/*unbiased=*/false).item<double>();
  if ((options.fit_intercept() && target_variance == 0.0) || y.abs().max().item<double>() == 0.0) {
    throw std::invalid_argument("ard: the target is constant, so the noise precision is unbounded");
  }
  const auto gram = x.t().matmul(x);
  const auto xty = x.t().matmul(y);

  double beta = 1.0 / (target_variance + std::numeric_limits<double>::epsilon());
  auto precisions = at::ones({p}, phi.options());
  auto coef = at::zeros({p}, phi.options());
  auto keep = at::ones({p}, at::kBool);
  at::Tensor coef_old;
  at::Tensor sigma;
  int64_t iteration = 0;
  for (iteration = 0; iteration < options.max_iter(); ++iteration) {
    auto kept = at::nonzero(keep).reshape({-1});
    sigma = kept_covariance(gram, precisions, kept, beta);
    coef.index_copy_(0, kept, beta * sigma.matmul(xty.index_select(0, kept)));
    const double rss = (y - x.matmul(coef)).pow(2).sum().item<double>();
    // gamma_i = 1 - alpha_i S_ii: how well the data determines weight i (Bishop 7.89).
    auto gamma = 1.0 - precisions.index_select(0, kept) * sigma.diagonal();
    auto kept_coef = coef.index_select(0, kept);
    precisions.index_copy_(0, kept, (gamma + 2.0 * options.alpha_shape()) / (kept_coef.pow(2) + 2.0 * options.alpha_rate()));
    beta = (static_cast<double>(n) - gamma.sum().item<double>() + 2.0 * options.beta_shape()) / (rss + 2.0 * options.beta_rate());
    if (!std::isfinite(beta) || beta <= 0 || !at::isfinite(precisions).all().item<bool>()) {
      throw std::runtime_error("ard: evidence maximisation diverged (the design fits the targets exactly or is singular)");
    }
    keep = precisions < options.threshold();
    coef.masked_fill_(keep.logical_not(), 0.0);
    if (iteration > 0 && (coef_old - coef).abs().sum().item<double>() < options.tol()) {
      model.converged = true;
      break;
    }
    coef_old = coef.clone();
    if (!keep.any().item<bool>()) break;
  }
  model.n_iter = std::min(iteration + 1, options.max_iter());
  auto kept = at::nonzero(keep).reshape({-1});
  if (kept.numel() > 0) {
    // The posterior under the final precisions, as scikit-learn computes it after the loop.
    sigma = kept_covariance(gram, precisions, kept, beta);
    coef.index_copy_(0, kept, beta * sigma.matmul(xty.index_select(0, kept)));
  } else {
    sigma = at::zeros({0, 0}, phi.options());
  }
  model.weights_mean = coef;
  model.weight_precisions = precisions;
  model.kept = kept;
  model.weights_covariance = sigma;
  model.beta = beta;
  check_finite_result(model.weights_mean, "ard");
  check_finite_result(model.weights_covariance, "ard");
  return model;
}

double ArdRegression::intercept() const { return y_offset - x_offset.dot(weights_mean).item<double>(); }

RegressionPrediction ArdRegression::predict(const at::Tensor& phi_in) const {
  if (phi_in.dim() != 2 || phi_in.size(1) != weights_mean.size(0)) {
    throw std::invalid_argument("ard: expected " + std::to_string(weights_mean.size(0)) + " features per row");
  }
  auto x = phi_in.to(at::kDouble) - x_offset;
  RegressionPrediction prediction;
  prediction.mean = x.matmul(weights_mean) + y_offset;
  auto xk = x.index_select(1, kept);
  prediction.epistemic_variance = (xk.matmul(weights_covariance) * xk).sum(1).clamp_min(0.0);
  prediction.aleatoric_variance = at::full({x.size(0)}, 1.0 / beta, x.options());
  return prediction;
}

}  // namespace credence::classical

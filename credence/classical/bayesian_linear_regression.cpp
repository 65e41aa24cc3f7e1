// Bayesian linear regression with evidence maximisation.
//
// Everything runs on the eigen-decomposition of the p x p Gram matrix X^T X = V diag(l) V^T,
// computed once: for any alpha, beta the posterior is S_N = V diag(1 / (alpha + beta l)) V^T and
// m_N = beta S_N X^T t, so each fixed-point step costs O(p^2 + n p) instead of a new solve.
#include "credence/classical/bayesian_linear_regression.h"

#include "credence/core/gaussian.h"

#include "credence/classical/validation.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::classical {

namespace {

using core::kLog2Pi;

}  // namespace

BayesianLinearRegression BayesianLinearRegression::fit(const at::Tensor& phi_in, const at::Tensor& t_in,
                                                       const BayesianLinearRegressionOptions& options) {
  if (!phi_in.defined() || phi_in.dim() != 2) throw std::invalid_argument("regression: design matrix must be 2-D [rows, features]");
  if (!t_in.defined() || t_in.numel() != phi_in.size(0)) {
    throw std::invalid_argument("regression: expected one target per row (" + std::to_string(phi_in.size(0)) + ")");
  }
  const int64_t n = phi_in.size(0);
  const int64_t p = phi_in.size(1);
  if (n < 2) throw std::invalid_argument("regression: needs at least 2 rows, got " + std::to_string(n));
  auto phi = phi_in.to(at::kDouble).contiguous();
  auto t = t_in.to(at::kDouble).reshape({n}).contiguous();
  if (!at::isfinite(phi).all().item<bool>()) throw std::invalid_argument("regression: design matrix contains NaN or infinity");
  if (!at::isfinite(t).all().item<bool>()) throw std::invalid_argument("regression: target contains NaN or infinity");
  if (options.max_iter() < 1) throw std::invalid_argument("regression: max_iter must be at least 1");

  BayesianLinearRegression model;
  model.x_offset = options.fit_intercept() ? phi.mean(0) : at::zeros({p}, phi.options());
  model.y_offset = options.fit_intercept() ? t.mean().item<double>() : 0.0;
  auto x = phi - model.x_offset;
  auto y = t - model.y_offset;
  const double target_variance = y.var(/*unbiased=*/false).item<double>();
  if ((options.fit_intercept() && target_variance == 0.0) || y.abs().max().item<double>() == 0.0) {
    throw std::invalid_argument("regression: the target is constant, so the noise precision is unbounded");
  }

  at::Tensor eigenvalues, eigenvectors;
  if (p > 0) {
    auto gram = x.t().matmul(x);
    std::tie(eigenvalues, eigenvectors) = at::linalg_eigh(gram);
    // Round-off can leave tiny negative eigenvalues of a positive semi-definite matrix.
    eigenvalues = eigenvalues.clamp_min(0.0);
  } else {
    eigenvalues = at::zeros({0}, phi.options());
    eigenvectors = at::zeros({0, 0}, phi.options());
  }
  const auto xty = x.t().matmul(y);
  const auto projected = eigenvectors.t().matmul(xty);  // V^T X^T y

  double alpha = options.alpha_init();
  double beta = options.beta_init() > 0 ? options.beta_init()
                                        : 1.0 / (target_variance + std::numeric_limits<double>::epsilon());
  if (!(alpha > 0) || !(beta > 0)) throw std::invalid_argument("regression: initial precisions must be positive");

  auto posterior_mean = [&](double a, double b) { return eigenvectors.matmul(projected / (eigenvalues + a / b)); };
  auto residual_sum = [&](const at::Tensor& coef) { return (y - x.matmul(coef)).pow(2).sum().item<double>(); };

  at::Tensor coef_old;
  at::Tensor coef;
  int64_t iteration = 0;
  if (options.optimise_precisions()) {
    for (iteration = 0; iteration < options.max_iter(); ++iteration) {
      coef = posterior_mean(alpha, beta);
      const double rss = residual_sum(coef);
      const double gamma = (beta * eigenvalues / (alpha + beta * eigenvalues)).sum().item<double>();
      alpha = (gamma + 2.0 * options.alpha_shape()) / (coef.pow(2).sum().item<double>() + 2.0 * options.alpha_rate());
      beta = (static_cast<double>(n) - gamma + 2.0 * options.beta_shape()) / (rss + 2.0 * options.beta_rate());
      if (!std::isfinite(alpha) || !std::isfinite(beta) || alpha <= 0 || beta <= 0) {
        throw std::runtime_error(
            "regression: evidence maximisation diverged (the basis fits the targets exactly or the data is singular); "
            "use fewer basis functions or a Gamma hyper-prior");
      }
      if (iteration != 0 && (coef_old - coef).abs().sum().item<double>() < options.tol()) {
        model.converged = true;
        break;
      }
      coef_old = coef;
    }
    model.n_iter = std::min(iteration + 1, options.max_iter());
  } else {
    model.converged = true;
  }

  coef = posterior_mean(alpha, beta);
  const double rss = residual_sum(coef);
  const auto posterior_precision_eigenvalues = alpha + beta * eigenvalues;
  model.weights_mean = coef;
  model.weights_covariance = eigenvectors.matmul(eigenvectors.t() / posterior_precision_eigenvalues.unsqueeze(1));
  model.alpha = alpha;
  model.beta = beta;
  model.effective_parameters = (beta * eigenvalues / posterior_precision_eigenvalues).sum().item<double>();
  model.training_rmse = std::sqrt(rss / static_cast<double>(n));
  // Bishop (3.86): M/2 ln alpha + N/2 ln beta - E(m_N) - 1/2 ln|A| - N/2 ln(2 pi),
  // with E(m_N) = beta/2 |t - Phi m_N|^2 + alpha/2 m_N^T m_N and |A| = prod(alpha + beta l_i).
  const double energy = 0.5 * beta * rss + 0.5 * alpha * coef.pow(2).sum().item<double>();
  model.log_evidence = 0.5 * static_cast<double>(p) * std::log(alpha) + 0.5 * static_cast<double>(n) * std::log(beta) - energy -
                       0.5 * posterior_precision_eigenvalues.log().sum().item<double>() -
                       0.5 * static_cast<double>(n) * kLog2Pi;
  check_finite_result(model.weights_mean, "regression");
  check_finite_result(model.weights_covariance, "regression");
  if (!std::isfinite(model.log_evidence)) check_finite_result(at::full({1}, model.log_evidence), "regression");
  return model;
}

double BayesianLinearRegression::intercept() const {
  return y_offset - x_offset.dot(weights_mean).item<double>();
}

RegressionPrediction BayesianLinearRegression::predict(const at::Tensor& phi_in) const {
  if (phi_in.dim() != 2 || phi_in.size(1) != weights_mean.size(0)) {
    throw std::invalid_argument("regression: expected " + std::to_string(weights_mean.size(0)) + " features per row");
  }
  auto x = phi_in.to(at::kDouble) - x_offset;
  RegressionPrediction prediction;
  prediction.mean = x.matmul(weights_mean) + y_offset;
  // The weight uncertainty of the centred design; the intercept's own uncertainty is left
  // out, as scikit-learn does (with centred training inputs the two agree exactly).
  prediction.epistemic_variance = (x.matmul(weights_covariance) * x).sum(1).clamp_min(0.0);
  prediction.aleatoric_variance = at::full({x.size(0)}, 1.0 / beta, x.options());
  return prediction;
}

}  // namespace credence::classical

// Gaussian mixture by EM.
#include "credence/classical/gaussian_mixture.h"

#include "credence/core/gaussian.h"

#include "credence/classical/kmeans.h"
#include "credence/classical/validation.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::classical {

namespace {

using core::kLog2Pi;
// scikit-learn adds 10 machine epsilons to each component's mass so that an empty component divides safely.
constexpr double kMassFloor = 10.0 * std::numeric_limits<double>::epsilon();

at::Tensor hard_assignments(const at::Tensor& labels, int64_t k) {
  auto result = at::zeros({labels.size(0), k}, at::TensorOptions().dtype(at::kDouble));
  return result.scatter_(1, labels.unsqueeze(1), 1.0);
}

}  // namespace

CovarianceType covariance_type_from_string(const std::string& name) {
  if (name == "full") return CovarianceType::full;
  if (name == "diag") return CovarianceType::diag;
  if (name == "spherical") return CovarianceType::spherical;
  throw std::invalid_argument("--covariance: expected full, diag or spherical, got '" + name + "'");
}

std::string to_string(CovarianceType type) {
  switch (type) {
    case CovarianceType::full: return "full";
    case CovarianceType::diag: return "diag";
    case CovarianceType::spherical: return "spherical";
  }
  return "full";
}

MixtureInit mixture_init_from_string(const std::string& name) {
  if (name == "kmeans" || name == "kmeans++") return MixtureInit::kmeans;
  if (name == "random") return MixtureInit::random;
  throw std::invalid_argument("--init: expected kmeans or random, got '" + name + "'");
}

std::string to_string(MixtureInit init) { return init == MixtureInit::kmeans ? "kmeans" : "random"; }

GaussianMixture GaussianMixture::from_parameters(const at::Tensor& weights, const at::Tensor& means,
                                                 const at::Tensor& covariances, CovarianceType type) {
  GaussianMixture model;
  model.covariance_type = type;
  model.weights = weights.to(at::kDouble).contiguous();
  model.means = means.to(at::kDouble).contiguous();
  model.covariances = covariances.to(at::kDouble).contiguous();
  const int64_t k = model.weights.size(0);
  if (model.means.dim() != 2 || model.means.size(0) != k) throw std::invalid_argument("gmm: means must be [k, d]");
  const int64_t d = model.means.size(1);
  const bool shape_ok = (type == CovarianceType::full && model.covariances.sizes() == at::IntArrayRef{k, d, d}) ||
                        (type == CovarianceType::diag && model.covariances.sizes() == at::IntArrayRef{k, d}) ||
                        (type == CovarianceType::spherical && model.covariances.sizes() == at::IntArrayRef{k});
  if (!shape_ok) throw std::invalid_argument("gmm: covariances have the wrong shape for '" + to_string(type) + "'");
  if (type == CovarianceType::full) {
    auto info = std::get<1>(at::linalg_cholesky_ex(model.covariances));
    if (info.ne(0).any().item<bool>()) throw std::invalid_argument("gmm: a covariance matrix is not positive definite");
  } else if (!(model.covariances > 0).all().item<bool>()) {
    throw std::invalid_argument("gmm: variances must be positive");
  }
  return model;
}

GaussianMixture GaussianMixture::from_responsibilities(const at::Tensor& x, const at::Tensor& resp, CovarianceType type,
                                                       double reg_covar) {
  const int64_t n = x.size(0);
  const int64_t d = x.size(1);
  auto mass = resp.sum(0) + kMassFloor;  // N_k
  GaussianMixture model;
  model.covariance_type = type;
  model.means = resp.t().matmul(x) / mass.unsqueeze(1);
  switch (type) {
    case CovarianceType::full: {
      // Sigma_k = sum_n r_nk x_n x_n^T / N_k - mu_k mu_k^T, with the second moments of every
      // component from one matrix product r^T [x_n x_n^T] (rows of d^2 outer products), in
      // chunks of rows to bound memory. Per-component products [d, n] x [n, d] are several
      // times slower for small d. The data is centred first: the covariances do not change,
      // and the subtraction then cancels only as much as the components sit off-centre.
      auto centre = x.mean(0);
      auto xc = x - centre;
      auto second = at::zeros({resp.size(1), d * d}, x.options());
      const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 21) / (d * d));
      for (int64_t start = 0; start < n; start += chunk) {
        auto rows = xc.slice(0, start, std::min(n, start + chunk));
        auto outer = (rows.unsqueeze(2) * rows.unsqueeze(1)).reshape({rows.size(0), d * d});
        second.add_(resp.slice(0, start, start + rows.size(0)).t().matmul(outer));
      }
      auto centred_means = model.means - centre;
      model.covariances = second.reshape({-1, d, d}) / mass.reshape({-1, 1, 1}) -
                          centred_means.unsqueeze(2) * centred_means.unsqueeze(1) +
                          reg_covar * at::eye(d, x.options()).unsqueeze(0);
      // Exact symmetry, so that the Cholesky factorisation sees the matrix it should.
      model.covariances = 0.5 * (model.covariances + model.covariances.transpose(1, 2));
      break;
    }
    case CovarianceType::diag:
    case CovarianceType::spherical: {
      auto second = resp.t().matmul(x * x) / mass.unsqueeze(1);
      auto variances = (second - model.means.pow(2)).clamp_min(0.0) + reg_covar;
      model.covariances = type == CovarianceType::diag ? variances : variances.mean(1);
      break;
    }
  }
  model.weights = mass / mass.sum();
  return model;
}

at::Tensor GaussianMixture::weighted_log_prob(const at::Tensor& x_in) const {
  if (x_in.dim() != 2 || x_in.size(1) != n_features()) {
    throw std::invalid_argument("gmm: expected " + std::to_string(n_features()) + " features per row");
  }
  auto x = x_in.to(at::kDouble);
  const double d = static_cast<double>(n_features());
  at::Tensor mahalanobis;  // [n, k]
  at::Tensor log_det;      // [k], ln |Sigma_k|
  switch (covariance_type) {
    case CovarianceType::full: {
      auto [factor, info] = at::linalg_cholesky_ex(covariances);
      if (info.ne(0).any().item<bool>()) {
        throw std::runtime_error("gmm: a component covariance is not positive definite (singular data; raise reg_covar)");
      }
      // With Sigma_k = L_k L_k^T, the Mahalanobis distance is |(x - mu_k) L_k^-T|^2: one [n, d] x [d, d]
      // product per component (as scikit-learn does), on centred data to limit cancellation.
      const int64_t k = n_components();
      const auto identity = at::eye(n_features(), x.options()).expand({k, n_features(), n_features()});
      const auto whitening = at::linalg_solve_triangular(factor, identity, /*upper=*/false).transpose(1, 2);  // L_k^-T
      const auto centre = x.mean(0);
      const auto xc = x - centre;
      const auto shifted_means = means - centre;
      std::vector<at::Tensor> columns;
      columns.reserve(k);
      for (int64_t c = 0; c < k; ++c) {
        columns.push_back((xc.matmul(whitening[c]) - shifted_means[c].matmul(whitening[c])).pow(2).sum(1));
      }
      mahalanobis = at::stack(columns, 1);
      log_det = 2.0 * factor.diagonal(0, 1, 2).log().sum(1);
      break;
    }
    case CovarianceType::diag: {
      auto diff = x.unsqueeze(1) - means.unsqueeze(0);  // [n, k, d]
      mahalanobis = (diff.pow(2) / covariances.unsqueeze(0)).sum(2);
      log_det = covariances.log().sum(1);
      break;
    }
    case CovarianceType::spherical: {
      mahalanobis = pairwise_squared_distances(x, means) / covariances.unsqueeze(0);
      log_det = d * covariances.log();
      break;
    }
  }
  return -0.5 * (d * kLog2Pi + log_det.unsqueeze(0) + mahalanobis) + weights.log().unsqueeze(0);
}

at::Tensor GaussianMixture::log_likelihood(const at::Tensor& x) const { return at::logsumexp(weighted_log_prob(x), 1); }

at::Tensor GaussianMixture::responsibilities(const at::Tensor& x) const {
  auto weighted = weighted_log_prob(x);
  return (weighted - at::logsumexp(weighted, 1, /*keepdim=*/true)).exp();
}

at::Tensor GaussianMixture::predict(const at::Tensor& x) const { return weighted_log_prob(x).argmax(1); }

double GaussianMixture::average_log_likelihood(const at::Tensor& x) const { return log_likelihood(x).mean().item<double>(); }

int64_t GaussianMixture::n_parameters() const {
  const int64_t k = n_components();
  const int64_t d = n_features();
  int64_t covariance_parameters = 0;
  switch (covariance_type) {
    case CovarianceType::full: covariance_parameters = k * d * (d + 1) / 2; break;
    case CovarianceType::diag: covariance_parameters = k * d; break;
    case CovarianceType::spherical: covariance_parameters = k; break;
  }
  return covariance_parameters + k * d + (k - 1);
}

double GaussianMixture::bic(const at::Tensor& x) const {
  const double n = static_cast<double>(x.size(0));
  return -2.0 * average_log_likelihood(x) * n + static_cast<double>(n_parameters()) * std::log(n);
}

double GaussianMixture::aic(const at::Tensor& x) const {
  const double n = static_cast<double>(x.size(0));
  return -2.0 * average_log_likelihood(x) * n + 2.0 * static_cast<double>(n_parameters());
}

GaussianMixture GaussianMixture::fit_from(const at::Tensor& x_in, const GaussianMixture& start,
                                          const GaussianMixtureOptions& options) {
  auto x = checked_matrix(x_in, 1, "gmm");
  if (start.n_features() != x.size(1)) throw std::invalid_argument("gmm: start parameters have the wrong number of features");
  if (options.max_iter() < 1) throw std::invalid_argument("--max-iter: must be at least 1");
  GaussianMixture model = start;
  model.log_likelihood_history.clear();
  model.converged = false;
  double previous = -std::numeric_limits<double>::infinity();
  for (int64_t iteration = 1; iteration <= options.max_iter(); ++iteration) {
    // E-step: responsibilities and the average log-likelihood under the current parameters.
    auto weighted = model.weighted_log_prob(x);
    auto log_norm = at::logsumexp(weighted, 1, /*keepdim=*/true);
    const double average = log_norm.mean().item<double>();
    if (!std::isfinite(average)) throw std::runtime_error("gmm: the log-likelihood is not finite (singular data?)");
    auto resp = (weighted - log_norm).exp();
    // M-step.
    auto history = std::move(model.log_likelihood_history);
    model = from_responsibilities(x, resp, model.covariance_type, options.reg_covar());
    history.push_back(average);
    model.log_likelihood_history = std::move(history);
    model.n_iter = iteration;
    if (std::abs(average - previous) < options.tol()) {
      model.converged = true;
      break;
    }
    previous = average;
  }
  check_finite_result(model.means, "gmm");
  check_finite_result(model.covariances, "gmm");
  check_finite_result(model.weights, "gmm");
  return model;
}

GaussianMixture GaussianMixture::fit(const at::Tensor& x_in, const GaussianMixtureOptions& options, at::Generator& generator) {
  const int64_t k = options.n_components();
  if (k < 1) throw std::invalid_argument("--components: must be at least 1");
  if (options.n_init() < 1) throw std::invalid_argument("--restarts: must be at least 1");
  if (!(options.reg_covar() >= 0)) throw std::invalid_argument("gmm: reg_covar must be non-negative");
  if (x_in.dim() == 2 && x_in.size(0) < k) {
    throw std::invalid_argument("gmm: " + std::to_string(x_in.size(0)) + " rows are fewer than the " + std::to_string(k) +
                                " components");
  }
  auto x = checked_matrix(x_in, std::max<int64_t>(k, 2), "gmm");
  check_no_constant_columns(x);
  const int64_t distinct = distinct_rows(x);
  if (distinct < k) {
    throw std::invalid_argument("gmm: the data has " + std::to_string(distinct) + " distinct rows, fewer than the " +
                                std::to_string(k) + " components");
  }
  GaussianMixture best;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int64_t run = 0; run < options.n_init(); ++run) {
    at::Tensor resp;
    if (options.init() == MixtureInit::kmeans) {
      auto clusters = KMeans::fit(x, KMeansOptions(k).n_init(1), generator);
      resp = hard_assignments(clusters.predict(x), k);
    } else {
      resp = at::rand({x.size(0), k}, generator, x.options());
      resp = resp / resp.sum(1, /*keepdim=*/true);
    }
    auto start = from_responsibilities(x, resp, options.covariance_type(), options.reg_covar());
    auto model = fit_from(x, start, options);
    const double score = model.log_likelihood_history.back();
    if (run == 0 || score > best_score) {
      best = model;
      best_score = score;
    }
  }
  return best;
}

}  // namespace credence::classical

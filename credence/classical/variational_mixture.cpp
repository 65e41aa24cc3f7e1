// Variational Bayesian Gaussian mixture by coordinate ascent on the evidence lower bound.
//
// The bound is evaluated right after each E-step, where q(Z) is optimal for the current
// q(pi) q(mu, Lambda); there it equals
//   sum_n ln sum_k rho_nk - KL(q(pi) || p(pi)) - sum_k KL(q(mu_k, Lambda_k) || p(mu_k, Lambda_k))
// with ln rho_nk from Bishop (10.46). Each half-step maximises the bound over one factor,
// so the recorded sequence cannot decrease.
#include "credence/classical/variational_mixture.h"

#include "credence/core/gaussian.h"

#include "credence/classical/kmeans.h"
#include "credence/classical/validation.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::classical {

namespace {

using core::kLog2Pi;
constexpr double kLogPi = 1.1447298858494002;
constexpr double kLog2 = 0.6931471805599453;

struct Prior {
  WeightPrior weight_prior;
  double weight_concentration;  // alpha_0 or gamma_0
  double mean_precision;        // beta_0
  at::Tensor mean;              // m_0
  double degrees_of_freedom;    // nu_0
  at::Tensor scale_inverse;     // W_0^-1
};

// sum_{i=1}^{D} f((nu + 1 - i) / 2) for a tensor of nu: the multivariate digamma / log-gamma sums.
at::Tensor half_offsets(const at::Tensor& nu, int64_t d) {
  auto i = at::arange(1, d + 1, nu.options());
  return (nu.unsqueeze(-1) + 1.0 - i) / 2.0;  // [k, d]
}

// ln B(W, nu) of the Wishart normaliser (Bishop B.79), from ln|W|.
at::Tensor log_wishart_norm(const at::Tensor& log_det_w, const at::Tensor& nu, int64_t d) {
  const double dd = static_cast<double>(d);
  return -0.5 * nu * log_det_w - 0.5 * nu * dd * kLog2 - dd * (dd - 1.0) / 4.0 * kLogPi -
         at::lgamma(half_offsets(nu, d)).sum(-1);
}

// Everything the E-step and the bound need from the current q(mu, Lambda).
struct Expectations {
  at::Tensor factor;         // Cholesky factor L_k of W_k^-1 [k, d, d]
  at::Tensor log_det_w;      // ln |W_k| [k]
  at::Tensor log_det_precision;  // E[ln |Lambda_k|] [k]
  at::Tensor log_weights;    // E[ln pi_k] [k]
};

at::Tensor expected_log_weights(WeightPrior prior, const at::Tensor& concentration) {
  if (prior == WeightPrior::dirichlet_distribution) return at::digamma(concentration) - at::digamma(concentration.sum());
  auto a = concentration.select(1, 0);
  auto b = concentration.select(1, 1);
  auto digamma_sum = at::digamma(a + b);
  auto log_v = at::digamma(a) - digamma_sum;
  auto log_one_minus_v = at::digamma(b) - digamma_sum;
  // E[ln pi_k] = E[ln v_k] + sum_{j<k} E[ln(1 - v_j)]: an exclusive cumulative sum.
  return log_v + at::cumsum(log_one_minus_v, 0) - log_one_minus_v;
}

Expectations expectations(const VariationalGaussianMixture& model) {
  Expectations e;
  auto [factor, info] = at::linalg_cholesky_ex(model.scale_inverse);
  if (info.ne(0).any().item<bool>()) {
    throw std::runtime_error("vgmm: a component's scale matrix is not positive definite (singular data)");
  }
  const int64_t d = model.n_features();
  e.factor = factor;
  e.log_det_w = -2.0 * factor.diagonal(0, 1, 2).log().sum(1);
  e.log_det_precision = at::digamma(half_offsets(model.degrees_of_freedom, d)).sum(1) + static_cast<double>(d) * kLog2 + e.log_det_w;
  e.log_weights = expected_log_weights(model.weight_prior, model.weight_concentration);
  return e;
}

// (x_n - m_k)^T W_k (x_n - m_k) [n, k]
at::Tensor scaled_distances(const at::Tensor& x, const at::Tensor& means, const at::Tensor& factor) {
  auto diff = x.unsqueeze(0) - means.unsqueeze(1);  // [k, n, d]
  auto whitened = at::linalg_solve_triangular(factor, diff.transpose(1, 2), /*upper=*/false);
  return whitened.pow(2).sum(1).t();
}

// ln rho_nk (Bishop 10.46 with 10.64-10.66).
at::Tensor log_rho(const VariationalGaussianMixture& model, const Expectations& e, const at::Tensor& x) {
  const double d = static_cast<double>(model.n_features());
  auto distances = scaled_distances(x, model.means, e.factor);
  return e.log_weights.unsqueeze(0) + 0.5 * e.log_det_precision.unsqueeze(0) - 0.5 * d * kLog2Pi -
         0.5 * (d / model.mean_precision.unsqueeze(0) + model.degrees_of_freedom.unsqueeze(0) * distances);
}

double weights_kl(const VariationalGaussianMixture& model, const Expectations& e) {
  const double prior = model.weight_concentration_prior;
  if (model.weight_prior == WeightPrior::dirichlet_distribution) {
    auto alpha = model.weight_concentration;
    const double k = static_cast<double>(alpha.size(0));
    const double log_c = at::lgamma(alpha.sum()).item<double>() - at::lgamma(alpha).sum().item<double>();
    const double log_c0 = std::lgamma(k * prior) - k * std::lgamma(prior);
    return log_c - log_c0 + ((alpha - prior) * e.log_weights).sum().item<double>();
  }
  auto a = model.weight_concentration.select(1, 0);
  auto b = model.weight_concentration.select(1, 1);
  auto digamma_sum = at::digamma(a + b);
  auto log_v = at::digamma(a) - digamma_sum;
  auto log_one_minus_v = at::digamma(b) - digamma_sum;
  // KL(Beta(a, b) || Beta(1, gamma_0)) per stick.
  auto kl = at::lgamma(a + b) - at::lgamma(a) - at::lgamma(b) - (std::lgamma(1.0 + prior) - std::lgamma(prior)) +
            (a - 1.0) * log_v + (b - prior) * log_one_minus_v;
  return kl.sum().item<double>();
}

double gaussian_wishart_kl(const VariationalGaussianMixture& model, const Expectations& e) {
  const int64_t d = model.n_features();
  const double dd = static_cast<double>(d);
  const double beta0 = model.mean_precision_prior;
  const double nu0 = model.degrees_of_freedom_prior;
  auto beta = model.mean_precision;
  auto nu = model.degrees_of_freedom;
  // ln|W_0| and Tr(W_0^-1 W_k) = |L_k^-1 L_0|_F^2 with L_0 L_0^T = W_0^-1.
  auto prior_factor = at::linalg_cholesky(model.scale_inverse_prior);
  const auto log_det_w0 = at::full({1}, -2.0 * prior_factor.diagonal().log().sum().item<double>(), beta.options());
  auto trace = at::linalg_solve_triangular(e.factor, prior_factor.unsqueeze(0).expand_as(e.factor), /*upper=*/false)
                   .pow(2)
                   .sum({1, 2});
  auto offset = (model.means - model.mean_prior.unsqueeze(0)).unsqueeze(2);  // [k, d, 1]
  auto mean_term = at::linalg_solve_triangular(e.factor, offset, /*upper=*/false).pow(2).sum({1, 2});
  const auto& log_lambda = e.log_det_precision;
  // E[ln p(mu_k, Lambda_k)] (Bishop 10.74, per component).
  auto log_b0 = log_wishart_norm(log_det_w0, at::full({1}, nu0, beta.options()), d);
  auto expected_log_prior = 0.5 * (dd * std::log(beta0 / (2.0 * M_PI)) + log_lambda - dd * beta0 / beta - beta0 * nu * mean_term) +
                            log_b0 + 0.5 * (nu0 - dd - 1.0) * log_lambda - 0.5 * nu * trace;
  // E[ln q(mu_k, Lambda_k)] (Bishop 10.77) with the Wishart entropy (B.82).
  auto entropy = -log_wishart_norm(e.log_det_w, nu, d) - 0.5 * (nu - dd - 1.0) * log_lambda + 0.5 * nu * dd;
  auto expected_log_q = 0.5 * log_lambda + 0.5 * dd * at::log(beta / (2.0 * M_PI)) - 0.5 * dd - entropy;
  return (expected_log_q - expected_log_prior).sum().item<double>();
}

// The M-step: q(pi) and q(mu, Lambda) that maximise the bound for responsibilities r [n, k].
VariationalGaussianMixture update_parameters(const Prior& prior, const at::Tensor& x, const at::Tensor& r) {
  VariationalGaussianMixture model;
  model.weight_prior = prior.weight_prior;
  model.weight_concentration_prior = prior.weight_concentration;
  model.mean_precision_prior = prior.mean_precision;
  model.mean_prior = prior.mean;
  model.degrees_of_freedom_prior = prior.degrees_of_freedom;
  model.scale_inverse_prior = prior.scale_inverse;
  auto mass = r.sum(0);     // N_k
  auto sums = r.t().matmul(x);  // N_k xbar_k
  // Exact N_k everywhere; only xbar_k divides, and an empty component's xbar is multiplied by N_k = 0.
  auto centre = sums / mass.clamp_min(std::numeric_limits<double>::min()).unsqueeze(1);
  auto diff = x.unsqueeze(0) - centre.unsqueeze(1);  // [k, n, d]
  auto scatter = (diff * r.t().unsqueeze(2)).transpose(1, 2).matmul(diff);  // N_k S_k
  auto shift = (centre - prior.mean.unsqueeze(0)).unsqueeze(2);
  auto shrink = prior.mean_precision * mass / (prior.mean_precision + mass);
  model.mean_precision = prior.mean_precision + mass;
  model.means = (prior.mean_precision * prior.mean.unsqueeze(0) + sums) / model.mean_precision.unsqueeze(1);
  model.scale_inverse = prior.scale_inverse.unsqueeze(0) + scatter + shrink.reshape({-1, 1, 1}) * shift.matmul(shift.transpose(1, 2));
  // Symmetrise: round-off in the products above must not make the Cholesky factor fail.
  model.scale_inverse = 0.5 * (model.scale_inverse + model.scale_inverse.transpose(1, 2));
  model.degrees_of_freedom = prior.degrees_of_freedom + mass;
  if (prior.weight_prior == WeightPrior::dirichlet_distribution) {
    model.weight_concentration = prior.weight_concentration + mass;
  } else {
    auto later = mass.flip(0).cumsum(0).flip(0) - mass;  // sum_{j>k} N_j
    model.weight_concentration = at::stack({1.0 + mass, prior.weight_concentration + later}, 1);
  }
  return model;
}

at::Tensor hard_assignments(const at::Tensor& labels, int64_t k) {
  return at::zeros({labels.size(0), k}, at::TensorOptions().dtype(at::kDouble)).scatter_(1, labels.unsqueeze(1), 1.0);
}

}  // namespace

WeightPrior weight_prior_from_string(const std::string& name) {
  if (name == "dirichlet" || name == "dirichlet_distribution") return WeightPrior::dirichlet_distribution;
  if (name == "dp" || name == "dirichlet_process") return WeightPrior::dirichlet_process;
  throw std::invalid_argument("--weight-prior: expected dirichlet or dp, got '" + name + "'");
}

std::string to_string(WeightPrior prior) {
  return prior == WeightPrior::dirichlet_distribution ? "dirichlet_distribution" : "dirichlet_process";
}

at::Tensor VariationalGaussianMixture::weights() const {
  if (weight_prior == WeightPrior::dirichlet_distribution) return weight_concentration / weight_concentration.sum();
  auto a = weight_concentration.select(1, 0);
  auto b = weight_concentration.select(1, 1);
  auto stick = a / (a + b);
  // E[pi_k] = E[v_k] prod_{j<k} (1 - E[v_j]): the sticks are independent under q.
  auto remaining = at::cumprod(1.0 - stick, 0) / (1.0 - stick);
  return stick * remaining;
}

std::vector<int64_t> VariationalGaussianMixture::used_components(double threshold) const {
  auto w = weights();
  std::vector<int64_t> used;
  for (int64_t k = 0; k < w.size(0); ++k) {
    if (w[k].item<double>() >= threshold) used.push_back(k);
  }
  return used;
}

at::Tensor VariationalGaussianMixture::covariances() const {
  return scale_inverse / degrees_of_freedom.reshape({-1, 1, 1});
}

namespace {

// ln(w_k St(x_n | m_k, L_k, nu_k + 1 - D)) [n, k], Bishop (10.81)-(10.82).
at::Tensor predictive_weighted_log_prob(const VariationalGaussianMixture& model, const at::Tensor& x_in) {
  if (x_in.dim() != 2 || x_in.size(1) != model.n_features()) {
    throw std::invalid_argument("vgmm: expected " + std::to_string(model.n_features()) + " features per row");
  }
  auto x = x_in.to(at::kDouble);
  const double d = static_cast<double>(model.n_features());
  auto e = expectations(model);
  auto nu = model.degrees_of_freedom + 1.0 - d;
  auto scale = nu * model.mean_precision / (1.0 + model.mean_precision);  // L_k = scale_k W_k
  auto delta = scaled_distances(x, model.means, e.factor) * scale.unsqueeze(0);
  auto log_norm = at::lgamma((nu + d) / 2.0) - at::lgamma(nu / 2.0) - 0.5 * d * at::log(nu * M_PI) +
                  0.5 * (d * at::log(scale) + e.log_det_w);
  auto log_t = log_norm.unsqueeze(0) - 0.5 * (nu + d).unsqueeze(0) * at::log1p(delta / nu.unsqueeze(0));
  auto w = model.weights();
  return log_t + (w / w.sum()).log().unsqueeze(0);
}

}  // namespace

at::Tensor VariationalGaussianMixture::log_likelihood(const at::Tensor& x) const {
  return at::logsumexp(predictive_weighted_log_prob(*this, x), 1);
}

at::Tensor VariationalGaussianMixture::responsibilities(const at::Tensor& x) const {
  auto weighted = predictive_weighted_log_prob(*this, x);
  return (weighted - at::logsumexp(weighted, 1, /*keepdim=*/true)).exp();
}

at::Tensor VariationalGaussianMixture::predict(const at::Tensor& x) const {
  return predictive_weighted_log_prob(*this, x).argmax(1);
}

double VariationalGaussianMixture::average_log_likelihood(const at::Tensor& x) const {
  return log_likelihood(x).mean().item<double>();
}

double VariationalGaussianMixture::elbo(const at::Tensor& x_in) const {
  auto x = x_in.to(at::kDouble);
  auto e = expectations(*this);
  const double data_term = at::logsumexp(log_rho(*this, e, x), 1).sum().item<double>();
  return (data_term - weights_kl(*this, e) - gaussian_wishart_kl(*this, e)) / static_cast<double>(x.size(0));
}

VariationalGaussianMixture VariationalGaussianMixture::fit(const at::Tensor& x_in, const VariationalGaussianMixtureOptions& options,
                                                           at::Generator& generator) {
  const int64_t k = options.n_components();
  if (k < 1) throw std::invalid_argument("--components: must be at least 1");
  if (options.n_init() < 1) throw std::invalid_argument("--restarts: must be at least 1");
  if (options.max_iter() < 1) throw std::invalid_argument("--max-iter: must be at least 1");
  if (x_in.dim() == 2 && x_in.size(0) < k) {
    throw std::invalid_argument("vgmm: " + std::to_string(x_in.size(0)) + " rows are fewer than the " + std::to_string(k) +
                                " components");
  }
  auto x = checked_matrix(x_in, std::max<int64_t>(k, 2), "vgmm");
  check_no_constant_columns(x);
  const int64_t n = x.size(0);
  const int64_t d = x.size(1);
  const int64_t distinct = distinct_rows(x);
  if (distinct < k) {
    throw std::invalid_argument("vgmm: the data has " + std::to_string(distinct) + " distinct rows, fewer than the " +
                                std::to_string(k) + " components");
  }
  Prior prior;
  prior.weight_prior = options.weight_prior();
  prior.weight_concentration = options.weight_concentration() > 0 ? options.weight_concentration() : 1.0 / static_cast<double>(k);
  prior.mean_precision = options.mean_precision();
  prior.degrees_of_freedom = options.degrees_of_freedom() > 0 ? options.degrees_of_freedom() : static_cast<double>(d);
  if (!(prior.mean_precision > 0)) throw std::invalid_argument("vgmm: the mean precision prior must be positive");
  if (prior.degrees_of_freedom <= static_cast<double>(d) - 1.0) {
    throw std::invalid_argument("vgmm: the degrees of freedom prior must exceed d - 1 = " + std::to_string(d - 1));
  }
  prior.mean = x.mean(0);
  auto centred = x - prior.mean;
  prior.scale_inverse = centred.t().matmul(centred) / static_cast<double>(n - 1) + options.reg_covar() * at::eye(d, x.options());

  VariationalGaussianMixture best;
  double best_elbo = -std::numeric_limits<double>::infinity();
  for (int64_t run = 0; run < options.n_init(); ++run) {
    at::Tensor resp;
    if (options.init() == MixtureInit::kmeans) {
      resp = hard_assignments(KMeans::fit(x, KMeansOptions(k).n_init(1), generator).predict(x), k);
    } else {
      resp = at::rand({n, k}, generator, x.options());
      resp = resp / resp.sum(1, /*keepdim=*/true);
    }
    VariationalGaussianMixture model;
    std::vector<double> history;
    double previous = -std::numeric_limits<double>::infinity();
    bool converged = false;
    int64_t iteration = 0;
    for (iteration = 1; iteration <= options.max_iter(); ++iteration) {
      model = update_parameters(prior, x, resp);
      auto e = expectations(model);
      auto rho = log_rho(model, e, x);
      auto log_norm = at::logsumexp(rho, 1, /*keepdim=*/true);
      const double bound =
          (log_norm.sum().item<double>() - weights_kl(model, e) - gaussian_wishart_kl(model, e)) / static_cast<double>(n);
      if (!std::isfinite(bound)) throw std::runtime_error("vgmm: the evidence lower bound is not finite (singular data?)");
      history.push_back(bound);
      resp = (rho - log_norm).exp();
      if (std::abs(bound - previous) < options.tol()) {
        converged = true;
        break;
      }
      previous = bound;
    }
    model.elbo_history = std::move(history);
    model.converged = converged;
    model.n_iter = std::min(iteration, options.max_iter());
    if (run == 0 || model.elbo_history.back() > best_elbo) {
      best_elbo = model.elbo_history.back();
      best = model;
    }
  }
  check_finite_result(best.means, "vgmm");
  check_finite_result(best.scale_inverse, "vgmm");
  check_finite_result(best.weight_concentration, "vgmm");
  return best;
}

}  // namespace credence::classical

// Probabilistic PCA: closed form and EM.
//
// Both work on the d x d sample covariance S rather than the n x d data, so an EM step costs
// O(d^2 q) whatever n is (Tipping & Bishop 1999, eqs. 29-30).
#include "credence/classical/probabilistic_pca.h"

#include "credence/core/gaussian.h"

#include "credence/classical/pca.h"
#include "credence/classical/validation.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::classical {

namespace {

using core::kLog2Pi;

// M = W^T W + sigma^2 I, the q x q matrix that every quantity of the model goes through.
at::Tensor latent_precision(const at::Tensor& w, double sigma2) {
  return w.t().matmul(w) + sigma2 * at::eye(w.size(1), w.options());
}

// Average log-likelihood of data whose (biased or not) covariance about mu is S:
// -1/2 (d ln 2 pi + ln|C| + Tr(C^-1 S)), with ln|C| = (d - q) ln sigma^2 + ln|M| and
// Tr(C^-1 S) = (Tr S - Tr(M^-1 W^T S W)) / sigma^2.
double average_log_likelihood_from_covariance(const at::Tensor& s, const at::Tensor& w, double sigma2) {
  const double d = static_cast<double>(w.size(0));
  const double q = static_cast<double>(w.size(1));
  auto m = latent_precision(w, sigma2);
  const double log_det_c = (d - q) * std::log(sigma2) + std::get<1>(at::linalg_slogdet(m)).item<double>();
  const double trace = (s.trace().item<double>() - at::linalg_solve(m, w.t().matmul(s).matmul(w)).trace().item<double>()) / sigma2;
  return -0.5 * (d * kLog2Pi + log_det_c + trace);
}

// W W^T is what the data determines; W itself only up to a rotation R. Rotate to orthogonal
// columns of decreasing length (W = U diag(s) from its SVD) with canonical signs, so that
// closed-form and EM fits are stored alike.
at::Tensor canonical_weights(const at::Tensor& w) {
  auto [u, s, vh] = at::linalg_svd(w, /*full_matrices=*/false);
  (void)vh;
  return canonical_signs((u * s.unsqueeze(0)).t()).t().contiguous();
}

}  // namespace

PpcaMethod ppca_method_from_string(const std::string& name) {
  if (name == "closed-form" || name == "closed_form") return PpcaMethod::closed_form;
  if (name == "em") return PpcaMethod::em;
  throw std::invalid_argument("--method: expected closed-form or em, got '" + name + "'");
}

std::string to_string(PpcaMethod method) { return method == PpcaMethod::em ? "em" : "closed-form"; }

ProbabilisticPCA ProbabilisticPCA::fit(const at::Tensor& x_in, const ProbabilisticPCAOptions& options, at::Generator& generator) {
  const int64_t q = options.n_components();
  if (q < 1) throw std::invalid_argument("--components: must be at least 1");
  if (x_in.dim() == 2 && x_in.size(0) <= q) {
    throw std::invalid_argument("ppca: " + std::to_string(x_in.size(0)) + " rows are too few for " + std::to_string(q) +
                                " components (needs more rows than components)");
  }
  auto x = checked_matrix(x_in, q + 1, "ppca");
  const int64_t n = x.size(0);
  const int64_t d = x.size(1);
  if (q >= d) {
    throw std::invalid_argument("--components: ppca needs fewer components than features (" + std::to_string(d) +
                                "), so that some variance is left for the noise");
  }
  check_not_constant(x, "ppca");
  ProbabilisticPCA model;
  model.mean = x.mean(0);
  auto centred = x - model.mean;
  auto s = centred.t().matmul(centred) / static_cast<double>(options.unbiased() ? n - 1 : n);
  const double mean_variance = s.trace().item<double>() / static_cast<double>(d);

  auto [eigenvalues, eigenvectors] = at::linalg_eigh(s);
  eigenvalues = eigenvalues.flip(0).clamp_min(0.0);
  eigenvectors = eigenvectors.flip(1);
  // sigma^2_ML: the average variance of the d - q discarded directions (Tipping & Bishop eq. 8).
  const double discarded = eigenvalues.slice(0, q).mean().item<double>();
  if (!(discarded > 1e-12 * mean_variance)) {
    throw std::runtime_error("ppca: the data lies in a " + std::to_string(q) +
                             "-dimensional subspace, so the noise variance is zero (singular data); use fewer components");
  }

  if (options.method() == PpcaMethod::closed_form) {
    // W_ML = U_q (L_q - sigma^2 I)^(1/2), taking the rotation R = I.
    auto scales = (eigenvalues.slice(0, 0, q) - discarded).clamp_min(0.0).sqrt();
    model.weights = canonical_weights(eigenvectors.slice(1, 0, q) * scales.unsqueeze(0));
    model.noise_variance = discarded;
    model.n_iter = 0;
    model.converged = true;
  } else {
    if (options.max_iter() < 1) throw std::invalid_argument("--max-iter: must be at least 1");
    // Start from a random W at the data's scale and sigma^2 at the average variance.
    auto w = at::randn({d, q}, generator, x.options()) * std::sqrt(mean_variance);
    double sigma2 = mean_variance;
    double previous = -std::numeric_limits<double>::infinity();
    const auto identity = at::eye(q, x.options());
    model.converged = false;
    int64_t iteration = 0;
    for (iteration = 1; iteration <= options.max_iter(); ++iteration) {
      // E-step and M-step folded together (Tipping & Bishop eqs. 29-30):
      //   W' = S W (sigma^2 I + M^-1 W^T S W)^-1,  sigma^2' = Tr(S - S W M^-1 W'^T) / d.
      auto m = latent_precision(w, sigma2);
      auto sw = s.matmul(w);
      auto m_inv_wt_sw = at::linalg_solve(m, w.t().matmul(sw));
      // W' = S W A^-1 with A not symmetric, so solve A^T W'^T = (S W)^T.
      auto w_new = at::linalg_solve((sigma2 * identity + m_inv_wt_sw).t(), sw.t()).t();
      const double sigma2_new =
          (s.trace() - sw.matmul(at::linalg_solve(m, w_new.t())).trace()).item<double>() / static_cast<double>(d);
      w = w_new;
      sigma2 = sigma2_new;
      if (!(sigma2 > 0) || !std::isfinite(sigma2)) throw std::runtime_error("ppca: EM produced a non-positive noise variance");
      const double average = average_log_likelihood_from_covariance(s, w, sigma2);
      model.log_likelihood_history.push_back(average);
      if (std::abs(average - previous) < options.tol()) {
        model.converged = true;
        break;
      }
      previous = average;
    }
    model.n_iter = std::min(iteration, options.max_iter());
    model.weights = canonical_weights(w);
    model.noise_variance = sigma2;
  }
  check_finite_result(model.weights, "ppca");
  check_finite_result(at::full({1}, model.noise_variance), "ppca");
  return model;
}

at::Tensor ProbabilisticPCA::covariance() const {
  return weights.matmul(weights.t()) + noise_variance * at::eye(n_features(), weights.options());
}

at::Tensor ProbabilisticPCA::log_likelihood(const at::Tensor& x_in) const {
  if (x_in.dim() != 2 || x_in.size(1) != n_features()) {
    throw std::invalid_argument("ppca: expected " + std::to_string(n_features()) + " features per row");
  }
  const double d = static_cast<double>(n_features());
  const double q = static_cast<double>(n_components());
  auto diff = x_in.to(at::kDouble) - mean;
  auto m = latent_precision(weights, noise_variance);
  auto projected = diff.matmul(weights);  // [n, q]
  // (x - mu)^T C^-1 (x - mu) = (|x - mu|^2 - p^T M^-1 p) / sigma^2 with p = W^T (x - mu).
  auto quadratic = (diff.pow(2).sum(1) - (at::linalg_solve(m, projected.t()).t() * projected).sum(1)) / noise_variance;
  const double log_det_c = (d - q) * std::log(noise_variance) + std::get<1>(at::linalg_slogdet(m)).item<double>();
  return -0.5 * (d * kLog2Pi + log_det_c + quadratic);
}

double ProbabilisticPCA::average_log_likelihood(const at::Tensor& x) const { return log_likelihood(x).mean().item<double>(); }

at::Tensor ProbabilisticPCA::latent_mean(const at::Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != n_features()) {
    throw std::invalid_argument("ppca: expected " + std::to_string(n_features()) + " features per row");
  }
  auto diff = x.to(at::kDouble) - mean;
  return at::linalg_solve(latent_precision(weights, noise_variance), diff.matmul(weights).t()).t();
}

at::Tensor ProbabilisticPCA::latent_covariance() const {
  return noise_variance * at::linalg_inv(latent_precision(weights, noise_variance));
}

at::Tensor ProbabilisticPCA::reconstruct(const at::Tensor& x) const {
  auto diff = x.to(at::kDouble) - mean;
  auto coefficients = at::linalg_solve(weights.t().matmul(weights), weights.t().matmul(diff.t()));  // (W^T W)^-1 W^T (x - mu)
  return weights.matmul(coefficients).t() + mean;
}

at::Tensor ProbabilisticPCA::principal_axes() const {
  auto [u, s, vh] = at::linalg_svd(weights, /*full_matrices=*/false);
  (void)s;
  (void)vh;
  return canonical_signs(u.t()).contiguous();
}

}  // namespace credence::classical

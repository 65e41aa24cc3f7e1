// Bayesian logistic regression with the Laplace approximation.
//
// The parameters theta = [W | b] are one row per logit (a single row for two classes, as
// scikit-learn's binary model). With K > 2 classes the softmax is unchanged by adding the same
// number to every intercept, and the flat intercept prior leaves that direction without
// curvature; a unit precision along it fixes the gauge without moving the MAP (the gradient
// along it is zero) or any probability (which never sees it).
#include "credence/classical/logistic_regression.h"

#include "credence/core/gaussian.h"

#include "credence/classical/validation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::classical {

namespace {

using core::kLog2Pi;
constexpr double kGaugePrecision = 1.0;

struct Problem {
  at::Tensor design;  // [n, d'] the features, then a column of ones with an intercept
  at::Tensor labels;  // [n] int64
  at::Tensor onehot;  // [n, K'] (for two classes: [n, 1] holding the label itself)
  at::Tensor prior;   // [K', d'] 1 on weights, 0 on intercepts
  bool gauge = false;
  int64_t rows = 1;   // K'
};

at::Tensor probabilities_from_logits(const at::Tensor& logits) {
  if (logits.size(-1) == 1) {
    const auto p = at::sigmoid(logits);
    return at::cat({1.0 - p, p}, -1);
  }
  return at::softmax(logits, -1);
}

double energy(const Problem& problem, const at::Tensor& theta, double alpha) {
  const auto logits = problem.design.matmul(theta.t());
  double nll;
  if (problem.rows == 1) {
    // -ln sigma(a) for y = 1 and -ln(1 - sigma(a)) for y = 0 are softplus(a) - y a.
    nll = (at::softplus(logits) - problem.onehot * logits).sum().item<double>();
  } else {
    nll = -at::log_softmax(logits, 1).gather(1, problem.labels.unsqueeze(1)).sum().item<double>();
  }
  return nll + 0.5 * alpha * (theta.pow(2) * problem.prior).sum().item<double>();
}

at::Tensor gradient(const Problem& problem, const at::Tensor& theta, double alpha) {
  const auto logits = problem.design.matmul(theta.t());
  const auto residual = (problem.rows == 1 ? at::sigmoid(logits) : at::softmax(logits, 1)) - problem.onehot;
  return residual.t().matmul(problem.design) + alpha * theta * problem.prior;
}

at::Tensor hessian(const Problem& problem, const at::Tensor& theta, double alpha) {
  const auto& x = problem.design;
  const int64_t k = problem.rows, d = x.size(1);
  const auto logits = x.matmul(theta.t());
  auto h = at::zeros({k, d, k, d}, x.options());
  if (k == 1) {
    const auto p = at::sigmoid(logits).reshape({-1});
    h[0].select(1, 0).copy_((x * (p * (1.0 - p)).unsqueeze(1)).t().matmul(x));
  } else {
    // d^2 E / dtheta_ki dtheta_jl = sum_n p_nk (delta_kj - p_nj) x_ni x_nl (Bishop 4.110).
    const auto p = at::softmax(logits, 1);
    for (int64_t a = 0; a < k; ++a) {
      for (int64_t b = a; b < k; ++b) {
        const auto w = p.select(1, a) * ((a == b ? 1.0 : 0.0) - p.select(1, b));
        const auto block = (x * w.unsqueeze(1)).t().matmul(x);
        h.select(0, a).select(1, b).copy_(block);
        if (b != a) h.select(0, b).select(1, a).copy_(block);
      }
    }
  }
  auto flat = h.reshape({k * d, k * d});
  flat.diagonal().add_(alpha * problem.prior.reshape({-1}));
  if (problem.gauge) {
    // kGaugePrecision u u^T along u = (1, ..., 1) / sqrt(K) over the intercepts.
    const auto intercepts = at::arange(k, at::TensorOptions().dtype(at::kLong)) * d + (d - 1);
    const auto grid = at::meshgrid({intercepts, intercepts}, "ij");
    flat.index_put_({grid[0], grid[1]}, flat.index({grid[0], grid[1]}) + kGaugePrecision / static_cast<double>(k));
  }
  return flat;
}

struct MapResult {
  at::Tensor theta, hessian;
  double energy;
  int64_t steps;
  bool converged;
};

// Newton's method with a backtracking line search (IRLS, Bishop 4.3.3) from `theta`.
MapResult find_map(const Problem& problem, at::Tensor theta, double alpha, int64_t max_iter) {
  double e = energy(problem, theta, alpha);
  MapResult result{theta, {}, e, 0, false};
  for (int64_t step = 0; step < max_iter; ++step) {
    const auto g = gradient(problem, theta, alpha).reshape({-1, 1});
    const auto h = hessian(problem, theta, alpha);
    auto [factor, info] = at::linalg_cholesky_ex(h);
    if (info.item<int64_t>() != 0) throw std::runtime_error("logistic: the Hessian is not positive definite (singular features?)");
    const auto delta = at::cholesky_solve(g, factor);
    const double decrement = g.mul(delta).sum().item<double>();  // g^T H^-1 g
    if (decrement <= 1e-20 * std::max(1.0, std::abs(e))) {
      result.converged = true;
      break;
    }
    double t = 1.0;
    bool moved = false;
    for (int line = 0; line < 50; ++line, t *= 0.5) {
      const auto candidate = theta - t * delta.reshape(theta.sizes());
      const double ec = energy(problem, candidate, alpha);
      if (std::isfinite(ec) && ec <= e - 1e-4 * t * decrement) {
        theta = candidate;
        e = ec;
        moved = true;
        break;
      }
    }
    ++result.steps;
    if (!moved) {
      // No decrease left at round-off: converged if the decrement is already tiny.
      result.converged = decrement <= 1e-10 * std::max(1.0, std::abs(e));
      break;
    }
  }
  result.theta = theta;
  result.energy = e;
  result.hessian = hessian(problem, theta, alpha);
  return result;
}

}  // namespace

LogisticPredictive logistic_predictive_from_string(const std::string& name) {
  if (name == "probit") return LogisticPredictive::probit;
  if (name == "mc" || name == "monte-carlo") return LogisticPredictive::monte_carlo;
  throw std::invalid_argument("--predictive: expected probit or mc, got '" + name + "'");
}

std::string to_string(LogisticPredictive predictive) { return predictive == LogisticPredictive::probit ? "probit" : "mc"; }

BayesianLogisticRegression BayesianLogisticRegression::fit(const at::Tensor& x_in, const at::Tensor& labels_in, int64_t n_classes,
                                                           const BayesianLogisticRegressionOptions& options) {
  auto x = checked_matrix(x_in, 1, "logistic");
  if (!labels_in.defined() || labels_in.numel() != x.size(0)) {
    throw std::invalid_argument("logistic: expected one label per row (" + std::to_string(x.size(0)) + ")");
  }
  const auto labels = labels_in.to(at::kLong).reshape({-1}).contiguous();
  if (n_classes < 2) throw std::invalid_argument("logistic: needs at least two classes, got " + std::to_string(n_classes));
  if (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= n_classes) {
    throw std::invalid_argument("logistic: labels must lie in 0.." + std::to_string(n_classes - 1));
  }
  const auto counts = at::bincount(labels, {}, n_classes);
  if ((counts > 0).sum().item<int64_t>() < 2) throw std::invalid_argument("logistic: the labels hold a single class");
  if (!(options.alpha() > 0) || !std::isfinite(options.alpha())) throw std::invalid_argument("logistic: alpha must be positive");

  BayesianLogisticRegression model;
  model.n_classes = n_classes;
  model.fit_intercept = options.fit_intercept();
  model.input_scaling = options.normalise_inputs() ? ColumnScaling::fit(x) : ColumnScaling::identity(x.size(1));
  const auto features = model.input_scaling.apply(x);
  const int64_t n = x.size(0), d = x.size(1);
  Problem problem;
  problem.rows = n_classes == 2 ? 1 : n_classes;
  problem.design = options.fit_intercept() ? at::cat({features, at::ones({n, 1}, features.options())}, 1) : features;
  problem.design = problem.design.contiguous();
  problem.labels = labels;
  problem.onehot = problem.rows == 1 ? labels.to(at::kDouble).unsqueeze(1)
                                     : at::one_hot(labels, n_classes).to(at::kDouble);
  const int64_t width = problem.design.size(1);
  problem.prior = at::ones({problem.rows, width}, features.options());
  if (options.fit_intercept()) problem.prior.select(1, d).zero_();
  problem.gauge = options.fit_intercept() && problem.rows > 1;
  const double weight_count = static_cast<double>(problem.rows * d);  // M_w, the parameters under the prior

  const double p = static_cast<double>(problem.rows * width) - (problem.gauge ? 1.0 : 0.0);
  auto theta = at::zeros({problem.rows, width}, features.options());
  // The MAP at alpha (from the last MAP, which is close) and its Laplace evidence
  // ln p(D | alpha) = -E(theta*) + M_w/2 ln alpha + (P - M_w)/2 ln 2 pi - 1/2 ln |H|, without the gauge direction.
  struct Evaluation {
    MapResult map;
    at::Tensor factor;
    double alpha, log_evidence;
  };
  auto evaluate = [&](double alpha) {
    Evaluation e{find_map(problem, theta, alpha, options.max_iter()), {}, alpha, 0.0};
    theta = e.map.theta;
    model.n_iter += e.map.steps;
    model.alpha_history.push_back(alpha);
    e.factor = at::linalg_cholesky(e.map.hessian);
    const double log_det = 2.0 * e.factor.diagonal().log().sum().item<double>() - (problem.gauge ? std::log(kGaugePrecision) : 0.0);
    e.log_evidence = -e.map.energy + 0.5 * weight_count * std::log(alpha) + 0.5 * (p - weight_count) * kLog2Pi - 0.5 * log_det;
    return e;
  };
  Evaluation best = evaluate(options.alpha());
  if (options.optimise_alpha()) {
    // MacKay (1992): gamma = M_w - alpha tr(Sigma_ww) well-determined parameters, alpha = gamma / |w|^2.
    // Its fixed point treats the data Hessian as independent of alpha, which holds for linear
    // regression but not here (it moves with the MAP), so it only starts the search below.
    for (int64_t it = 1; it < options.max_evidence_iter(); ++it) {
      const auto covariance = at::cholesky_inverse(best.factor);
      const double trace = (covariance.diagonal() * problem.prior.reshape({-1})).sum().item<double>();
      const double norm = (best.map.theta.pow(2) * problem.prior).sum().item<double>();
      const double gamma = weight_count - best.alpha * trace;
      double next = gamma / norm;
      if (!(norm > 0) || !(gamma > 0) || !std::isfinite(next)) next = options.max_alpha();
      next = std::clamp(next, options.min_alpha(), options.max_alpha());
      const bool done = std::abs(next - best.alpha) <= 1e-3 * best.alpha;
      best = evaluate(next);
      if (done) break;
    }
    // The Laplace evidence itself, maximised over ln alpha by golden-section search in a bracket
    // around the fixed point (widened until the middle point is the highest).
    const double lowest = std::log(options.min_alpha()), highest = std::log(options.max_alpha());
    auto at_log = [&](double t) { return evaluate(std::exp(std::clamp(t, lowest, highest))); };
    double width = 0.5;
    double a = std::max(lowest, std::log(best.alpha) - width), b = std::min(highest, std::log(best.alpha) + width);
    Evaluation ea = at_log(a), eb = at_log(b);
    for (;;) {
      // A bracket edge above the middle: move the bracket that way, doubling its width, until
      // the middle is the highest or the edge reaches the allowed range's end.
      const bool left = ea.log_evidence > best.log_evidence, right = !left && eb.log_evidence > best.log_evidence;
      if (!left && !right) break;
      if ((left && a <= lowest) || (right && b >= highest)) {
        throw std::runtime_error(std::string("logistic: the evidence keeps growing as the prior precision alpha runs to ") +
                                 (left ? "zero" : "infinity") + " (past " + std::to_string(std::exp(left ? a : b)) + ")" +
                                 (left ? ": the classes are linearly separable, so the weights have no finite scale; give alpha"
                                       : ": the features carry no information about the classes"));
      }
      width *= 2;
      if (left) {
        b = std::log(best.alpha);
        eb = best;
        best = ea;
        a = std::max(lowest, std::log(best.alpha) - width);
        ea = at_log(a);
      } else {
        a = std::log(best.alpha);
        ea = best;
        best = eb;
        b = std::min(highest, std::log(best.alpha) + width);
        eb = at_log(b);
      }
    }
    const double ratio = 0.5 * (std::sqrt(5.0) - 1.0);
    double c = b - ratio * (b - a), d2 = a + ratio * (b - a);
    Evaluation ec = at_log(c), ed = at_log(d2);
    while (b - a > options.evidence_tol()) {
      if (ec.log_evidence >= ed.log_evidence) {
        b = d2;
        d2 = c;
        ed = ec;
        c = b - ratio * (b - a);
        ec = at_log(c);
      } else {
        a = c;
        c = d2;
        ec = ed;
        d2 = a + ratio * (b - a);
        ed = at_log(d2);
      }
    }
    for (const auto* e : {&ec, &ed}) {
      if (e->log_evidence > best.log_evidence) best = *e;
    }
  }
  const auto& map = best.map;
  theta = map.theta;
  model.converged = map.converged;
  model.covariance = at::cholesky_inverse(best.factor);
  model.alpha = best.alpha;
  model.log_evidence = best.log_evidence;
  model.weights = theta.slice(1, 0, d).contiguous();
  model.intercepts = options.fit_intercept() ? theta.select(1, d).contiguous() : at::zeros({problem.rows}, features.options());
  const double trace = (model.covariance.diagonal() * problem.prior.reshape({-1})).sum().item<double>();
  model.effective_parameters = weight_count - model.alpha * trace;
  check_finite_result(model.covariance, "logistic");
  check_finite_result(theta, "logistic");
  return model;
}

namespace {

at::Tensor design_of(const BayesianLogisticRegression& model, const at::Tensor& x) {
  if (x.dim() != 2 || x.size(1) != model.n_features()) {
    throw std::invalid_argument("logistic: expected " + std::to_string(model.n_features()) + " features per row");
  }
  const auto features = model.input_scaling.apply(x);
  if (!model.fit_intercept) return features.contiguous();
  return at::cat({features, at::ones({x.size(0), 1}, features.options())}, 1).contiguous();
}

at::Tensor parameters_of(const BayesianLogisticRegression& model) {
  return model.fit_intercept ? at::cat({model.weights, model.intercepts.unsqueeze(1)}, 1) : model.weights;
}

}  // namespace

std::pair<at::Tensor, at::Tensor> BayesianLogisticRegression::logit_distribution(const at::Tensor& x) const {
  const auto design = design_of(*this, x);
  const auto theta = parameters_of(*this);
  const int64_t k = theta.size(0), d = theta.size(1), n = design.size(0);
  auto mean = design.matmul(theta.t());
  // Sigma_a[n, k, j] = x_n^T Sigma_{kj} x_n with Sigma_{kj} the [d', d'] block of the covariance.
  const auto blocks = covariance.reshape({k, d, k, d});
  auto covariances = (at::einsum("ni,kijl->nkjl", {design, blocks}) * design.reshape({n, 1, 1, d})).sum(-1);
  if (k > 1) {
    const auto centring = at::eye(k, mean.options()) - 1.0 / static_cast<double>(k);
    mean = mean.matmul(centring);
    covariances = centring.matmul(covariances).matmul(centring);
  }
  return {mean, covariances};
}

at::Tensor BayesianLogisticRegression::map_probabilities(const at::Tensor& x) const {
  return probabilities_from_logits(design_of(*this, x).matmul(parameters_of(*this).t()));
}

at::Tensor BayesianLogisticRegression::probit_probabilities(const at::Tensor& x) const {
  const auto [mean, covariances] = logit_distribution(x);
  const auto variances = covariances.diagonal(0, 1, 2).clamp_min(0.0);
  return probabilities_from_logits(mean / at::sqrt(1.0 + M_PI * variances / 8.0));
}

at::Tensor BayesianLogisticRegression::sample_probabilities(const at::Tensor& x, int64_t samples, at::Generator& generator) const {
  return probabilities_under(x, sample_parameters(samples, generator));
}

at::Tensor BayesianLogisticRegression::sample_parameters(int64_t samples, at::Generator& generator) const {
  if (samples < 1) throw std::invalid_argument("logistic: needs at least one sample");
  const auto theta = parameters_of(*this);
  const int64_t k = theta.size(0), d = theta.size(1);
  const auto factor = at::linalg_cholesky(covariance);
  const auto noise = at::randn({samples, k * d}, generator, theta.options());
  return (theta.reshape({1, -1}) + noise.matmul(factor.t())).reshape({samples, k, d});
}

at::Tensor BayesianLogisticRegression::probabilities_under(const at::Tensor& x, const at::Tensor& parameter_draws) const {
  const auto design = design_of(*this, x);
  return probabilities_from_logits(at::matmul(design, parameter_draws.transpose(1, 2).to(design.options())));  // [S, n, K]
}

}  // namespace credence::classical

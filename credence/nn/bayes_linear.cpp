// BayesLinear: training-time estimators and batched Monte Carlo prediction.
#include "credence/nn/bayes_linear.h"

#include "credence/core/gaussian.h"
#include "credence/core/kl_divergence.h"
#include "credence/nn/sampling_cost.h"

#include <cmath>
#include <stdexcept>

namespace credence::nn {

Estimator estimator_from_string(const std::string& name) {
  if (name == "local" || name == "local_reparameterization") return Estimator::local_reparameterization;
  if (name == "reparam" || name == "reparameterization") return Estimator::reparameterization;
  if (name == "flipout") return Estimator::flipout;
  throw std::invalid_argument("unknown estimator '" + name + "' (expected local, reparam or flipout)");
}

std::string to_string(Estimator estimator) {
  switch (estimator) {
    case Estimator::local_reparameterization: return "local";
    case Estimator::reparameterization: return "reparam";
    case Estimator::flipout: return "flipout";
  }
  return "unknown";
}

BayesLinearImpl::BayesLinearImpl(const BayesLinearOptions& options_) : options(options_) { reset(); }

void BayesLinearImpl::reset() {
  core::validate(options.prior());
  if (options.in_features() <= 0 || options.out_features() <= 0) {
    throw std::invalid_argument("BayesLinear: in_features and out_features must be positive");
  }
  if (!(options.initial_sigma() > 0.0)) throw std::invalid_argument("BayesLinear: initial_sigma must be positive");
  weight_mu = register_parameter("weight_mu", at::empty({options.out_features(), options.in_features()}));
  weight_rho = register_parameter("weight_rho", at::empty({options.out_features(), options.in_features()}));
  if (options.bias()) {
    bias_mu = register_parameter("bias_mu", at::empty({options.out_features()}));
    bias_rho = register_parameter("bias_rho", at::empty({options.out_features()}));
  } else {
    bias_mu = register_parameter("bias_mu", at::Tensor(), /*requires_grad=*/false);
    bias_rho = register_parameter("bias_rho", at::Tensor(), /*requires_grad=*/false);
  }
  reset_parameters();
}

void BayesLinearImpl::reset_parameters() {
  at::NoGradGuard no_grad;
  // Means as torch::nn::Linear initialises its weights; every sigma starts at initial_sigma.
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.in_features()));
  const double rho = core::inverse_softplus(options.initial_sigma());
  weight_mu.uniform_(-bound, bound, generator_);
  weight_rho.fill_(rho);
  if (options.bias()) {
    bias_mu.uniform_(-bound, bound, generator_);
    bias_rho.fill_(rho);
  }
}

at::Tensor BayesLinearImpl::weight_sigma() const { return core::softplus(weight_rho); }
at::Tensor BayesLinearImpl::bias_sigma() const { return core::softplus(bias_rho); }

at::Tensor BayesLinearImpl::normal(at::IntArrayRef sizes) const {
  return at::randn(sizes, generator_, weight_mu.options().requires_grad(false));
}

at::Tensor BayesLinearImpl::random_signs(at::IntArrayRef sizes) const {
  return at::empty(sizes, weight_mu.options().requires_grad(false)).bernoulli_(0.5, generator_).mul_(2.0).sub_(1.0);
}

at::Tensor BayesLinearImpl::effective_bias_mu() const {
  return options.bias() ? bias_mu : at::zeros({options.out_features()}, weight_mu.options());
}

at::Tensor BayesLinearImpl::effective_bias_variance() const {
  if (!options.bias()) return at::zeros({options.out_features()}, weight_mu.options());
  auto s = bias_sigma();
  return s * s;
}

at::Tensor BayesLinearImpl::forward(const at::Tensor& x) {
  if (!sampling_) {
    return at::linear(x, weight_mu, options.bias() ? bias_mu : at::Tensor());
  }
  // sigma is kept for the kl() that follows in the same training step: softplus and its
  // backward over every weight are a large share of a step's element-wise work.
  cached_weight_sigma_ = weight_sigma();
  cached_bias_sigma_ = options.bias() ? bias_sigma() : at::Tensor();
  cached_rho_version_ = weight_rho._version();
  if (options.estimator() == Estimator::reparameterization) {
    auto w = weight_mu + cached_weight_sigma_ * normal(weight_mu.sizes());
    at::Tensor b;
    if (options.bias()) b = bias_mu + cached_bias_sigma_ * normal(bias_mu.sizes());
    last_weight_sample_ = w;
    last_bias_sample_ = b;
    return at::linear(x, w, b);
  }
  if (options.estimator() == Estimator::flipout) {
    // W = mu + dW with one dW = sigma * eps per pass; row n sees dW * (s_n r_n^T) for random
    // signs s_n, r_n, which leaves each row's weights distributed exactly as q while making
    // the rows' perturbations nearly independent: x dW_n = ((x * r_n) dW^T) * s_n.
    auto delta = cached_weight_sigma_ * normal(weight_mu.sizes());
    auto input_signs = random_signs(x.sizes());
    auto output_signs = random_signs({x.size(0), options.out_features()});
    auto perturbation = at::linear(x * input_signs, delta);
    if (options.bias()) perturbation = perturbation + cached_bias_sigma_ * normal(bias_mu.sizes());
    if (options.prior().kind() == core::PriorKind::scale_mixture) {
      // A weight sample for the Monte Carlo KL, as with plain reparameterization.
      last_weight_sample_ = weight_mu + delta;
      last_bias_sample_ = options.bias() ? bias_mu + cached_bias_sigma_ * normal(bias_mu.sizes()) : at::Tensor();
    }
    return at::linear(x, weight_mu, options.bias() ? bias_mu : at::Tensor()) + perturbation * output_signs;
  }
  auto mean = at::linear(x, weight_mu, options.bias() ? bias_mu : at::Tensor());
  auto bias_variance = options.bias() ? cached_bias_sigma_ * cached_bias_sigma_ : effective_bias_variance();
  auto variance = at::linear(x * x, cached_weight_sigma_ * cached_weight_sigma_, bias_variance);
  return mean + at::sqrt(variance + kPreActivationVarianceFloor) * normal(mean.sizes());
}

void BayesLinearImpl::hold_weight_samples(int64_t samples) {
  if (samples <= 0) throw std::invalid_argument("BayesLinear::hold_weight_samples: samples must be positive");
  at::NoGradGuard no_grad;
  const int64_t in = options.in_features();
  const int64_t out = options.out_features();
  held_weight_ = at::addcmul(weight_mu.t().unsqueeze(0), weight_sigma().t().unsqueeze(0), normal({samples, in, out}));
  held_bias_ = at::addcmul(effective_bias_mu(), at::sqrt(effective_bias_variance()), normal({samples, 1, out}));
}

void BayesLinearImpl::release_weight_samples() {
  held_weight_ = at::Tensor();
  held_bias_ = at::Tensor();
}

at::Tensor BayesLinearImpl::forward_samples(const at::Tensor& x, int64_t samples,
                                            c10::optional<SamplingStrategy> forced_strategy) {
  const bool shared = x.dim() == 2;
  if (!shared && (x.dim() != 3 || x.size(0) != samples)) {
    throw std::invalid_argument("BayesLinear::forward_samples: input must be [B, in] or [S, B, in]");
  }
  const int64_t rows = shared ? x.size(0) : x.size(1);
  const int64_t in = options.in_features();
  const int64_t out = options.out_features();
  if (!sampling_) {
    auto y = at::linear(x, weight_mu, options.bias() ? bias_mu : at::Tensor());
    return shared ? y.unsqueeze(0).expand({samples, rows, out}) : y;
  }
  if (!shared && held_weight_.defined() && held_weight_.size(0) == samples && !forced_strategy) {
    return at::baddbmm(held_bias_, x, held_weight_);
  }
  auto strategy = forced_strategy ? *forced_strategy : choose_sampling_strategy(samples, rows, in, out, shared);
  if (strategy == SamplingStrategy::pre_activations) {
    auto sigma = weight_sigma();
    auto mean = at::linear(x, weight_mu, options.bias() ? bias_mu : at::Tensor());
    auto variance = at::linear(x * x, sigma * sigma, effective_bias_variance());
    auto std = at::sqrt(variance);
    auto eps = normal({samples, rows, out});
    // Shared input: [B, out] broadcasts over the S samples.
    return at::addcmul(mean, std, eps);
  }
  // One weight matrix per sample: w[s] = mu + sigma * eps[s], stored as [S, in, out].
  auto w = at::addcmul(weight_mu.t().unsqueeze(0), weight_sigma().t().unsqueeze(0), normal({samples, in, out}));
  auto b = at::addcmul(effective_bias_mu(), at::sqrt(effective_bias_variance()), normal({samples, 1, out}));
  if (shared) {
    // One product [B, in] x [in, S*out], then reorder to [S, B, out].
    auto stacked = w.permute({1, 0, 2}).reshape({in, samples * out});
    auto y = at::mm(x, stacked).view({rows, samples, out}).permute({1, 0, 2});
    return y + b;
  }
  return at::baddbmm(b, x, w);
}

at::Tensor BayesLinearImpl::kl() {
  const auto& prior = options.prior();
  // The cache is stale once an optimiser step has changed rho in place.
  const bool fresh = cached_weight_sigma_.defined() && weight_rho._version() == cached_rho_version_;
  auto weight_sigma_now = fresh ? cached_weight_sigma_ : weight_sigma();
  auto bias_sigma_now = fresh ? cached_bias_sigma_ : (options.bias() ? bias_sigma() : at::Tensor());
  cached_weight_sigma_ = at::Tensor();
  cached_bias_sigma_ = at::Tensor();
  if (prior.kind() == core::PriorKind::gaussian) {
    auto total = core::kl_gaussian_closed_form(weight_mu, weight_sigma_now, prior.sigma());
    if (options.bias()) total = total + core::kl_gaussian_closed_form(bias_mu, bias_sigma_now, prior.sigma());
    return total;
  }
  at::Tensor w = last_weight_sample_;
  at::Tensor b = last_bias_sample_;
  const bool reuse = w.defined() && options.estimator() != Estimator::local_reparameterization && sampling_;
  if (!reuse) {
    w = weight_mu + weight_sigma_now * normal(weight_mu.sizes());
    if (options.bias()) b = bias_mu + bias_sigma_now * normal(bias_mu.sizes());
  }
  last_weight_sample_ = at::Tensor();
  last_bias_sample_ = at::Tensor();
  auto total = core::kl_monte_carlo(w, weight_mu, weight_sigma_now, prior);
  if (options.bias()) total = total + core::kl_monte_carlo(b, bias_mu, bias_sigma_now, prior);
  return total;
}

}  // namespace credence::nn

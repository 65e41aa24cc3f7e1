// FusedMlpStep: hand-written forward, backward and Adam for Mlp networks. Products go to BLAS
// through ATen; element-wise work over the weights is done in single passes written here.
#include "credence/inference/fused_mlp_step.h"

#include "credence/core/vector_math.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <stdexcept>

namespace credence::inference {

namespace {

constexpr double kHalfLogTwoPi = 0.91893853320467274178;
// torch::optim::Adam's defaults, which the autograd step uses.
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAdamEpsilon = 1e-8;
// Element-wise passes longer than this are split across the intra-op threads.
constexpr int64_t kParallelGrain = 32768;
// Below this many weights plain loops sum faster than ATen's separately dispatched reductions.
constexpr int64_t kScalarPassLimit = 2048;

struct AdamCoefficients {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, inverse_sqrt_bias_correction2, epsilon;
};

AdamCoefficients adam_coefficients(double learning_rate, int64_t step) {
  const double bias_correction1 = 1.0 - std::pow(kBeta1, static_cast<double>(step));
  const double bias_correction2 = 1.0 - std::pow(kBeta2, static_cast<double>(step));
  return {static_cast<float>(kBeta1),
          static_cast<float>(1.0 - kBeta1),
          static_cast<float>(kBeta2),
          static_cast<float>(1.0 - kBeta2),
          static_cast<float>(learning_rate / bias_correction1),
          static_cast<float>(1.0 / std::sqrt(bias_correction2)),
          static_cast<float>(kAdamEpsilon)};
}

// One Adam update of one element, in the order torch::optim::Adam (without amsgrad) computes it.
inline void adam_element(float& parameter, float gradient, float& first, float& second, const AdamCoefficients& c) {
  first = c.beta1 * first + c.one_minus_beta1 * gradient;
  second = c.beta2 * second + c.one_minus_beta2 * gradient * gradient;
  parameter -= c.step_size * first / (std::sqrt(second) * c.inverse_sqrt_bias_correction2 + c.epsilon);
}

// The loss gradient of one posterior weight w = mu + softplus(rho) eps from the data term's
// gradients with respect to mu and sigma^2 and the KL's gradients with respect to mu and sigma,
// scaled by kl_scale; dsigma/drho = sigmoid(rho). (Out-parameters rather than a returned pair:
// GCC does not vectorise loops over the pair.)
inline void posterior_gradient_given_kl(float sigma, float sigmoid_rho, float grad_mu_data, float grad_variance_data,
                                        float kl_grad_mu, float kl_grad_sigma, float kl_scale, float& grad_mu,
                                        float& grad_rho) {
  grad_mu = grad_mu_data + kl_scale * kl_grad_mu;
  grad_rho = (2.0f * sigma * grad_variance_data + kl_scale * kl_grad_sigma) * sigmoid_rho;
}

// The same with the closed-form Gaussian KL: dKL/dmu = mu / s_p^2, dKL/dsigma = sigma / s_p^2 - 1 / sigma.
inline void posterior_gradient(float mu, float sigma, float sigmoid_rho, float grad_mu_data, float grad_variance_data,
                               float kl_scale, float inverse_prior_variance, float& grad_mu, float& grad_rho) {
  posterior_gradient_given_kl(sigma, sigmoid_rho, grad_mu_data, grad_variance_data, mu * inverse_prior_variance,
                              sigma * inverse_prior_variance - 1.0f / sigma, kl_scale, grad_mu, grad_rho);
}

template <typename Body>
void for_each_element(int64_t n, const Body& body) {
  if (n <= kParallelGrain) {
    body(0, n);
  } else {
    at::parallel_for(0, n, kParallelGrain, body);
  }
}

float* data(const at::Tensor& t) { return t.data_ptr<float>(); }

// The hot loops are compiled for the x86-64 levels v4 (AVX-512), v3 (AVX2 with FMA) and the default,
// and picked at load time: Debian's default target (SSE2, no FMA) would process 4 floats at a time
// where the machine may take 8 or 16, and the polynomials below are chains of multiply-adds.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CREDENCE_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CREDENCE_VECTOR_CLONES
#endif

// sigma = softplus(rho), sigma^2, sigmoid(rho) and log sigma in one pass. (ATen 1.13's softplus
// alone, not vectorised, cost as much as a layer's forward product.)
CREDENCE_VECTOR_CLONES
void posterior_scales_range(const float* __restrict rho, float* __restrict sigma, float* __restrict variance,
                            float* __restrict sigmoid, float* __restrict log_sigma, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    core::vector_math::softplus_and_sigmoid(rho[i], sigma[i], sigmoid[i]);
    variance[i] = sigma[i] * sigma[i];
    log_sigma[i] = core::vector_math::log_positive(sigma[i]);
  }
}

// sigma = softplus(rho), sigma^2 and sigmoid(rho) of one parameter tensor, and the sums the KL needs.
struct PosteriorScales {
  at::Tensor sigma, variance, sigmoid;
  double sum_log_sigma = 0.0, sum_variance = 0.0, sum_mu_squared = 0.0;
};

PosteriorScales posterior_scales(const at::Tensor& mu, const at::Tensor& rho) {
  PosteriorScales s;
  const int64_t n = rho.numel();
  s.sigma = at::empty_like(rho);
  s.variance = at::empty_like(rho);
  s.sigmoid = at::empty_like(rho);
  auto log_sigma = at::empty_like(rho);
  const float* r = data(rho);
  float *sigma = data(s.sigma), *variance = data(s.variance), *sigmoid = data(s.sigmoid), *log = data(log_sigma);
  for_each_element(n, [&](int64_t begin, int64_t end) { posterior_scales_range(r, sigma, variance, sigmoid, log, begin, end); });
  if (n > kScalarPassLimit) {
    s.sum_log_sigma = log_sigma.sum().item<double>();
    s.sum_variance = s.variance.sum().item<double>();
    auto flat_mu = mu.reshape({-1});
    s.sum_mu_squared = at::dot(flat_mu, flat_mu).item<double>();
    return s;
  }
  const float* m = data(mu);
  for (int64_t i = 0; i < n; ++i) {
    s.sum_log_sigma += log[i];
    s.sum_variance += variance[i];
    s.sum_mu_squared += static_cast<double>(m[i]) * m[i];
  }
  return s;
}

double closed_form_kl(const PosteriorScales& s, int64_t n, double prior_variance) {
  return static_cast<double>(n) * (0.5 * std::log(prior_variance) - 0.5) - s.sum_log_sigma +
         (s.sum_variance + s.sum_mu_squared) / (2.0 * prior_variance);
}

CREDENCE_VECTOR_CLONES
void adam_range(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t begin,
                int64_t end, float weight_decay, AdamCoefficients c) {
  for (int64_t i = begin; i < end; ++i) adam_element(p[i], g[i] + weight_decay * p[i], m[i], v[i], c);
}

// Blundell et al.'s one-sample KL estimate against the scale-mixture prior, for w = mu + sigma eps:
// log q(w) - log p(w) = -log sigma - eps^2 / 2 - log(pi N(w; 0, s1^2) + (1 - pi) N(w; 0, s2^2)) + const,
// summed; with eps held fixed, dKL/dmu = w lambda and dKL/dsigma = eps w lambda - 1 / sigma, where
// lambda = r1 / s1^2 + r2 / s2^2 and r are the mixture's responsibilities for w.
struct MixtureKl {
  double value = 0.0;
  at::Tensor grad_mu, grad_sigma;
};

MixtureKl mixture_kl(const at::Tensor& mu, const at::Tensor& sigma, double sum_log_sigma, const at::Tensor& eps,
                     const core::PriorOptions& prior) {
  const double s1 = prior.sigma1(), s2 = prior.sigma2(), pi = prior.pi();
  auto w = at::addcmul(mu, sigma, eps);
  auto w_squared = w * w;
  auto wide = (std::log(pi) - std::log(s1)) - w_squared * (0.5 / (s1 * s1));
  auto narrow = (std::log1p(-pi) - std::log(s2)) - w_squared * (0.5 / (s2 * s2));
  auto log_prior = at::logaddexp(wide, narrow);
  auto lambda = at::exp(wide - log_prior) * (1.0 / (s1 * s1) - 1.0 / (s2 * s2)) + 1.0 / (s2 * s2);
  MixtureKl kl;
  kl.grad_mu = w * lambda;
  kl.grad_sigma = at::addcmul(sigma.reciprocal().neg_(), eps, kl.grad_mu);
  kl.value = -sum_log_sigma - 0.5 * (eps * eps).sum().item<double>() - log_prior.sum().item<double>();
  return kl;
}

void adam_update(const at::Tensor& parameter, const at::Tensor& gradient, at::Tensor& first, at::Tensor& second,
                 float weight_decay, const AdamCoefficients& c) {
  float* p = data(parameter);
  const float* g = data(gradient);
  float* m = data(first);
  float* v = data(second);
  for_each_element(parameter.numel(), [&](int64_t begin, int64_t end) { adam_range(p, g, m, v, begin, end, weight_decay, c); });
}

// The gradients and Adam updates of one posterior parameter's means and rhos, in one pass.
// (Plain pointer arguments: GCC does not vectorise the loop when they come in a struct.)
CREDENCE_VECTOR_CLONES
void posterior_adam_range(float* __restrict mu, float* __restrict rho, const float* __restrict sigma,
                          const float* __restrict sigmoid, const float* __restrict grad_mu,
                          const float* __restrict grad_variance, float* __restrict mu_first, float* __restrict mu_second,
                          float* __restrict rho_first, float* __restrict rho_second, int64_t begin, int64_t end,
                          float kl_scale, float inverse_prior_variance, float weight_decay, AdamCoefficients c) {
  for (int64_t i = begin; i < end; ++i) {
    float g_mu, g_rho;
    posterior_gradient(mu[i], sigma[i], sigmoid[i], grad_mu[i], grad_variance[i], kl_scale, inverse_prior_variance, g_mu,
                       g_rho);
    adam_element(mu[i], g_mu + weight_decay * mu[i], mu_first[i], mu_second[i], c);
    adam_element(rho[i], g_rho + weight_decay * rho[i], rho_first[i], rho_second[i], c);
  }
}

CREDENCE_VECTOR_CLONES
void posterior_adam_range_given_kl(float* __restrict mu, float* __restrict rho, const float* __restrict sigma,
                                   const float* __restrict sigmoid, const float* __restrict grad_mu,
                                   const float* __restrict grad_variance, const float* __restrict kl_grad_mu,
                                   const float* __restrict kl_grad_sigma, float* __restrict mu_first,
                                   float* __restrict mu_second, float* __restrict rho_first, float* __restrict rho_second,
                                   int64_t begin, int64_t end, float kl_scale, float weight_decay, AdamCoefficients c) {
  for (int64_t i = begin; i < end; ++i) {
    float g_mu, g_rho;
    posterior_gradient_given_kl(sigma[i], sigmoid[i], grad_mu[i], grad_variance[i], kl_grad_mu[i], kl_grad_sigma[i],
                                kl_scale, g_mu, g_rho);
    adam_element(mu[i], g_mu + weight_decay * mu[i], mu_first[i], mu_second[i], c);
    adam_element(rho[i], g_rho + weight_decay * rho[i], rho_first[i], rho_second[i], c);
  }
}

}  // namespace

std::string fused_step_unsupported_reason(const nn::Mlp& net) {
  const auto& o = net->options;
  if (o.method() == nn::Method::bbb) {
    if (o.estimator() != nn::Estimator::local_reparameterization) return "the estimator is not local reparameterization";
    for (const auto& layer : net->bayes_layers) {
      if (!layer->options.bias()) return "a layer has no bias";
    }
  }
  for (const auto& p : net->parameters()) {
    if (!p.device().is_cpu()) return "the parameters are not on the CPU";
    if (p.scalar_type() != at::kFloat) return "the parameters are not float32";
    if (!p.is_contiguous()) return "a parameter is not contiguous";
  }
  return "";
}

FusedMlpStep::FusedMlpStep(nn::Mlp net, GaussianLikelihood likelihood, FusedLoss loss, double weight_decay,
                           at::Generator generator)
    : net_(std::move(net)), likelihood_(std::move(likelihood)), loss_(loss), weight_decay_(weight_decay),
      generator_(std::move(generator)) {
  const auto reason = fused_step_unsupported_reason(net_);
  if (!reason.empty()) throw std::invalid_argument("FusedMlpStep: " + reason);
  if (loss_ == FusedLoss::gaussian && !likelihood_) throw std::invalid_argument("FusedMlpStep: a Gaussian loss needs its likelihood");
  const auto& o = net_->options;
  relu_ = o.activation() == nn::Activation::relu;
  const size_t count = o.hidden().size() + 1;
  auto zeros = [](const at::Tensor& t) { return AdamMoments{at::zeros_like(t), at::zeros_like(t)}; };
  for (size_t l = 0; l < count; ++l) {
    Layer layer;
    if (o.method() == nn::Method::bbb) {
      const auto& b = net_->bayes_layers[l];
      layer.bayesian = true;
      layer.weight = b->weight_mu;
      layer.bias = b->bias_mu;
      layer.weight_rho = b->weight_rho;
      layer.bias_rho = b->bias_rho;
      layer.weight_rho_moments = zeros(layer.weight_rho);
      layer.bias_rho_moments = zeros(layer.bias_rho);
      layer.prior = b->options.prior();
    } else {
      layer.weight = net_->linear_layers[l]->weight;
      layer.bias = net_->linear_layers[l]->bias;
    }
    layer.weight_moments = zeros(layer.weight);
    layer.bias_moments = zeros(layer.bias);
    if (o.method() == nn::Method::mcdropout) layer.dropout = l == 0 ? o.input_dropout() : o.dropout();
    layers_.push_back(layer);
  }
}

void FusedMlpStep::forward(const at::Tensor& x) {
  at::Tensor h = x;
  for (size_t l = 0; l < layers_.size(); ++l) {
    Layer& layer = layers_[l];
    if (layer.dropout > 0.0) {
      const double keep = 1.0 - layer.dropout;
      layer.mask = at::empty_like(h).bernoulli_(keep, generator_).mul_(1.0 / keep);
      layer.input = h * layer.mask;
    } else {
      layer.mask = at::Tensor();
      layer.input = h;
    }
    if (!layer.bayesian) {
      layer.pre_activation = at::addmm(layer.bias, layer.input, layer.weight.t());
    } else {
      layer.input_squared = layer.input * layer.input;
      auto mean = at::addmm(layer.bias, layer.input, layer.weight.t());
      auto variance = at::addmm(layer.bias_variance, layer.input_squared, layer.weight_variance.t());
      layer.noise = at::randn(mean.sizes(), generator_, mean.options());
      layer.stddev = at::empty_like(mean);
      float* __restrict z = data(mean);
      float* __restrict s = data(layer.stddev);
      const float* __restrict v = data(variance);
      const float* __restrict e = data(layer.noise);
      const float floor = static_cast<float>(nn::kPreActivationVarianceFloor);
      for (int64_t i = 0, n = mean.numel(); i < n; ++i) {
        s[i] = std::sqrt(v[i] + floor);
        z[i] += s[i] * e[i];
      }
      layer.pre_activation = mean;
    }
    if (l + 1 < layers_.size()) {
      layer.output = relu_ ? at::relu(layer.pre_activation) : at::tanh(layer.pre_activation);
      h = layer.output;
    }
  }
}

double FusedMlpStep::loss_and_output_gradient(const at::Tensor& y, at::Tensor& grad_output) {
  const auto& out = layers_.back().pre_activation;
  const int64_t rows = out.size(0), width = out.size(1);
  if (y.numel() != rows) throw std::invalid_argument("FusedMlpStep: expected one target per row");
  grad_output = at::empty_like(out);
  const float* z = data(out);
  float* g = data(grad_output);
  const double inverse_rows = 1.0 / static_cast<double>(rows);
  double total = 0.0;
  if (loss_ == FusedLoss::categorical) {
    const auto labels = y.to(at::kLong).contiguous();
    const int64_t* label = labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < rows; ++i) {
      const float* zi = z + i * width;
      float* gi = g + i * width;
      if (label[i] < 0 || label[i] >= width) {
        throw std::invalid_argument("FusedMlpStep: label " + std::to_string(label[i]) + " outside 0.." +
                                    std::to_string(width - 1));
      }
      float largest = zi[0];
      for (int64_t k = 1; k < width; ++k) largest = std::max(largest, zi[k]);
      double sum = 0.0;
      for (int64_t k = 0; k < width; ++k) sum += std::exp(static_cast<double>(zi[k] - largest));
      total += largest + std::log(sum) - zi[label[i]];
      for (int64_t k = 0; k < width; ++k) {
        const double p = std::exp(static_cast<double>(zi[k] - largest)) / sum;
        gi[k] = static_cast<float>((p - (k == label[i] ? 1.0 : 0.0)) * inverse_rows);
      }
    }
    grad_log_noise_variance_ = 0.0;
    return total * inverse_rows;
  }
  const auto noise = likelihood_->options.noise();
  const bool heteroscedastic = noise == NoiseModel::heteroscedastic;
  if (width != (heteroscedastic ? 2 : 1)) throw std::invalid_argument("FusedMlpStep: network output width does not fit the likelihood");
  const auto targets = y.to(at::kFloat).contiguous();
  const float* t = data(targets);
  const double shared_log_variance = heteroscedastic ? 0.0 : likelihood_->log_noise_variance.item<double>();
  double grad_shared = 0.0;
  // In float32, as the autograd step computes it: a term that overflows there must read as
  // infinite to the divergence check, not be rescued by double precision here and then poison
  // the float gradients.
  for (int64_t i = 0; i < rows; ++i) {
    const float log_variance = heteroscedastic ? z[i * width + 1] : static_cast<float>(shared_log_variance);
    const float residual = t[i] - z[i * width];
    const float precision = std::exp(-log_variance);
    const float scaled_square = 0.5f * precision * residual * residual;
    total += static_cast<double>(scaled_square) + 0.5 * log_variance + kHalfLogTwoPi;
    g[i * width] = static_cast<float>(-precision * residual * inverse_rows);
    const double grad_log_variance = (0.5 - scaled_square) * inverse_rows;
    if (heteroscedastic) {
      g[i * width + 1] = static_cast<float>(grad_log_variance);
    } else {
      grad_shared += grad_log_variance;
    }
  }
  grad_log_noise_variance_ = noise == NoiseModel::homoscedastic ? grad_shared : 0.0;
  return total * inverse_rows;
}

void FusedMlpStep::backward(at::Tensor g) {
  for (size_t l = layers_.size(); l-- > 0;) {
    Layer& layer = layers_[l];
    layer.grad_weight = at::mm(g.t(), layer.input);
    layer.grad_bias = g.sum(0);
    at::Tensor grad_variance;
    if (layer.bayesian) {
      // z = mean + sqrt(variance) eps, so d loss / d variance = g eps / (2 sqrt(variance)).
      grad_variance = at::empty_like(g);
      float* __restrict dv = data(grad_variance);
      const float* __restrict gz = data(g);
      const float* __restrict e = data(layer.noise);
      const float* __restrict s = data(layer.stddev);
      for (int64_t i = 0, n = g.numel(); i < n; ++i) dv[i] = gz[i] * e[i] / (2.0f * s[i]);
      layer.grad_weight_variance = at::mm(grad_variance.t(), layer.input_squared);
      layer.grad_bias_variance = grad_variance.sum(0);
    }
    if (l == 0) break;
    at::Tensor grad_input = at::mm(g, layer.weight);
    if (layer.bayesian) {
      // The variance path: variance = input^2 sigma^2, so d/d input = 2 input (grad_variance sigma^2).
      auto through_variance = at::mm(grad_variance, layer.weight_variance);
      float* __restrict gi = data(grad_input);
      const float* __restrict a = data(layer.input);
      const float* __restrict tv = data(through_variance);
      for (int64_t i = 0, n = grad_input.numel(); i < n; ++i) gi[i] += 2.0f * a[i] * tv[i];
    }
    if (layer.mask.defined()) grad_input.mul_(layer.mask);
    // Through the previous layer's activation.
    const Layer& previous = layers_[l - 1];
    float* __restrict gi = data(grad_input);
    const float* __restrict activation = data(previous.output);
    const int64_t n = grad_input.numel();
    if (relu_) {
      for (int64_t i = 0; i < n; ++i) gi[i] = activation[i] > 0.0f ? gi[i] : 0.0f;
    } else {
      for (int64_t i = 0; i < n; ++i) gi[i] *= 1.0f - activation[i] * activation[i];
    }
    g = grad_input;
  }
}

StepValues FusedMlpStep::evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale) {
  at::NoGradGuard no_grad;
  if (x.dim() != 2 || x.size(1) != net_->options.input()) {
    throw std::invalid_argument("FusedMlpStep: expected input of shape [rows, " + std::to_string(net_->options.input()) + "]");
  }
  kl_scale_ = kl_scale;
  double kl = 0.0;
  for (auto& layer : layers_) {
    if (!layer.bayesian) continue;
    auto w = posterior_scales(layer.weight, layer.weight_rho);
    auto b = posterior_scales(layer.bias, layer.bias_rho);
    layer.weight_sigma = w.sigma, layer.weight_variance = w.variance, layer.weight_sigmoid = w.sigmoid;
    layer.bias_sigma = b.sigma, layer.bias_variance = b.variance, layer.bias_sigmoid = b.sigmoid;
    if (layer.prior.kind() == core::PriorKind::gaussian) {
      const double prior_variance = layer.prior.sigma() * layer.prior.sigma();
      kl += closed_form_kl(w, layer.weight.numel(), prior_variance) + closed_form_kl(b, layer.bias.numel(), prior_variance);
      continue;
    }
    // A fresh weight sample for the KL alone, as BayesLinear does under local reparameterization.
    layer.weight_kl_noise = at::randn(layer.weight.sizes(), generator_, layer.weight.options());
    layer.bias_kl_noise = at::randn(layer.bias.sizes(), generator_, layer.bias.options());
    auto weight_kl = mixture_kl(layer.weight, w.sigma, w.sum_log_sigma, layer.weight_kl_noise, layer.prior);
    auto bias_kl = mixture_kl(layer.bias, b.sigma, b.sum_log_sigma, layer.bias_kl_noise, layer.prior);
    kl += weight_kl.value + bias_kl.value;
    layer.weight_kl_grad_mu = weight_kl.grad_mu, layer.weight_kl_grad_sigma = weight_kl.grad_sigma;
    layer.bias_kl_grad_mu = bias_kl.grad_mu, layer.bias_kl_grad_sigma = bias_kl.grad_sigma;
  }
  forward(x.to(at::kFloat).contiguous());
  at::Tensor grad_output;
  const double nll = loss_and_output_gradient(y, grad_output);
  backward(grad_output);
  return {nll, kl};
}

void FusedMlpStep::update(double learning_rate) {
  at::NoGradGuard no_grad;
  const auto c = adam_coefficients(learning_rate, ++adam_step_);
  const float decay = static_cast<float>(weight_decay_);
  const float kl_scale = static_cast<float>(kl_scale_);
  auto posterior_update = [&](const Layer& layer, const at::Tensor& mu, const at::Tensor& rho, const at::Tensor& sigma,
                              const at::Tensor& sigmoid, const at::Tensor& grad_mu, const at::Tensor& grad_variance,
                              const at::Tensor& kl_grad_mu, const at::Tensor& kl_grad_sigma, AdamMoments& mu_moments,
                              AdamMoments& rho_moments) {
    if (layer.prior.kind() == core::PriorKind::gaussian) {
      const float inverse_prior_variance = static_cast<float>(1.0 / (layer.prior.sigma() * layer.prior.sigma()));
      for_each_element(mu.numel(), [&](int64_t begin, int64_t end) {
        posterior_adam_range(data(mu), data(rho), data(sigma), data(sigmoid), data(grad_mu), data(grad_variance),
                             data(mu_moments.first), data(mu_moments.second), data(rho_moments.first),
                             data(rho_moments.second), begin, end, kl_scale, inverse_prior_variance, decay, c);
      });
      return;
    }
    for_each_element(mu.numel(), [&](int64_t begin, int64_t end) {
      posterior_adam_range_given_kl(data(mu), data(rho), data(sigma), data(sigmoid), data(grad_mu), data(grad_variance),
                                    data(kl_grad_mu), data(kl_grad_sigma), data(mu_moments.first),
                                    data(mu_moments.second), data(rho_moments.first), data(rho_moments.second), begin,
                                    end, kl_scale, decay, c);
    });
  };
  for (auto& layer : layers_) {
    if (layer.bayesian) {
      posterior_update(layer, layer.weight, layer.weight_rho, layer.weight_sigma, layer.weight_sigmoid, layer.grad_weight,
                       layer.grad_weight_variance, layer.weight_kl_grad_mu, layer.weight_kl_grad_sigma,
                       layer.weight_moments, layer.weight_rho_moments);
      posterior_update(layer, layer.bias, layer.bias_rho, layer.bias_sigma, layer.bias_sigmoid, layer.grad_bias,
                       layer.grad_bias_variance, layer.bias_kl_grad_mu, layer.bias_kl_grad_sigma, layer.bias_moments,
                       layer.bias_rho_moments);
    } else {
      adam_update(layer.weight, layer.grad_weight, layer.weight_moments.first, layer.weight_moments.second, decay, c);
      adam_update(layer.bias, layer.grad_bias, layer.bias_moments.first, layer.bias_moments.second, decay, c);
    }
  }
  if (loss_ == FusedLoss::gaussian && likelihood_->options.noise() == NoiseModel::homoscedastic) {
    // The likelihood's parameter has its own Adam group, without weight decay.
    float* s = data(likelihood_->log_noise_variance);
    float first = static_cast<float>(log_noise_first_), second = static_cast<float>(log_noise_second_);
    adam_element(*s, static_cast<float>(grad_log_noise_variance_), first, second, c);
    log_noise_first_ = first, log_noise_second_ = second;
  }
}

std::vector<at::Tensor> FusedMlpStep::gradients() const {
  std::vector<at::Tensor> out;
  const float kl_scale = static_cast<float>(kl_scale_);
  auto posterior = [&](const Layer& layer, const at::Tensor& mu_t, const at::Tensor& sigma_t, const at::Tensor& sigmoid_t,
                       const at::Tensor& grad_mu_t, const at::Tensor& grad_variance_t, const at::Tensor& kl_grad_mu_t,
                       const at::Tensor& kl_grad_sigma_t) {
    auto grad_mu = at::empty_like(mu_t), grad_rho = at::empty_like(mu_t);
    const bool gaussian = layer.prior.kind() == core::PriorKind::gaussian;
    const float inverse_prior_variance = static_cast<float>(1.0 / (layer.prior.sigma() * layer.prior.sigma()));
    for (int64_t i = 0, n = mu_t.numel(); i < n; ++i) {
      if (gaussian) {
        posterior_gradient(data(mu_t)[i], data(sigma_t)[i], data(sigmoid_t)[i], data(grad_mu_t)[i],
                           data(grad_variance_t)[i], kl_scale, inverse_prior_variance, data(grad_mu)[i], data(grad_rho)[i]);
      } else {
        posterior_gradient_given_kl(data(sigma_t)[i], data(sigmoid_t)[i], data(grad_mu_t)[i], data(grad_variance_t)[i],
                                    data(kl_grad_mu_t)[i], data(kl_grad_sigma_t)[i], kl_scale, data(grad_mu)[i],
                                    data(grad_rho)[i]);
      }
    }
    return std::make_pair(grad_mu, grad_rho);
  };
  for (const auto& layer : layers_) {
    if (layer.bayesian) {
      auto w = posterior(layer, layer.weight, layer.weight_sigma, layer.weight_sigmoid, layer.grad_weight,
                         layer.grad_weight_variance, layer.weight_kl_grad_mu, layer.weight_kl_grad_sigma);
      auto b = posterior(layer, layer.bias, layer.bias_sigma, layer.bias_sigmoid, layer.grad_bias, layer.grad_bias_variance,
                         layer.bias_kl_grad_mu, layer.bias_kl_grad_sigma);
      // BayesLinear registers weight_mu, weight_rho, bias_mu, bias_rho in that order.
      out.insert(out.end(), {w.first, w.second, b.first, b.second});
    } else {
      out.insert(out.end(), {layer.grad_weight, layer.grad_bias});
    }
  }
  if (loss_ == FusedLoss::gaussian && likelihood_->options.noise() == NoiseModel::homoscedastic) {
    out.push_back(at::full({}, grad_log_noise_variance_));
  }
  return out;
}

}  // namespace credence::inference

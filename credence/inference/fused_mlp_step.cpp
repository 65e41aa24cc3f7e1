// FusedMlpStep: hand-written forward, backward and Adam for dense chains. Products go to BLAS
// through ATen; element-wise work over the weights is done in single passes written here.
#include "credence/inference/fused_mlp_step.h"

#include "credence/core/gaussian.h"

#include "credence/core/normal_noise.h"
#include "credence/core/vector_math.h"
#include "credence/nn/mean_field_layer.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace credence::inference {

namespace {

// torch::optim::Adam's defaults, which the autograd step uses.
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAdamEpsilon = 1e-8;
// Element-wise passes longer than this are split across the intra-op threads.
constexpr int64_t kParallelGrain = 32768;

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

// Adam updates of a posterior weight's mean and rho together, with one division for both
// denominators: 1 / (d1 d2) times d2 and d1. (Each denominator is at least epsilon, so the product
// stays far from underflow; the result differs from two divisions by a rounding or two.)
inline void adam_pair(float& mu, float grad_mu, float& mu_first, float& mu_second, float& rho, float grad_rho,
                      float& rho_first, float& rho_second, const AdamCoefficients& c) {
  mu_first = c.beta1 * mu_first + c.one_minus_beta1 * grad_mu;
  mu_second = c.beta2 * mu_second + c.one_minus_beta2 * grad_mu * grad_mu;
  rho_first = c.beta1 * rho_first + c.one_minus_beta1 * grad_rho;
  rho_second = c.beta2 * rho_second + c.one_minus_beta2 * grad_rho * grad_rho;
  const float mu_denominator = std::sqrt(mu_second) * c.inverse_sqrt_bias_correction2 + c.epsilon;
  const float rho_denominator = std::sqrt(rho_second) * c.inverse_sqrt_bias_correction2 + c.epsilon;
  const float reciprocal = c.step_size / (mu_denominator * rho_denominator);
  mu -= mu_first * (rho_denominator * reciprocal);
  rho -= rho_first * (mu_denominator * reciprocal);
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

// The sums the KL needs over one posterior parameter: log sigma, sigma^2 and mu^2.
constexpr int kSumLogSigma = 0, kSumVariance = 1, kSumMuSquared = 2;
using ScaleSums = std::array<double, 3>;

// The pass over a posterior's weights that writes sigma = softplus(rho), sigma^2 and sigmoid(rho)
// also sums what the KL needs, in blocks of kScaleBlock elements: each block sums in kLanes
// independent float lanes (so the loop vectorises without reassociating a float sum), and the
// blocks' sums are added in double, in block order, whatever the number of threads. The sum of
// log sigma takes one logarithm per kLogRun elements of a lane: sigma = m 2^e with m in [1, 2), so
// the lane keeps the product of the mantissas (below 2^kLogRun) and the sum of the exponents.
// (ATen 1.13's softplus alone, not vectorised, cost as much as a layer's forward product; a pass
// per quantity, with fresh tensors each step, cost as much again.)
constexpr int64_t kScaleBlock = 4096;
constexpr int kLanes = 8;
constexpr int kLogRun = 16;

CREDENCE_VECTOR_CLONES
void posterior_scales_block(const float* __restrict mu, const float* __restrict rho, float* __restrict sigma,
                            float* __restrict variance, float* __restrict sigmoid, int64_t begin, int64_t end,
                            double* __restrict sums) {
  namespace vm = core::vector_math;
  float log_sigma_lanes[kLanes] = {}, variance_lanes[kLanes] = {}, mu_squared_lanes[kLanes] = {};
  float mantissa_product[kLanes];
  std::int32_t exponent_sum[kLanes];
  auto element = [&](int64_t i, int k) CREDENCE_INLINE {
    float s, g;
    vm::softplus_and_sigmoid(rho[i], s, g);
    sigma[i] = s;
    sigmoid[i] = g;
    variance[i] = s * s;
    variance_lanes[k] += s * s;
    mu_squared_lanes[k] += mu[i] * mu[i];
    const std::uint32_t bits = vm::to_bits(s);
    mantissa_product[k] *= vm::from_bits((bits & 0x007fffffu) | 0x3f800000u);
    exponent_sum[k] += static_cast<std::int32_t>(bits >> 23) - 127;
  };
  auto start_run = [&]() CREDENCE_INLINE {
    for (int k = 0; k < kLanes; ++k) mantissa_product[k] = 1.0f, exponent_sum[k] = 0;
  };
  auto end_run = [&]() CREDENCE_INLINE {
    for (int k = 0; k < kLanes; ++k) {
      log_sigma_lanes[k] += vm::log_positive(mantissa_product[k]) + static_cast<float>(exponent_sum[k]) * 0.693147180559945309f;
    }
  };
  int64_t i = begin;
  start_run();
  while (i + kLanes * kLogRun <= end) {
    for (int run = 0; run < kLogRun; ++run, i += kLanes) {
      for (int k = 0; k < kLanes; ++k) element(i + k, k);
    }
    end_run();
    start_run();
  }
  for (int k = 0; i < end; ++i, k = (k + 1) % kLanes) element(i, k);  // fewer than kLanes * kLogRun left
  end_run();
  for (int k = 0; k < kLanes; ++k) {
    sums[kSumLogSigma] += log_sigma_lanes[k];
    sums[kSumVariance] += variance_lanes[k];
    sums[kSumMuSquared] += mu_squared_lanes[k];
  }
}

// Runs block(begin, end, sums) over the blocks of n elements, across the intra-op threads when n
// is large, and returns the sums of all blocks.
template <typename Block>
ScaleSums over_scale_blocks(int64_t n, const Block& block) {
  const int64_t blocks = (n + kScaleBlock - 1) / kScaleBlock;
  std::vector<ScaleSums> block_sums(static_cast<size_t>(blocks), ScaleSums{});
  auto run = [&](int64_t first_block, int64_t last_block) {
    for (int64_t b = first_block; b < last_block; ++b) {
      block(b * kScaleBlock, std::min(n, (b + 1) * kScaleBlock), block_sums[static_cast<size_t>(b)].data());
    }
  };
  if (n <= kParallelGrain) {
    run(0, blocks);
  } else {
    at::parallel_for(0, blocks, kParallelGrain / kScaleBlock, run);
  }
  ScaleSums sums{};
  for (const auto& b : block_sums) {
    for (int q = 0; q < 3; ++q) sums[q] += b[q];
  }
  return sums;
}

// Fills one posterior parameter's sigma, sigma^2 and sigmoid buffers from its rho and returns the
// KL's sums.
ScaleSums posterior_scales(const at::Tensor& mu, const at::Tensor& rho, const at::Tensor& sigma,
                           const at::Tensor& variance, const at::Tensor& sigmoid) {
  const float *m = data(mu), *r = data(rho);
  float *s = data(sigma), *v = data(variance), *g = data(sigmoid);
  return over_scale_blocks(rho.numel(), [&](int64_t begin, int64_t end, double* sums) {
    posterior_scales_block(m, r, s, v, g, begin, end, sums);
  });
}

double closed_form_kl(const ScaleSums& s, int64_t n, double prior_variance) {
  return static_cast<double>(n) * (0.5 * std::log(prior_variance) - 0.5) - s[kSumLogSigma] +
         (s[kSumVariance] + s[kSumMuSquared]) / (2.0 * prior_variance);
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
    adam_pair(mu[i], g_mu + weight_decay * mu[i], mu_first[i], mu_second[i], rho[i], g_rho + weight_decay * rho[i],
              rho_first[i], rho_second[i], c);
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
    adam_pair(mu[i], g_mu + weight_decay * mu[i], mu_first[i], mu_second[i], rho[i], g_rho + weight_decay * rho[i],
              rho_first[i], rho_second[i], c);
  }
}

// z = mean + sqrt(variance + floor) eps in place of the mean, keeping the standard deviation.
CREDENCE_VECTOR_CLONES
void sample_pre_activations(float* __restrict z, float* __restrict stddev, const float* __restrict variance,
                            const float* __restrict eps, int64_t n) {
  const float floor = static_cast<float>(nn::kPreActivationVarianceFloor);
  for (int64_t i = 0; i < n; ++i) {
    stddev[i] = std::sqrt(variance[i] + floor);
    z[i] += stddev[i] * eps[i];
  }
}

// z = mean + sqrt(variance) eps, so d loss / d variance = g eps / (2 sqrt(variance)).
CREDENCE_VECTOR_CLONES
void variance_gradient(float* __restrict grad_variance, const float* __restrict g, const float* __restrict eps,
                       const float* __restrict stddev, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad_variance[i] = g[i] * eps[i] / (2.0f * stddev[i]);
}

// The variance path of the input gradient: variance = input^2 sigma^2, so d/d input adds
// 2 input (grad_variance sigma^2).
CREDENCE_VECTOR_CLONES
void add_variance_path(float* __restrict grad_input, const float* __restrict input,
                       const float* __restrict through_variance, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad_input[i] += 2.0f * input[i] * through_variance[i];
}

}  // namespace

std::string fused_step_unsupported_reason(const nn::Network& net) { return nn::dense_chain_unsupported_reason(net); }

FusedMlpStep::FusedMlpStep(nn::Network net, GaussianLikelihood likelihood, FusedLoss loss, double weight_decay,
                           at::Generator generator)
    : net_(std::move(net)), likelihood_(std::move(likelihood)), loss_(loss), weight_decay_(weight_decay),
      generator_(std::move(generator)) {
  const auto reason = fused_step_unsupported_reason(net_);
  if (!reason.empty()) throw std::invalid_argument("FusedMlpStep: " + reason);
  if (loss_ == FusedLoss::gaussian && !likelihood_) throw std::invalid_argument("FusedMlpStep: a Gaussian loss needs its likelihood");
  const auto chain = nn::dense_chain(net_);
  relu_ = chain.activation == nn::ActivationKind::relu;
  input_features_ = chain.input_features;
  auto zeros = [](const at::Tensor& t) { return AdamMoments{at::zeros_like(t), at::zeros_like(t)}; };
  for (const auto& link : chain.layers) {
    Layer layer;
    layer.bayesian = link.bayesian;
    layer.weight = link.weight;
    layer.bias = link.bias;
    if (link.bayesian) {
      layer.weight_rho = link.weight_rho;
      layer.bias_rho = link.bias_rho;
      layer.weight_rho_moments = zeros(layer.weight_rho);
      layer.bias_rho_moments = zeros(layer.bias_rho);
      layer.weight_sigma = at::empty_like(layer.weight_rho);
      layer.weight_variance = at::empty_like(layer.weight_rho);
      layer.weight_sigmoid = at::empty_like(layer.weight_rho);
      layer.bias_sigma = at::empty_like(layer.bias_rho);
      layer.bias_variance = at::empty_like(layer.bias_rho);
      layer.bias_sigmoid = at::empty_like(layer.bias_rho);
      layer.prior = link.prior;
      mark_removed_weights(layer);
    }
    layer.weight_moments = zeros(layer.weight);
    layer.bias_moments = zeros(layer.bias);
    layer.dropout = link.input_dropout;
    layers_.push_back(layer);
  }
}

void FusedMlpStep::mark_removed_weights(Layer& layer) {
  auto removed = [](const at::Tensor& rho) { return at::isinf(rho) & (rho < 0); };
  const auto weight_removed = removed(layer.weight_rho), bias_removed = removed(layer.bias_rho);
  const int64_t count = weight_removed.sum().item<int64_t>() + bias_removed.sum().item<int64_t>();
  if (count == 0) return;
  layer.weight_removed = weight_removed;
  layer.bias_removed = bias_removed;
  // What one removed weight adds to the KL as this step computes it: its sigma is the smallest
  // softplus gives (rho is clamped at -87), its mean 0. Closed form for a Gaussian prior; the
  // expectation over the sample's noise for the scale mixture, whose prior density is taken at 0.
  const auto one = at::full({1}, -std::numeric_limits<float>::infinity(), layer.weight_rho.options());
  const auto zero = at::zeros({1}, layer.weight_rho.options());
  const auto sums = posterior_scales(zero, one, at::empty_like(one), at::empty_like(one), at::empty_like(one));
  double per_weight;
  if (layer.prior.kind() == core::PriorKind::gaussian) {
    per_weight = closed_form_kl(sums, 1, layer.prior.sigma() * layer.prior.sigma());
  } else {
    const double s1 = layer.prior.sigma1(), s2 = layer.prior.sigma2(), pi = layer.prior.pi();
    const double wide = std::log(pi) - std::log(s1), narrow = std::log1p(-pi) - std::log(s2);
    const double log_prior_at_zero = std::max(wide, narrow) + std::log1p(std::exp(-std::abs(wide - narrow)));
    per_weight = -sums[kSumLogSigma] - 0.5 - log_prior_at_zero;
  }
  layer.removed_kl = per_weight * static_cast<double>(count);
}

void FusedMlpStep::hold_removed_weights(Layer& layer) {
  if (!layer.weight_removed.defined()) return;
  const double minus_infinity = -std::numeric_limits<double>::infinity();
  layer.weight.masked_fill_(layer.weight_removed, 0.0);
  layer.weight_rho.masked_fill_(layer.weight_removed, minus_infinity);
  layer.bias.masked_fill_(layer.bias_removed, 0.0);
  layer.bias_rho.masked_fill_(layer.bias_removed, minus_infinity);
}

void FusedMlpStep::forward(const at::Tensor& x) {
  at::Tensor h = x;
  for (size_t l = 0; l < layers_.size(); ++l) {
    Layer& layer = layers_[l];
    if (layer.dropout > 0.0) {
      const double keep = 1.0 - layer.dropout;
      layer.mask = part_rows(at::empty({part_total_, h.size(1)}, h.options()).bernoulli_(keep, generator_).mul_(1.0 / keep));
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
      layer.noise = part_rows(core::standard_normal({part_total_, mean.size(1)}, generator_));
      layer.stddev = at::empty_like(mean);
      sample_pre_activations(data(mean), data(layer.stddev), data(variance), data(layer.noise), mean.numel());
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
  // The part's rows over the whole minibatch's (the same when the step sees all of it).
  const double inverse_rows = 1.0 / static_cast<double>(part_total_);
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
    grad_log_noise_variance_.zero_();
    return total * inverse_rows;
  }
  const auto noise = likelihood_->options.noise();
  const bool heteroscedastic = noise == NoiseModel::heteroscedastic;
  if (width != (heteroscedastic ? 2 : 1)) throw std::invalid_argument("FusedMlpStep: network output width does not fit the likelihood");
  const auto targets = y.to(at::kFloat).contiguous();
  const float* t = data(targets);
  const double shared_log_variance = heteroscedastic ? 0.0 : likelihood_->log_noise_variance.item<double>();
  double grad_shared = 0.0;
  const bool bounded = heteroscedastic && likelihood_->bounded();
  // In float32, as the autograd step computes it: a term that overflows there must read as
  // infinite to the divergence check, not be rescued by double precision here and then poison
  // the float gradients.
  for (int64_t i = 0; i < rows; ++i) {
    float log_variance = heteroscedastic ? z[i * width + 1] : static_cast<float>(shared_log_variance);
    double log_variance_derivative = 1.0;
    if (bounded) {
      const auto [s, derivative] = likelihood_->log_variance_and_derivative(log_variance);
      log_variance = static_cast<float>(s);
      log_variance_derivative = derivative;
    }
    const float residual = t[i] - z[i * width];
    const float precision = std::exp(-log_variance);
    const float scaled_square = 0.5f * precision * residual * residual;
    total += static_cast<double>(scaled_square) + 0.5 * log_variance + core::kHalfLogTwoPi;
    g[i * width] = static_cast<float>(-precision * residual * inverse_rows);
    const double grad_log_variance = (0.5 - scaled_square) * inverse_rows;
    if (heteroscedastic) {
      g[i * width + 1] = static_cast<float>(grad_log_variance * log_variance_derivative);
    } else {
      grad_shared += grad_log_variance;
    }
  }
  grad_log_noise_variance_.fill_(noise == NoiseModel::homoscedastic ? grad_shared : 0.0);
  return total * inverse_rows;
}

void FusedMlpStep::backward(at::Tensor g) {
  for (size_t l = layers_.size(); l-- > 0;) {
    Layer& layer = layers_[l];
    layer.grad_weight = at::mm(g.t(), layer.input);
    layer.grad_bias = g.sum(0);
    at::Tensor grad_variance;
    if (layer.bayesian) {
      grad_variance = at::empty_like(g);
      variance_gradient(data(grad_variance), data(g), data(layer.noise), data(layer.stddev), g.numel());
      layer.grad_weight_variance = at::mm(grad_variance.t(), layer.input_squared);
      layer.grad_bias_variance = grad_variance.sum(0);
    }
    if (group_) {
      formed_.insert(formed_.end(), {layer.grad_weight, layer.grad_bias});
      if (layer.bayesian) formed_.insert(formed_.end(), {layer.grad_weight_variance, layer.grad_bias_variance});
      start_formed_sums(false);
    }
    if (l == 0) break;
    at::Tensor grad_input = at::mm(g, layer.weight);
    if (layer.bayesian) {
      auto through_variance = at::mm(grad_variance, layer.weight_variance);
      add_variance_path(data(grad_input), data(layer.input), data(through_variance), grad_input.numel());
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

void FusedMlpStep::start_formed_sums(bool last) {
  int64_t bytes = 0;
  for (const auto& t : formed_) bytes += t.numel() * static_cast<int64_t>(sizeof(float));
  if (formed_.empty() || (!last && bytes < kOverlapBytes)) return;
  pending_.push_back(group_->start_sum(std::move(formed_)));
  formed_.clear();
}

at::Tensor FusedMlpStep::part_rows(const at::Tensor& whole) const {
  if (part_rows_ == part_total_) return whole;
  return whole.narrow(0, part_first_, part_rows_).contiguous();
}

StepValues FusedMlpStep::evaluate(const at::Tensor& x, const at::Tensor& y, double kl_scale, const BatchPart& part) {
  at::NoGradGuard no_grad;
  if (x.dim() != 2 || x.size(1) != input_features_) {
    throw std::invalid_argument("FusedMlpStep: expected input of shape [rows, " + std::to_string(input_features_) + "]");
  }
  part_rows_ = x.size(0);
  part_first_ = part.total > 0 ? part.first : 0;
  part_total_ = part.total > 0 ? part.total : part_rows_;
  if (part_first_ < 0 || part_first_ + part_rows_ > part_total_) {
    throw std::invalid_argument("FusedMlpStep: rows " + std::to_string(part_first_) + ".." +
                                std::to_string(part_first_ + part_rows_) + " are not inside a minibatch of " +
                                std::to_string(part_total_));
  }
  kl_scale_ = kl_scale;
  double kl = 0.0;
  for (auto& layer : layers_) {
    if (!layer.bayesian) continue;
    const auto w = posterior_scales(layer.weight, layer.weight_rho, layer.weight_sigma, layer.weight_variance,
                                    layer.weight_sigmoid);
    const auto b = posterior_scales(layer.bias, layer.bias_rho, layer.bias_sigma, layer.bias_variance, layer.bias_sigmoid);
    if (layer.prior.kind() == core::PriorKind::gaussian) {
      const double prior_variance = layer.prior.sigma() * layer.prior.sigma();
      kl += closed_form_kl(w, layer.weight.numel(), prior_variance) + closed_form_kl(b, layer.bias.numel(), prior_variance) -
            layer.removed_kl;
      continue;
    }
    // A fresh weight sample for the KL alone, as BayesLinear does under local reparameterization.
    layer.weight_kl_noise = at::randn(layer.weight.sizes(), generator_, layer.weight.options());
    layer.bias_kl_noise = at::randn(layer.bias.sizes(), generator_, layer.bias.options());
    auto weight_kl = mixture_kl(layer.weight, layer.weight_sigma, w[kSumLogSigma], layer.weight_kl_noise, layer.prior);
    auto bias_kl = mixture_kl(layer.bias, layer.bias_sigma, b[kSumLogSigma], layer.bias_kl_noise, layer.prior);
    kl += weight_kl.value + bias_kl.value - layer.removed_kl;
    layer.weight_kl_grad_mu = weight_kl.grad_mu, layer.weight_kl_grad_sigma = weight_kl.grad_sigma;
    layer.bias_kl_grad_mu = bias_kl.grad_mu, layer.bias_kl_grad_sigma = bias_kl.grad_sigma;
  }
  forward(x.to(at::kFloat).contiguous());
  at::Tensor grad_output;
  const double nll = loss_and_output_gradient(y, grad_output);
  group_ = part.group;
  if (group_) formed_ = {grad_log_noise_variance_};
  backward(grad_output);
  if (group_) {
    start_formed_sums(true);
    for (auto& sum : pending_) sum->wait();
    pending_.clear();
  }
  // The KL's gradient is the same on every replica (the same parameters and, for the scale
  // mixture, the same draws): update() adds it whole, so only the data term's gradients are summed.
  return {nll, kl / static_cast<double>(part.replicas())};
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
      hold_removed_weights(layer);
    } else {
      adam_update(layer.weight, layer.grad_weight, layer.weight_moments.first, layer.weight_moments.second, decay, c);
      adam_update(layer.bias, layer.grad_bias, layer.bias_moments.first, layer.bias_moments.second, decay, c);
    }
  }
  if (loss_ == FusedLoss::gaussian && likelihood_->options.noise() == NoiseModel::homoscedastic) {
    // The likelihood's parameter has its own Adam group, without weight decay.
    float* s = data(likelihood_->log_noise_variance);
    float first = static_cast<float>(log_noise_first_), second = static_cast<float>(log_noise_second_);
    adam_element(*s, grad_log_noise_variance_.item<float>(), first, second, c);
    log_noise_first_ = first, log_noise_second_ = second;
  }
}

std::vector<at::Tensor> FusedMlpStep::state() const {
  std::vector<at::Tensor> out;
  out.push_back(at::tensor(std::vector<double>{static_cast<double>(adam_step_), log_noise_first_, log_noise_second_},
                           at::TensorOptions().dtype(at::kDouble)));
  for (const auto& layer : layers_) {
    for (const auto* moments : {&layer.weight_moments, &layer.bias_moments, &layer.weight_rho_moments, &layer.bias_rho_moments}) {
      out.push_back(moments->first.defined() ? moments->first.clone() : at::Tensor());
      out.push_back(moments->second.defined() ? moments->second.clone() : at::Tensor());
    }
  }
  return out;
}

void FusedMlpStep::load_state(const std::vector<at::Tensor>& state) {
  if (state.size() != 1 + 8 * layers_.size() || !state[0].defined() || state[0].numel() != 3) {
    throw std::invalid_argument("the saved optimiser state does not fit this network (fused step)");
  }
  const auto scalars = state[0].to(at::kDouble).contiguous();
  adam_step_ = static_cast<int64_t>(scalars[0].item<double>());
  log_noise_first_ = scalars[1].item<double>();
  log_noise_second_ = scalars[2].item<double>();
  size_t next = 1;
  at::NoGradGuard no_grad;
  for (auto& layer : layers_) {
    for (auto* moments : {&layer.weight_moments, &layer.bias_moments, &layer.weight_rho_moments, &layer.bias_rho_moments}) {
      for (auto* moment : {&moments->first, &moments->second}) {
        const auto& saved = state[next++];
        if (moment->defined() != saved.defined() || (saved.defined() && saved.sizes() != moment->sizes())) {
          throw std::invalid_argument("the saved optimiser state does not fit this network (fused step)");
        }
        if (saved.defined()) moment->copy_(saved);
      }
    }
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
      // A Bayesian layer registers weight_mu, weight_rho, bias_mu, bias_rho in that order.
      out.insert(out.end(), {w.first, w.second, b.first, b.second});
    } else {
      out.insert(out.end(), {layer.grad_weight, layer.grad_bias});
    }
  }
  if (loss_ == FusedLoss::gaussian && likelihood_->options.noise() == NoiseModel::homoscedastic) {
    out.push_back(grad_log_noise_variance_.reshape({}).clone());
  }
  return out;
}

}  // namespace credence::inference

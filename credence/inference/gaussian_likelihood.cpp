// Gaussian likelihoods and their negative log densities.
#include "credence/inference/gaussian_likelihood.h"

#include "credence/core/gaussian.h"

#include <cmath>
#include <stdexcept>

namespace credence::inference {

namespace {
}

NoiseModel noise_model_from_string(const std::string& name) {
  if (name == "fixed") return NoiseModel::fixed;
  if (name == "homoscedastic") return NoiseModel::homoscedastic;
  if (name == "heteroscedastic") return NoiseModel::heteroscedastic;
  throw std::invalid_argument("unknown likelihood '" + name + "' (expected fixed, homoscedastic or heteroscedastic)");
}

std::string to_string(NoiseModel noise) {
  switch (noise) {
    case NoiseModel::fixed: return "fixed";
    case NoiseModel::homoscedastic: return "homoscedastic";
    case NoiseModel::heteroscedastic: return "heteroscedastic";
  }
  return "unknown";
}

GaussianLikelihoodImpl::GaussianLikelihoodImpl(const GaussianLikelihoodOptions& options_) : options(options_) { reset(); }

void GaussianLikelihoodImpl::reset() {
  if (!(options.noise_variance() > 0.0) || !std::isfinite(options.noise_variance())) {
    throw std::invalid_argument("GaussianLikelihood: noise variance must be positive and finite");
  }
  if (!(options.min_log_variance() < options.max_log_variance())) {
    throw std::invalid_argument("GaussianLikelihood: the log-variance bounds must satisfy min < max");
  }
  if (options.targets() < 1) throw std::invalid_argument("GaussianLikelihood: at least one target expected");
  auto value = options.targets() == 1 ? at::full({}, std::log(options.noise_variance()))
                                      : at::full({options.targets()}, std::log(options.noise_variance()));
  if (options.noise() == NoiseModel::homoscedastic) {
    log_noise_variance = register_parameter("log_noise_variance", value);
  } else {
    log_noise_variance = register_buffer("log_noise_variance", value);
  }
}

bool GaussianLikelihoodImpl::bounded() const {
  return std::isfinite(options.min_log_variance()) || std::isfinite(options.max_log_variance());
}

namespace {

// log(1 + e^x) without overflow, and its derivative.
double softplus(double x) { return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

at::Tensor GaussianLikelihoodImpl::log_variance(const at::Tensor& raw) const {
  auto s = raw;
  if (std::isfinite(options.max_log_variance())) s = options.max_log_variance() - at::softplus(options.max_log_variance() - s);
  if (std::isfinite(options.min_log_variance())) s = options.min_log_variance() + at::softplus(s - options.min_log_variance());
  return s;
}

std::pair<double, double> GaussianLikelihoodImpl::log_variance_and_derivative(double raw) const {
  double s = raw, derivative = 1.0;
  if (std::isfinite(options.max_log_variance())) {
    derivative *= logistic(options.max_log_variance() - s);
    s = options.max_log_variance() - softplus(options.max_log_variance() - s);
  }
  if (std::isfinite(options.min_log_variance())) {
    derivative *= logistic(s - options.min_log_variance());
    s = options.min_log_variance() + softplus(s - options.min_log_variance());
  }
  return {s, derivative};
}

std::pair<at::Tensor, at::Tensor> GaussianLikelihoodImpl::log_variance_and_derivative(const at::Tensor& raw) const {
  auto s = raw;
  auto derivative = at::ones_like(raw);
  if (std::isfinite(options.max_log_variance())) {
    derivative = derivative * at::sigmoid(options.max_log_variance() - s);
    s = options.max_log_variance() - at::softplus(options.max_log_variance() - s);
  }
  if (std::isfinite(options.min_log_variance())) {
    derivative = derivative * at::sigmoid(s - options.min_log_variance());
    s = options.min_log_variance() + at::softplus(s - options.min_log_variance());
  }
  return {s, derivative};
}

int64_t GaussianLikelihoodImpl::output_width() const {
  return options.targets() * (options.noise() == NoiseModel::heteroscedastic ? 2 : 1);
}

at::Tensor GaussianLikelihoodImpl::per_target(const at::Tensor& outputs) const {
  if (outputs.size(-1) != output_width()) {
    throw std::invalid_argument("GaussianLikelihood: expected " + std::to_string(output_width()) + " outputs per row");
  }
  if (options.targets() == 1) return outputs;
  auto sizes = outputs.sizes().vec();
  sizes.back() = options.targets();
  sizes.push_back(output_width() / options.targets());
  return outputs.reshape(sizes);
}

std::pair<at::Tensor, at::Tensor> GaussianLikelihoodImpl::mean_and_variance(const at::Tensor& outputs) const {
  const auto grouped = per_target(outputs);
  auto mean = grouped.select(-1, 0);
  if (options.noise() == NoiseModel::heteroscedastic) return {mean, at::exp(log_variance(grouped.select(-1, 1)))};
  return {mean, at::exp(log_noise_variance).expand_as(mean)};
}

at::Tensor GaussianLikelihoodImpl::negative_log_likelihood(const at::Tensor& outputs, const at::Tensor& y) const {
  const auto grouped = per_target(outputs);
  auto mean = grouped.select(-1, 0);
  auto s = options.noise() == NoiseModel::heteroscedastic ? log_variance(grouped.select(-1, 1)) : log_noise_variance;
  auto residual = y - mean;
  return 0.5 * at::exp(-s) * residual * residual + 0.5 * s + core::kHalfLogTwoPi;
}

}  // namespace credence::inference

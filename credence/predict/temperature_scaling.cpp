// Fitting the softmax temperature on a validation split.
#include "credence/predict/temperature_scaling.h"

#include <cmath>
#include <stdexcept>

namespace credence::predict {

at::Tensor tempered_negative_log_likelihoods(const at::Tensor& logit_samples, const at::Tensor& labels, double temperature) {
  if (logit_samples.dim() != 3 || labels.dim() != 1 || logit_samples.size(1) != labels.size(0)) {
    throw std::invalid_argument("temperature scaling: expected logits [samples, rows, classes] and labels [rows]");
  }
  if (labels.size(0) == 0) throw std::invalid_argument("temperature scaling: no validation rows");
  if (!(temperature > 0.0)) throw std::invalid_argument("temperature scaling: the temperature must be positive");
  at::NoGradGuard no_grad;
  auto logits = logit_samples.to(at::kDouble);
  const int64_t samples = logits.size(0);
  auto index = labels.view({1, -1, 1}).expand({samples, labels.size(0), 1});
  auto log_p = at::log_softmax(logits / temperature, 2).gather(2, index).squeeze(2);  // [S, N]
  return std::log(static_cast<double>(samples)) - at::logsumexp(log_p, 0);
}

double tempered_negative_log_likelihood(const at::Tensor& logit_samples, const at::Tensor& labels, double temperature) {
  return tempered_negative_log_likelihoods(logit_samples, labels, temperature).mean().item<double>();
}

TemperatureFit fit_temperature(const at::Tensor& logit_samples, const at::Tensor& labels) {
  TemperatureFit fit;
  const auto at_one = tempered_negative_log_likelihoods(logit_samples, labels, 1.0);
  fit.nll_before = at_one.mean().item<double>();
  auto f = [&](double log_t) { return tempered_negative_log_likelihood(logit_samples, labels, std::exp(log_t)); };
  const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
  double a = std::log(1.0 / 20.0), b = std::log(20.0);
  double c = b - ratio * (b - a), d = a + ratio * (b - a);
  double fc = f(c), fd = f(d);
  for (int iteration = 0; iteration < 60 && b - a > 1e-6; ++iteration) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = f(d);
    }
  }
  const double log_t = 0.5 * (a + b);
  fit.fitted_temperature = std::exp(log_t);
  fit.nll_after = fit.nll_before;
  // The paired per-row differences at T = 1 and at the minimiser: their mean is the gain, and
  // their spread says how much of it another set of rows would keep.
  const auto difference = at_one - tempered_negative_log_likelihoods(logit_samples, labels, fit.fitted_temperature);
  const int64_t rows = difference.size(0);
  fit.improvement = difference.mean().item<double>();
  fit.improvement_standard_error =
      rows > 1 ? difference.std(/*unbiased=*/true).item<double>() / std::sqrt(static_cast<double>(rows)) : 0.0;
  if (std::isfinite(fit.improvement) && fit.improvement > kTemperatureEvidence * fit.improvement_standard_error &&
      fit.improvement > 0.0) {
    fit.kept = true;
    fit.temperature = fit.fitted_temperature;
    fit.nll_after = fit.nll_before - fit.improvement;
  }
  return fit;
}

}  // namespace credence::predict

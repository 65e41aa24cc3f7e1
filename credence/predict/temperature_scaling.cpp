// Fitting the softmax temperature on a validation split.
#include "credence/predict/temperature_scaling.h"

#include <cmath>
#include <stdexcept>

namespace credence::predict {

double tempered_negative_log_likelihood(const at::Tensor& logit_samples, const at::Tensor& labels, double temperature) {
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
  auto log_mean = at::logsumexp(log_p, 0) - std::log(static_cast<double>(samples));
  return -log_mean.mean().item<double>();
}

TemperatureFit fit_temperature(const at::Tensor& logit_samples, const at::Tensor& labels) {
  TemperatureFit fit;
  fit.nll_before = tempered_negative_log_likelihood(logit_samples, labels, 1.0);
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
  const double nll = f(log_t);
  if (std::isfinite(nll) && nll < fit.nll_before) {
    fit.temperature = std::exp(log_t);
    fit.nll_after = nll;
  } else {
    fit.temperature = 1.0;
    fit.nll_after = fit.nll_before;
  }
  return fit;
}

}  // namespace credence::predict

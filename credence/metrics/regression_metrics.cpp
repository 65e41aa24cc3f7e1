// Regression metrics.
#include "credence/metrics/regression_metrics.h"

#include "credence/core/gaussian.h"

#include <cmath>
#include <stdexcept>

namespace credence::metrics {

namespace {
void require_same_rows(const at::Tensor& a, const at::Tensor& b, const char* what) {
  if (a.size(-1) != b.size(-1)) throw std::invalid_argument(std::string(what) + ": predictions and targets differ in length");
  if (b.numel() == 0) throw std::invalid_argument(std::string(what) + ": no rows");
}
}  // namespace

double root_mean_squared_error(const at::Tensor& prediction, const at::Tensor& target) {
  require_same_rows(prediction, target, "rmse");
  auto residual = prediction.to(at::kDouble) - target.to(at::kDouble);
  return std::sqrt((residual * residual).mean().item<double>());
}

double mixture_negative_log_likelihood(const at::Tensor& means, const at::Tensor& variances, const at::Tensor& target) {
  return -mixture_log_density(means, variances, target).mean().item<double>();
}

at::Tensor mixture_log_density(const at::Tensor& means, const at::Tensor& variances, const at::Tensor& target) {
  require_same_rows(means, target, "nll");
  auto m = means.to(at::kDouble);
  auto v = variances.to(at::kDouble);
  auto y = target.to(at::kDouble).unsqueeze(0);
  auto log_density = core::gaussian_log_density(y, m, at::sqrt(v));  // [S, N]
  const double log_s = std::log(static_cast<double>(means.size(0)));
  return at::logsumexp(log_density, 0) - log_s;
}

Interval central_interval(const at::Tensor& mean, const at::Tensor& std, double level) {
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("interval level must lie in (0, 1)");
  const double z = core::standard_normal_quantile(0.5 + 0.5 * level);
  return {mean - z * std, mean + z * std};
}

double interval_coverage(const Interval& interval, const at::Tensor& target) {
  require_same_rows(interval.lower, target, "coverage");
  auto inside = (target >= interval.lower).logical_and(target <= interval.upper);
  return inside.to(at::kDouble).mean().item<double>();
}

double interval_mean_width(const Interval& interval) {
  return (interval.upper - interval.lower).to(at::kDouble).mean().item<double>();
}

}  // namespace credence::metrics

// Regression metrics: RMSE, predictive-mixture NLL, central-interval coverage and width.
#pragma once

#include <ATen/ATen.h>

namespace credence::metrics {

double root_mean_squared_error(const at::Tensor& prediction, const at::Tensor& target);

// Mean over rows of -log (1/S) sum_s N(y; means[s], variances[s]) (log-mean-exp, stable).
// means, variances: [S, N]; target: [N].
double mixture_negative_log_likelihood(const at::Tensor& means, const at::Tensor& variances, const at::Tensor& target);
// Per row: log (1/S) sum_s N(target; means[s], variances[s]), [N] float64 (the NLL above is minus its mean).
at::Tensor mixture_log_density(const at::Tensor& means, const at::Tensor& variances, const at::Tensor& target);

// Per-row central interval mean -/+ z std, z the standard normal quantile of (1 + level) / 2.
struct Interval {
  at::Tensor lower, upper;
};
Interval central_interval(const at::Tensor& mean, const at::Tensor& std, double level);

// Fraction of targets inside [lower, upper], and the mean width upper - lower.
double interval_coverage(const Interval& interval, const at::Tensor& target);
double interval_mean_width(const Interval& interval);

}  // namespace credence::metrics

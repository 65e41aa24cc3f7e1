// GaussianLikelihood: p(y | f) for regression with fixed, learned or input-dependent noise.
#pragma once

#include <ATen/ATen.h>
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <limits>
#include <string>
#include <utility>

namespace credence::inference {

enum class NoiseModel {
  fixed,           // known noise precision tau
  homoscedastic,   // one learned noise variance
  heteroscedastic  // the network outputs mean and log-variance s per row
};
NoiseModel noise_model_from_string(const std::string& name);
std::string to_string(NoiseModel noise);

struct GaussianLikelihoodOptions {
  TORCH_ARG(NoiseModel, noise) = NoiseModel::homoscedastic;
  // Noise variance (fixed) or its starting value (homoscedastic), in the units of the targets it sees.
  TORCH_ARG(double, noise_variance) = 1.0;
  // Heteroscedastic noise: the log-variance s is the network's raw output r squashed smoothly into
  // (min, max): s = min + softplus(u - min), u = max - softplus(max - r) (close to r well inside).
  // Without bounds (the infinite defaults, and models written before they existed) s = r: a head
  // left free extrapolates its variance without limit outside the data.
  TORCH_ARG(double, min_log_variance) = -std::numeric_limits<double>::infinity();
  TORCH_ARG(double, max_log_variance) = std::numeric_limits<double>::infinity();
  // Targets per row (a forecast's steps): the outputs are each target's group of output_width()
  // / targets values in turn; a learned or fixed noise variance is one per target.
  TORCH_ARG(int64_t, targets) = 1;
};

// The bounds fit_regression gives a heteroscedastic head on standardised targets (variance 1):
// a noise standard deviation between 1e-3 and 3 times the target's.
inline constexpr double kStandardisedMinLogVariance = -13.815510557964274;  // log(1e-6)
inline constexpr double kStandardisedMaxLogVariance = 2.1972245773362196;   // log(9)

class GaussianLikelihoodImpl : public torch::nn::Cloneable<GaussianLikelihoodImpl> {
 public:
  explicit GaussianLikelihoodImpl(const GaussianLikelihoodOptions& options = {});
  void reset() override;

  // Network outputs per row: per target 2 (mean, log-variance) for heteroscedastic noise, else 1.
  int64_t output_width() const;

  // outputs [..., output_width] -> (mean [...], noise variance [...]) for one target, ([..., targets]
  // each) for several.
  std::pair<at::Tensor, at::Tensor> mean_and_variance(const at::Tensor& outputs) const;

  bool bounded() const;
  // The heteroscedastic head's log-variance from the raw output r, and its derivative ds/dr.
  at::Tensor log_variance(const at::Tensor& raw) const;
  std::pair<double, double> log_variance_and_derivative(double raw) const;
  std::pair<at::Tensor, at::Tensor> log_variance_and_derivative(const at::Tensor& raw) const;

  // Element-wise -log N(y; f, sigma^2) = 0.5 exp(-s) (y - f)^2 + 0.5 s + 0.5 log(2 pi), s = log sigma^2;
  // y [...] for one target, [..., targets] for several.
  at::Tensor negative_log_likelihood(const at::Tensor& outputs, const at::Tensor& y) const;

  GaussianLikelihoodOptions options;
  // Learned (homoscedastic) or fixed log noise variance ([] for one target, [targets] for several);
  // unused for heteroscedastic noise.
  at::Tensor log_noise_variance;

 private:
  // outputs [..., output_width] as [..., targets, values per target] (several targets), or as they are.
  at::Tensor per_target(const at::Tensor& outputs) const;
};
TORCH_MODULE(GaussianLikelihood);

}  // namespace credence::inference

// Log densities of the weight priors.
#include "credence/core/prior.h"

#include "credence/core/gaussian.h"

#include <cmath>
#include <stdexcept>

namespace credence::core {

void validate(const PriorOptions& prior) {
  auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
  if (prior.kind() == PriorKind::gaussian) {
    if (!positive(prior.sigma())) throw std::invalid_argument("prior sigma must be positive and finite");
    return;
  }
  if (!(prior.pi() > 0.0 && prior.pi() < 1.0)) throw std::invalid_argument("prior pi must lie in (0, 1)");
  if (!positive(prior.sigma1())) throw std::invalid_argument("prior sigma1 must be positive and finite");
  if (!positive(prior.sigma2())) throw std::invalid_argument("prior sigma2 must be positive and finite");
}

at::Tensor prior_log_density(const PriorOptions& prior, const at::Tensor& w) {
  if (prior.kind() == PriorKind::gaussian) {
    return gaussian_log_density(w, 0.0, prior.sigma());
  }
  auto wide = std::log(prior.pi()) + gaussian_log_density(w, 0.0, prior.sigma1());
  auto narrow = std::log1p(-prior.pi()) + gaussian_log_density(w, 0.0, prior.sigma2());
  return at::logaddexp(wide, narrow);
}

PriorKind prior_kind_from_string(const std::string& name) {
  if (name == "gaussian") return PriorKind::gaussian;
  if (name == "mixture" || name == "scale-mixture") return PriorKind::scale_mixture;
  throw std::invalid_argument("unknown prior '" + name + "' (expected gaussian or mixture)");
}

std::string to_string(PriorKind kind) { return kind == PriorKind::gaussian ? "gaussian" : "mixture"; }

}  // namespace credence::core

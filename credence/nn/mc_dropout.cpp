// McDropout: Bernoulli masks drawn from the layer's generator.
#include "credence/nn/mc_dropout.h"

#include <stdexcept>

namespace credence::nn {

McDropoutImpl::McDropoutImpl(const McDropoutOptions& options_) : options(options_) { reset(); }

void McDropoutImpl::reset() {
  if (!(options.p() >= 0.0 && options.p() < 1.0)) {
    throw std::invalid_argument("McDropout: dropout probability must lie in [0, 1)");
  }
}

at::Tensor McDropoutImpl::mask(at::IntArrayRef sizes, const at::TensorOptions& tensor_options) const {
  const double keep = 1.0 - options.p();
  return at::empty(sizes, tensor_options.requires_grad(false)).bernoulli_(keep, generator_).div_(keep);
}

at::Tensor McDropoutImpl::forward(const at::Tensor& x) {
  if (options.p() == 0.0) return x;
  return x * mask(x.sizes(), x.options());
}

at::Tensor McDropoutImpl::forward_samples(const at::Tensor& x, int64_t samples) {
  if (x.dim() == 2) {
    if (options.p() == 0.0) return x.unsqueeze(0).expand({samples, x.size(0), x.size(1)});
    return x.unsqueeze(0) * mask({samples, x.size(0), x.size(1)}, x.options());
  }
  if (x.dim() != 3 || x.size(0) != samples) {
    throw std::invalid_argument("McDropout::forward_samples: input must be [B, d] or [S, B, d]");
  }
  return forward(x);
}

}  // namespace credence::nn

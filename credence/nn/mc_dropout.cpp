// McDropout: Bernoulli masks drawn from the layer's generator.
#include "credence/nn/mc_dropout.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

DropoutKind dropout_kind_from_string(const std::string& name) {
  if (name == "element") return DropoutKind::element;
  if (name == "channel") return DropoutKind::channel;
  throw std::invalid_argument("unknown dropout kind '" + name + "' (expected element or channel)");
}

std::string to_string(DropoutKind kind) { return kind == DropoutKind::element ? "element" : "channel"; }

McDropoutImpl::McDropoutImpl(const McDropoutOptions& options_) : options(options_) { reset(); }

void McDropoutImpl::reset() {
  if (!(options.p() >= 0.0 && options.p() < 1.0)) {
    throw std::invalid_argument("McDropout: dropout probability must lie in [0, 1)");
  }
}

std::shared_ptr<Layer> McDropoutImpl::from_spec(SpecFields& fields, const Shape& input) {
  McDropoutOptions options(fields.number_or("p", 0.05));
  if (!(options.p() >= 0.0 && options.p() < 1.0)) fields.fail("field 'p' must be a probability in [0, 1)");
  try {
    options.kind(dropout_kind_from_string(fields.string_or("kind", "element")));
  } catch (const std::invalid_argument& e) {
    fields.fail(e.what());
  }
  if (options.kind() == DropoutKind::channel && input.size() < 2) {
    fields.fail("channel-wise dropout needs a feature map [channels, ...], got " + to_string(input));
  }
  return std::make_shared<McDropoutImpl>(options);
}

nlohmann::json McDropoutImpl::spec() const {
  return {{"type", type()}, {"p", options.p()}, {"kind", to_string(options.kind())}};
}

Shape McDropoutImpl::output_shape(const Shape& input) const {
  if (options.kind() == DropoutKind::channel && input.size() < 2) {
    throw std::invalid_argument("channel-wise dropout needs a feature map [channels, ...], got " + to_string(input));
  }
  return input;
}

at::Tensor McDropoutImpl::mask(at::IntArrayRef sizes, const at::TensorOptions& tensor_options) const {
  const double keep = 1.0 - options.p();
  return at::empty(sizes, tensor_options.requires_grad(false)).bernoulli_(keep, generator_).div_(keep);
}

at::Tensor McDropoutImpl::forward(const at::Tensor& x) {
  if (!is_stochastic()) return x;
  auto sizes = x.sizes().vec();
  if (options.kind() == DropoutKind::channel) std::fill(sizes.begin() + 2, sizes.end(), 1);
  return x * mask(sizes, x.options());
}

SampleBatch McDropoutImpl::forward_samples(const SampleBatch& x) {
  if (!is_stochastic()) return x;
  if (!x.shared) return SampleBatch::per_sample(forward(x.values), x.samples);
  // [S, B, ...] masks over the shared rows.
  auto sizes = x.values.sizes().vec();
  if (options.kind() == DropoutKind::channel) std::fill(sizes.begin() + 2, sizes.end(), 1);
  sizes.insert(sizes.begin(), x.samples);
  auto y = x.values.unsqueeze(0) * mask(sizes, x.values.options());
  auto out = x.values.sizes().vec();
  out[0] *= x.samples;
  return SampleBatch::per_sample(y.reshape(out), x.samples);
}

}  // namespace credence::nn

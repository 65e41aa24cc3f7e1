// McDropout: Bernoulli masks drawn from the layer's generator.
#include "credence/nn/mc_dropout.h"

#include "credence/core/gaussian.h"
#include "credence/nn/spec_fields.h"

#include <ATen/CPUGeneratorImpl.h>

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

void McDropoutImpl::hold_weight_samples(int64_t samples, int64_t total_rows, const Shape& /*input*/, bool /*shared_input*/) {
  held_masks_ = core::RowKeyedNoise();
  if (!is_stochastic() || total_rows <= 0) return;
  auto generator = generator_ ? *generator_ : at::detail::getDefaultCPUGenerator();
  if (generator.device().is_cpu()) held_masks_ = core::RowKeyedNoise(generator, samples, total_rows);
}

at::Tensor McDropoutImpl::held_mask(const SampleBatch& x, at::IntArrayRef sizes) const {
  const int64_t rows = x.rows();
  if (!held_masks_.active() || held_masks_.samples() != x.samples || !x.values.device().is_cpu() ||
      x.first_row + rows > held_masks_.total_rows()) {
    return at::Tensor();
  }
  // Keep where a standard normal draw lies below the keep probability's quantile: Bernoulli(1 - p).
  const double keep = 1.0 - options.p();
  std::vector<int64_t> row(sizes.begin() + 1, sizes.end());
  auto z = held_masks_.standard_normal(x.first_row, rows, row);
  auto kept = z.lt(core::standard_normal_quantile(keep)).to(x.values.scalar_type()).div_(keep);
  return kept.view(sizes);
}

SampleBatch McDropoutImpl::forward_samples(const SampleBatch& x) {
  if (!is_stochastic()) return x;
  // Masks [S*B, ...] of the per-sample rows (size 1 over the positions for channel-wise dropout).
  auto sizes = x.values.sizes().vec();
  if (x.shared) sizes[0] *= x.samples;
  if (options.kind() == DropoutKind::channel) std::fill(sizes.begin() + 2, sizes.end(), 1);
  auto masks = held_mask(x, sizes);
  if (!x.shared) return x.as_per_sample(x.values * (masks.defined() ? masks : mask(sizes, x.values.options())));
  // [S, B, ...] masks over the shared rows.
  auto by_sample = x.values.sizes().vec();
  if (options.kind() == DropoutKind::channel) std::fill(by_sample.begin() + 2, by_sample.end(), 1);
  by_sample.insert(by_sample.begin(), x.samples);
  auto m = masks.defined() ? masks.view(by_sample) : mask(by_sample, x.values.options());
  auto y = x.values.unsqueeze(0) * m;
  auto out = x.values.sizes().vec();
  out[0] *= x.samples;
  return x.as_per_sample(y.reshape(out));
}

}  // namespace credence::nn

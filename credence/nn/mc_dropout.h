// McDropout: inverted dropout that stays stochastic at prediction time (Gal & Ghahramani 2016).
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Optional.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace credence::nn {

struct McDropoutOptions {
  /* implicit */ McDropoutOptions(double p = 0.05) : p_(p) {}
  // Probability of dropping a unit.
  TORCH_ARG(double, p);
};

class McDropoutImpl : public torch::nn::Cloneable<McDropoutImpl> {
 public:
  explicit McDropoutImpl(const McDropoutOptions& options = {});
  void reset() override;

  // Drops units with probability p and scales survivors by 1/(1-p), in training and
  // in prediction alike: the masks are the posterior samples.
  at::Tensor forward(const at::Tensor& x);
  // x: [B, d] (same input for every sample, expanded) or [S, B, d]; returns [S, B, d].
  at::Tensor forward_samples(const at::Tensor& x, int64_t samples);

  void set_generator(c10::optional<at::Generator> generator) { generator_ = std::move(generator); }

  McDropoutOptions options;

 private:
  at::Tensor mask(at::IntArrayRef sizes, const at::TensorOptions& tensor_options) const;
  c10::optional<at::Generator> generator_;
};
TORCH_MODULE(McDropout);

}  // namespace credence::nn

// BayesLinear: a fully connected layer with a diagonal Gaussian posterior over its weights
// (spec type "bayes_linear").
#pragma once

#include "credence/core/prior.h"
#include "credence/nn/mean_field_layer.h"

#include <torch/nn/pimpl.h>

namespace credence::nn {

class SpecFields;

struct BayesLinearOptions {
  BayesLinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(core::PriorOptions, prior) = {};
  TORCH_ARG(Estimator, estimator) = Estimator::local_reparameterization;
  TORCH_ARG(double, initial_sigma) = 1e-2;
};

class BayesLinearImpl : public LayerModule<BayesLinearImpl, MeanFieldLayer> {
 public:
  BayesLinearImpl(int64_t in_features, int64_t out_features)
      : BayesLinearImpl(BayesLinearOptions(in_features, out_features)) {}
  explicit BayesLinearImpl(const BayesLinearOptions& options);
  // From a spec's fields ("out_features", "bias", "prior", "estimator", "initial_sigma") for an input [in_features].
  static std::shared_ptr<Layer> from_spec(SpecFields& fields, const Shape& input);

  void reset() override;

  std::string type() const override { return "bayes_linear"; }
  nlohmann::json spec() const override;
  Shape output_shape(const Shape& input) const override;
  MeanFieldOptions mean_field_options() const override;

  BayesLinearOptions options;

 protected:
  at::Tensor apply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const override;
  at::Tensor apply_sampled_weights(const SampleBatch& x, const at::Tensor& weights, const at::Tensor& biases) const override;
  std::vector<int64_t> input_sign_sizes(const at::Tensor& x) const override;
  std::vector<int64_t> output_sign_sizes(const at::Tensor& y) const override;
  ProductCost product_cost(const Shape& input) const override;
  int64_t fan_in() const override { return options.in_features(); }
};
TORCH_MODULE(BayesLinear);

// A dense layer's input must be [in_features]: the check every dense layer shares.
void check_dense_input(const Shape& input, int64_t in_features);

// The product y = x W^T (+ b) for S weight samples [S, out, in] and biases [S, out] (may be
// undefined), on a shared [B, in] or per-sample [S*B, in] batch; returns [S*B, out].
at::Tensor dense_with_sampled_weights(const SampleBatch& x, const at::Tensor& weights, const at::Tensor& biases);

}  // namespace credence::nn

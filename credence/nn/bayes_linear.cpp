// BayesLinear: the dense operation on the shared mean-field machinery.
#include "credence/nn/bayes_linear.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

void check_dense_input(const Shape& input, int64_t in_features) {
  if (input.size() != 1) {
    throw std::invalid_argument("expects a flat input [features], got " + to_string(input) +
                                " (put a flatten layer before it)");
  }
  if (input[0] != in_features) {
    throw std::invalid_argument("expects " + std::to_string(in_features) + " input features, got " + to_string(input));
  }
}

at::Tensor dense_with_sampled_weights(const SampleBatch& x, const at::Tensor& weights, const at::Tensor& biases) {
  const int64_t samples = weights.size(0), out = weights.size(1), in = weights.size(2);
  const int64_t rows = x.rows();
  if (x.shared) {
    // One product [B, in] x [in, S*out], reordered to [S, B, out].
    auto stacked = weights.permute({2, 0, 1}).reshape({in, samples * out});
    auto y = at::mm(x.values, stacked).view({rows, samples, out}).permute({1, 0, 2});
    if (biases.defined()) y = y + biases.unsqueeze(1);
    return y.reshape({samples * rows, out});
  }
  auto by_sample = x.values.view({samples, rows, in});
  auto y = biases.defined() ? at::baddbmm(biases.unsqueeze(1), by_sample, weights.transpose(1, 2))
                            : at::bmm(by_sample, weights.transpose(1, 2));
  return y.view({samples * rows, out});
}

BayesLinearImpl::BayesLinearImpl(const BayesLinearOptions& options_) : options(options_) { reset(); }

void BayesLinearImpl::reset() {
  if (options.in_features() <= 0 || options.out_features() <= 0) {
    throw std::invalid_argument("BayesLinear: in_features and out_features must be positive");
  }
  register_posterior({options.out_features(), options.in_features()}, options.bias() ? options.out_features() : 0);
}

std::shared_ptr<Layer> BayesLinearImpl::from_spec(SpecFields& fields, const Shape& input) {
  if (input.size() != 1) fields.fail("expects a flat input [features], got " + to_string(input) + " (put a flatten layer before it)");
  const auto out_features = fields.positive_integer("out_features");
  const bool bias = fields.boolean_or("bias", true);
  const auto mean_field = read_mean_field_fields(fields);
  const auto options = BayesLinearOptions(input[0], out_features)
                           .bias(bias)
                           .prior(mean_field.prior())
                           .estimator(mean_field.estimator())
                           .initial_sigma(mean_field.initial_sigma());
  return std::make_shared<BayesLinearImpl>(options);
}

nlohmann::json BayesLinearImpl::spec() const {
  nlohmann::json j = {{"type", type()}, {"out_features", options.out_features()}, {"bias", options.bias()}};
  write_mean_field_fields(j, mean_field_options());
  return j;
}

Shape BayesLinearImpl::output_shape(const Shape& input) const {
  check_dense_input(input, options.in_features());
  return {options.out_features()};
}

MeanFieldOptions BayesLinearImpl::mean_field_options() const {
  return MeanFieldOptions().prior(options.prior()).estimator(options.estimator()).initial_sigma(options.initial_sigma());
}

at::Tensor BayesLinearImpl::apply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const {
  return at::linear(x, weight, bias);
}

at::Tensor BayesLinearImpl::apply_sampled_weights(const SampleBatch& x, const at::Tensor& weights,
                                                  const at::Tensor& biases) const {
  return dense_with_sampled_weights(x, weights, biases);
}

std::vector<int64_t> BayesLinearImpl::input_sign_sizes(const at::Tensor& x) const { return x.sizes().vec(); }
std::vector<int64_t> BayesLinearImpl::output_sign_sizes(const at::Tensor& y) const { return y.sizes().vec(); }

ProductCost BayesLinearImpl::product_cost(const Shape& /*input*/) const {
  const double in = static_cast<double>(options.in_features()), out = static_cast<double>(options.out_features());
  return {in * out, out, (options.in_features() + (options.bias() ? 1 : 0)) * options.out_features()};
}

}  // namespace credence::nn

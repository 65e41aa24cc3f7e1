// BayesRecurrent: the recurrences on the shared mean-field machinery.
#include "credence/nn/bayes_recurrent.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::nn {

BayesRecurrentImpl::BayesRecurrentImpl(const RecurrentOptions& options_, const MeanFieldOptions& mean_field)
    : options(options_), mean_field_(mean_field) {
  reset();
}

void BayesRecurrentImpl::reset() {
  if (options.input_size <= 0 || options.hidden_size <= 0) {
    throw std::invalid_argument(type() + ": input and hidden sizes must be positive");
  }
  if (mean_field_.estimator() == Estimator::local_reparameterization) {
    throw std::invalid_argument(type() + ": local reparameterization cannot keep one weight sample through time");
  }
  register_posterior({options.gates(), options.input_size + options.hidden_size}, options.bias ? options.gates() : 0);
}

std::shared_ptr<Layer> BayesRecurrentImpl::from_spec(SpecFields& fields, const Shape& input, CellKind kind) {
  const auto options = read_recurrent_fields(fields, input, kind);
  const auto mean_field = read_mean_field_fields(fields, Estimator::reparameterization);
  if (mean_field.estimator() == Estimator::local_reparameterization) {
    fields.fail("field 'estimator': local reparameterization would draw new weights at every time step; a recurrent "
                "layer keeps one weight sample through time (use reparam or flipout)");
  }
  return std::make_shared<BayesRecurrentImpl>(options, mean_field);
}

nlohmann::json BayesRecurrentImpl::spec() const {
  nlohmann::json j = {{"type", type()}};
  write_recurrent_fields(j, options);
  write_mean_field_fields(j, mean_field_);
  return j;
}

at::Tensor BayesRecurrentImpl::apply(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const {
  return run_recurrence(options, x.unsqueeze(0), split_recurrent_weight(weight, bias, options.input_size)).squeeze(0);
}

at::Tensor BayesRecurrentImpl::apply_sampled_weights(const SampleBatch& x, const at::Tensor& weights,
                                                     const at::Tensor& biases) const {
  auto inputs = x.shared ? x.values.unsqueeze(0) : as_groups(x.values, x.samples);
  return from_groups(run_recurrence(options, inputs, split_recurrent_weight(weights, biases, options.input_size)));
}

at::Tensor BayesRecurrentImpl::apply_flipout(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& b_mu,
                                             const at::Tensor& delta, const at::Tensor& bias_delta) const {
  // Row n's weights are mu + delta * (s_n r_n^T): its gates get (v * r_n) delta^T * s_n for each
  // product input v (the step's input, the state), with one pair of sign vectors per sequence.
  const int64_t rows = x.size(0), in = options.input_size, hidden = options.hidden_size;
  const auto input_signs = random_signs({rows, in + hidden});
  const auto output_signs = random_signs({rows, options.gates()});
  const auto perturbation_weights = split_recurrent_weight(delta, bias_delta, in);
  const auto r_input = input_signs.narrow(1, 0, in).unsqueeze(1), r_state = input_signs.narrow(1, in, hidden);
  auto input_term = at::matmul(x * r_input, perturbation_weights.input.t());
  if (bias_delta.defined()) input_term = input_term + bias_delta;
  GatePerturbation perturbation;
  perturbation.input = (input_term * output_signs.unsqueeze(1)).unsqueeze(0);
  const auto hidden_delta = perturbation_weights.hidden;
  perturbation.state = [r_state, hidden_delta, output_signs](const at::Tensor& state) {
    return at::matmul(state * r_state, hidden_delta.t()) * output_signs;
  };
  return run_recurrence(options, x.unsqueeze(0), split_recurrent_weight(mu, b_mu, in), {}, {}, &perturbation).squeeze(0);
}

SampleBatch BayesRecurrentImpl::forward_samples(const SampleBatch& x) {
  if (!sampling()) return x.with_values(forward(x.values));
  const auto [weights, biases] = weight_samples(x.samples);
  return x.as_per_sample(apply_sampled_weights(x, weights, biases));
}

void BayesRecurrentImpl::hold_weight_samples(int64_t samples, int64_t /*total_rows*/, const Shape& /*input*/,
                                             bool /*shared_input*/) {
  if (sampling()) MeanFieldLayer::hold_weight_samples(samples);
}

std::vector<int64_t> BayesRecurrentImpl::input_sign_sizes(const at::Tensor& x) const { return {x.size(0), 1, x.size(2)}; }
std::vector<int64_t> BayesRecurrentImpl::output_sign_sizes(const at::Tensor& y) const { return {y.size(0), 1, y.size(-1)}; }

ProductCost BayesRecurrentImpl::product_cost(const Shape& input) const {
  const double steps = input.empty() ? 1.0 : static_cast<double>(input[0]);
  const double gates = static_cast<double>(options.gates());
  const int64_t weights = options.gates() * (options.input_size + options.hidden_size + (options.bias ? 1 : 0));
  return {steps * gates * static_cast<double>(options.input_size + options.hidden_size), steps * gates, weights};
}

}  // namespace credence::nn

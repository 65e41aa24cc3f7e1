// Recurrent: the deterministic LSTM and GRU layers.
#include "credence/nn/recurrent.h"

#include "credence/nn/spec_fields.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <stdexcept>

namespace credence::nn {

RecurrentImpl::RecurrentImpl(const RecurrentOptions& options_, double dropout) : options(options_), dropout_p_(dropout) {
  reset();
}

void RecurrentImpl::reset() {
  if (options.input_size <= 0 || options.hidden_size <= 0) {
    throw std::invalid_argument(type() + ": input and hidden sizes must be positive");
  }
  weight = register_parameter("weight", at::empty({options.gates(), options.input_size + options.hidden_size}));
  bias = options.bias ? register_parameter("bias", at::empty({options.gates()})) : at::Tensor();
  dropout_ = register_module("dropout", McDropout(McDropoutOptions(dropout_p_)));
  dropout_->set_generator(generator_);
  reset_parameters();
}

void RecurrentImpl::reset_parameters() {
  at::NoGradGuard no_grad;
  // As torch::nn::LSTM and GRU: uniform within 1 / sqrt(hidden_size).
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.hidden_size));
  weight.uniform_(-bound, bound, generator_);
  if (bias.defined()) bias.uniform_(-bound, bound, generator_);
}

void RecurrentImpl::set_generator(c10::optional<at::Generator> generator) {
  generator_ = generator;
  dropout_->set_generator(std::move(generator));
}

std::shared_ptr<Layer> RecurrentImpl::from_spec(SpecFields& fields, const Shape& input, CellKind kind) {
  const auto options = read_recurrent_fields(fields, input, kind);
  const double dropout = fields.number_or("dropout", 0.0);
  if (!(dropout >= 0.0 && dropout < 1.0)) fields.fail("field 'dropout' must be a probability in [0, 1)");
  return std::make_shared<RecurrentImpl>(options, dropout);
}

nlohmann::json RecurrentImpl::spec() const {
  nlohmann::json j = {{"type", type()}};
  write_recurrent_fields(j, options);
  j["dropout"] = dropout();
  return j;
}

SampleBatch RecurrentImpl::masks(const SampleBatch& x) {
  const auto width = options.input_size + options.hidden_size;
  return dropout_->forward_samples(x.with_values(at::ones({x.values.size(0), width}, x.values.options())));
}

at::Tensor RecurrentImpl::run(const at::Tensor& inputs, const at::Tensor& masks) const {
  const auto weights = split_recurrent_weight(weight, bias, options.input_size);
  if (!masks.defined()) return run_recurrence(options, inputs, weights);
  return run_recurrence(options, inputs, weights, masks.narrow(2, 0, options.input_size),
                        masks.narrow(2, options.input_size, options.hidden_size));
}

at::Tensor RecurrentImpl::forward(const at::Tensor& x) {
  at::Tensor m;
  if (is_stochastic()) m = dropout_->forward(at::ones({x.size(0), options.input_size + options.hidden_size}, x.options())).unsqueeze(0);
  return run(x.unsqueeze(0), m).squeeze(0);
}

SampleBatch RecurrentImpl::forward_samples(const SampleBatch& x) {
  if (!is_stochastic()) return x.with_values(forward(x.values));
  auto inputs = x.shared ? x.values.unsqueeze(0) : as_groups(x.values, x.samples);
  return x.as_per_sample(from_groups(run(inputs, as_groups(masks(x).values, x.samples))));
}

void RecurrentImpl::hold_weight_samples(int64_t samples, int64_t total_rows, const Shape& /*input*/, bool shared_input) {
  dropout_->hold_weight_samples(samples, total_rows, {options.input_size + options.hidden_size}, shared_input);
}

}  // namespace credence::nn

// Mlp: layer construction and the single-pass and batched Monte Carlo forward passes.
#include "credence/nn/mlp.h"

#include <cmath>
#include <stdexcept>

namespace credence::nn {

Method method_from_string(const std::string& name) {
  if (name == "bbb") return Method::bbb;
  if (name == "mcdropout") return Method::mcdropout;
  if (name == "deterministic") return Method::deterministic;
  throw std::invalid_argument("unknown method '" + name + "' (expected bbb, mcdropout or deterministic)");
}

std::string to_string(Method method) {
  switch (method) {
    case Method::bbb: return "bbb";
    case Method::mcdropout: return "mcdropout";
    case Method::deterministic: return "deterministic";
  }
  return "unknown";
}

Activation activation_from_string(const std::string& name) {
  if (name == "relu") return Activation::relu;
  if (name == "tanh") return Activation::tanh;
  throw std::invalid_argument("unknown activation '" + name + "' (expected relu or tanh)");
}

std::string to_string(Activation activation) { return activation == Activation::relu ? "relu" : "tanh"; }

MlpImpl::MlpImpl(const MlpOptions& options_) : options(options_) { reset(); }

void MlpImpl::reset() {
  if (options.input() <= 0 || options.output() <= 0) throw std::invalid_argument("Mlp: input and output sizes must be positive");
  for (auto h : options.hidden()) {
    if (h <= 0) throw std::invalid_argument("Mlp: hidden layer sizes must be positive");
  }
  bayes_layers.clear();
  linear_layers.clear();
  dropouts.clear();
  input_dropout = nullptr;
  if (options.method() == Method::mcdropout && options.input_dropout() > 0.0) {
    input_dropout = register_module("input_dropout", McDropout(options.input_dropout()));
  }
  std::vector<int64_t> sizes{options.input()};
  sizes.insert(sizes.end(), options.hidden().begin(), options.hidden().end());
  sizes.push_back(options.output());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    const std::string name = "layer" + std::to_string(i);
    if (options.method() == Method::bbb) {
      auto layer_options = BayesLinearOptions(sizes[i], sizes[i + 1])
                               .prior(options.prior())
                               .estimator(options.estimator())
                               .initial_sigma(options.initial_sigma());
      bayes_layers.push_back(register_module(name, BayesLinear(layer_options)));
    } else {
      linear_layers.push_back(register_module(name, torch::nn::Linear(sizes[i], sizes[i + 1])));
      if (options.method() == Method::mcdropout && i > 0) {
        dropouts.push_back(register_module("dropout" + std::to_string(i), McDropout(options.dropout())));
      }
    }
  }
  set_generator(generator_);
  reset_parameters();
}

size_t MlpImpl::layer_count() const { return options.hidden().size() + 1; }

void MlpImpl::set_sampling(bool sampling) {
  sampling_ = sampling;
  for (auto& layer : bayes_layers) layer->set_sampling(sampling);
}

void MlpImpl::set_generator(c10::optional<at::Generator> generator) {
  generator_ = generator;
  for (auto& layer : bayes_layers) layer->set_generator(generator);
  for (auto& dropout : dropouts) dropout->set_generator(generator);
  if (input_dropout) input_dropout->set_generator(generator);
}

void MlpImpl::reset_parameters() {
  at::NoGradGuard no_grad;
  for (auto& layer : bayes_layers) layer->reset_parameters();
  for (auto& layer : linear_layers) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(layer->options.in_features()));
    layer->weight.uniform_(-bound, bound, generator_);
    layer->bias.uniform_(-bound, bound, generator_);
  }
}

bool MlpImpl::is_stochastic() const {
  if (options.method() == Method::bbb) return sampling_;
  if (options.method() == Method::mcdropout) {
    return (options.dropout() > 0.0 && options.hidden().size() > 0) || options.input_dropout() > 0.0;
  }
  return false;
}

at::Tensor MlpImpl::activate(const at::Tensor& x) const {
  return options.activation() == Activation::relu ? at::relu(x) : at::tanh(x);
}

at::Tensor MlpImpl::apply_layer(size_t index, const at::Tensor& x) {
  if (options.method() == Method::bbb) return bayes_layers[index]->forward(x);
  return linear_layers[index]->forward(x);
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
  if (x.dim() != 2 || x.size(1) != options.input()) {
    throw std::invalid_argument("Mlp: expected input of shape [rows, " + std::to_string(options.input()) + "]");
  }
  at::Tensor h = input_dropout ? input_dropout->forward(x) : x;
  for (size_t i = 0; i < layer_count(); ++i) {
    if (options.method() == Method::mcdropout && i > 0) h = dropouts[i - 1]->forward(h);
    h = apply_layer(i, h);
    if (i + 1 < layer_count()) h = activate(h);
  }
  return h;
}

at::Tensor MlpImpl::forward_samples(const at::Tensor& x, int64_t samples) {
  if (x.dim() != 2 || x.size(1) != options.input()) {
    throw std::invalid_argument("Mlp: expected input of shape [rows, " + std::to_string(options.input()) + "]");
  }
  if (samples <= 0) throw std::invalid_argument("Mlp::forward_samples: samples must be positive");
  // h stays [B, d] while it is the same for every sample, and becomes [S, B, d] once it differs.
  at::Tensor h = input_dropout ? input_dropout->forward_samples(x, samples) : x;
  for (size_t i = 0; i < layer_count(); ++i) {
    if (options.method() == Method::bbb) {
      h = bayes_layers[i]->forward_samples(h, samples);
    } else {
      if (options.method() == Method::mcdropout && i > 0) h = dropouts[i - 1]->forward_samples(h, samples);
      h = linear_layers[i]->forward(h);
    }
    if (i + 1 < layer_count()) h = activate(h);
  }
  if (h.dim() == 2) h = h.unsqueeze(0).expand({samples, h.size(0), h.size(1)});
  return h;
}

void MlpImpl::hold_weight_samples(int64_t samples, int64_t total_rows) {
  if (options.method() != Method::bbb || !sampling_) return;
  for (size_t i = 1; i < bayes_layers.size(); ++i) {
    auto& layer = bayes_layers[i];
    const int64_t in = layer->options.in_features(), out = layer->options.out_features();
    const bool affordable = samples * in * out <= kMaxWeightSampleElements;
    if (affordable && choose_sampling_strategy(samples, total_rows, in, out, false) == SamplingStrategy::weights) {
      layer->hold_weight_samples(samples);
    }
  }
}

void MlpImpl::release_weight_samples() {
  for (auto& layer : bayes_layers) layer->release_weight_samples();
}

at::Tensor MlpImpl::kl() {
  at::Tensor total;
  for (auto& layer : bayes_layers) {
    auto term = layer->kl();
    total = total.defined() ? total + term : term;
  }
  if (!total.defined()) {
    auto reference = linear_layers.empty() ? at::Tensor() : linear_layers.front()->weight;
    return at::zeros({}, reference.defined() ? reference.options().requires_grad(false) : at::TensorOptions());
  }
  return total;
}

}  // namespace credence::nn

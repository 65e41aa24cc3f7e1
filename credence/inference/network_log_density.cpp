// The log posterior of a network's flat weights: full-batch or minibatch log-likelihood plus the priors.
#include "credence/inference/network_log_density.h"

#include "credence/core/gaussian.h"

#include "credence/inference/categorical_likelihood.h"
#include "credence/nn/dense_chain.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/utils/convert_parameters.h>

#include <cmath>
#include <stdexcept>

namespace credence::inference {

namespace {
}

NetworkLogDensity::NetworkLogDensity(const nn::Network& net, const GaussianLikelihood& likelihood, const at::Tensor& x,
                                     const at::Tensor& y, const NetworkLogDensityOptions& options)
    : likelihood_options_(likelihood->options), options_(options) {
  if (x.size(0) != y.size(0) || y.dim() != 1) throw std::invalid_argument("NetworkLogDensity: expected targets [N] for rows [N, ...]");
  x_ = x.to(at::kDouble);
  y_ = y.to(at::kDouble);
  set_up(net);
}

NetworkLogDensity::NetworkLogDensity(const nn::Network& net, const at::Tensor& x, const at::Tensor& labels,
                                     const NetworkLogDensityOptions& options)
    : classification_(true), options_(options) {
  if (x.size(0) != labels.size(0) || labels.dim() != 1) throw std::invalid_argument("NetworkLogDensity: expected labels [N] for rows [N, ...]");
  x_ = x.to(at::kDouble);
  y_ = labels.to(at::kLong);
  set_up(net);
}

void NetworkLogDensity::set_up(const nn::Network& net) {
  if (!(options_.prior_sigma() > 0.0) || !std::isfinite(options_.prior_sigma())) {
    throw std::invalid_argument("--prior-sigma: expected a positive prior standard deviation");
  }
  if (!(options_.log_noise_prior_sigma() > 0.0)) throw std::invalid_argument("NetworkLogDensity: the noise prior's sigma must be positive");
  if (net->is_stochastic()) throw std::invalid_argument("NetworkLogDensity: expected a deterministic network (no Bayesian or dropout layer)");
  auto first = net->parameters();
  // nn::dense_chain reads float32 networks: read the chain on the original before the float64 copy
  // (the copy keeps the parameters' order, so the offsets hold for it).
  const bool dense = nn::dense_chain_unsupported_reason(net).empty();
  nn::DenseChain chain;
  if (dense) chain = nn::dense_chain(net);
  dtype_ = first.empty() ? at::kFloat : first.front().scalar_type();
  net_ = nn::Network(std::dynamic_pointer_cast<nn::NetworkImpl>(net->clone()));
  net_->to(at::kDouble);
  net_->to(x_.device());
  parameters_ = net_->parameters();
  int64_t offset = 0;
  for (const auto& named : net_->named_parameters()) {
    // "0.weight" -> "layers[0].weight", as the spec's messages name layers.
    const auto& key = named.key();
    const auto dot = key.find('.');
    const auto name = dot == std::string::npos ? key : "layers[" + key.substr(0, dot) + "]" + key.substr(dot);
    groups_.push_back({name, offset, named.value().numel()});
    offset += named.value().numel();
  }
  network_size_ = offset;
  auto position = torch::nn::utils::parameters_to_vector(parameters_).detach();
  if (!classification_ && likelihood_options_.noise() == NoiseModel::homoscedastic) {
    groups_.push_back({"log_noise_variance", offset, 1});
    position = at::cat({position, at::full({1}, std::log(likelihood_options_.noise_variance()), position.options())});
  }
  dimension_ = position.numel();
  initial_position_ = position.clone();
  if (dense) {
    auto offset_of = [&](const at::Tensor& t) -> int64_t {
      int64_t o = 0;
      for (const auto& p : first) {
        if (p.is_same(t)) return o;
        o += p.numel();
      }
      return -2;
    };
    bool plain = true;
    for (const auto& layer : chain.layers) {
      if (layer.bayesian || layer.input_dropout > 0.0) plain = false;
      DenseSlice slice;
      slice.out = layer.weight.size(0);
      slice.in = layer.weight.size(1);
      slice.weight_offset = offset_of(layer.weight);
      slice.bias_offset = layer.bias.defined() ? offset_of(layer.bias) : -1;
      if (slice.weight_offset < 0 || slice.bias_offset == -2) plain = false;
      dense_layers_.push_back(slice);
    }
    tanh_ = chain.activation == nn::ActivationKind::tanh;
    if (!plain || !(chain.activation == nn::ActivationKind::relu || tanh_)) dense_layers_.clear();
  }
}

at::Tensor NetworkLogDensity::log_density_and_gradient_batch(const at::Tensor& positions, at::Tensor& gradients,
                                                             const at::Tensor& rows) {
  if (positions.dim() != 2 || positions.size(1) != dimension_) {
    throw std::invalid_argument("NetworkLogDensity: expected positions [P, " + std::to_string(dimension_) + "]");
  }
  const int64_t particles = positions.size(0);
  if (dense_layers_.empty()) {
    std::vector<double> values;
    std::vector<at::Tensor> grads;
    for (int64_t p = 0; p < particles; ++p) {
      at::Tensor g;
      values.push_back(log_density_and_gradient(positions[p], g, rows));
      grads.push_back(g);
    }
    gradients = at::stack(grads);
    return at::tensor(values, positions.options().dtype(at::kDouble));
  }
  at::Tensor x = x_, y = y_;
  double scale = 1.0;
  if (rows.defined()) {
    x = x_.index_select(0, rows);
    y = y_.index_select(0, rows);
    scale = static_cast<double>(x_.size(0)) / static_cast<double>(rows.numel());
  }
  auto q = positions.to(at::kDouble).detach().clone().requires_grad_(true);
  // [P, B, features]: the same rows for every particle.
  auto h = x.reshape({x.size(0), -1}).unsqueeze(0).expand({particles, x.size(0), -1});
  for (size_t l = 0; l < dense_layers_.size(); ++l) {
    const auto& d = dense_layers_[l];
    auto w = q.slice(1, d.weight_offset, d.weight_offset + d.in * d.out).reshape({particles, d.out, d.in});
    if (d.bias_offset >= 0) {
      auto b = q.slice(1, d.bias_offset, d.bias_offset + d.out).unsqueeze(1);
      h = at::baddbmm(b, h, w.transpose(1, 2));
    } else {
      h = at::bmm(h, w.transpose(1, 2));
    }
    if (l + 1 < dense_layers_.size()) h = tanh_ ? at::tanh(h) : at::relu(h);
  }
  at::Tensor log_likelihood;
  if (classification_) {
    const int64_t classes = h.size(2);
    log_likelihood = -categorical_negative_log_likelihood(h.reshape({-1, classes}), y.repeat({particles}))
                          .reshape({particles, -1})
                          .sum(1);
  } else {
    auto mean = h.select(2, 0);
    at::Tensor s;
    switch (likelihood_options_.noise()) {
      case NoiseModel::heteroscedastic: s = h.select(2, 1); break;
      case NoiseModel::homoscedastic: s = q.select(1, network_size_).unsqueeze(1); break;
      case NoiseModel::fixed: s = at::full({1, 1}, std::log(likelihood_options_.noise_variance()), q.options()); break;
    }
    auto residual = y.unsqueeze(0) - mean;
    log_likelihood = -(0.5 * at::exp(-s) * residual * residual + 0.5 * s + core::kHalfLogTwoPi).sum(1);
  }
  auto weights = q.slice(1, 0, network_size_);
  const double precision = 1.0 / (options_.prior_sigma() * options_.prior_sigma());
  auto logp = scale * log_likelihood - 0.5 * precision * (weights * weights).sum(1);
  if (dimension_ > network_size_) {
    auto d = (q.select(1, network_size_) - options_.log_noise_prior_mean()) / options_.log_noise_prior_sigma();
    logp = logp - 0.5 * d * d;
  }
  gradients = torch::autograd::grad({logp.sum()}, {q})[0];
  return logp.detach();
}

at::Tensor NetworkLogDensity::log_likelihood(const at::Tensor& outputs, const at::Tensor& y, const at::Tensor& log_noise) const {
  if (classification_) return -categorical_negative_log_likelihood(outputs, y).sum();
  auto mean = outputs.select(-1, 0);
  at::Tensor s;
  switch (likelihood_options_.noise()) {
    case NoiseModel::heteroscedastic: s = outputs.select(-1, 1); break;
    case NoiseModel::homoscedastic: s = log_noise; break;
    case NoiseModel::fixed: s = at::full({}, std::log(likelihood_options_.noise_variance()), outputs.options()); break;
  }
  auto residual = y - mean;
  return -(0.5 * at::exp(-s) * residual * residual + 0.5 * s + core::kHalfLogTwoPi).sum();
}

at::Tensor NetworkLogDensity::evaluate(const at::Tensor& position, const at::Tensor& rows, bool with_gradient) {
  if (position.dim() != 1 || position.numel() != dimension_) {
    throw std::invalid_argument("NetworkLogDensity: expected a position of " + std::to_string(dimension_) + " values");
  }
  auto p = position.to(at::kDouble);
  torch::nn::utils::vector_to_parameters(p.slice(0, 0, network_size_), parameters_);
  at::Tensor log_noise;
  if (dimension_ > network_size_) log_noise = p.slice(0, network_size_, network_size_ + 1).squeeze().clone().detach().requires_grad_(with_gradient);
  at::Tensor x = x_, y = y_;
  double scale = 1.0;
  if (rows.defined()) {
    x = x_.index_select(0, rows);
    y = y_.index_select(0, rows);
    scale = static_cast<double>(x_.size(0)) / static_cast<double>(rows.numel());
  }
  at::Tensor logp;
  {
    c10::optional<at::NoGradGuard> no_grad;
    if (!with_gradient) no_grad.emplace();
    auto outputs = net_->forward(x);
    logp = scale * log_likelihood(outputs, y, log_noise);
    const double precision = 1.0 / (options_.prior_sigma() * options_.prior_sigma());
    for (const auto& w : parameters_) logp = logp - 0.5 * precision * (w * w).sum();
    if (log_noise.defined()) {
      const double z = 1.0 / options_.log_noise_prior_sigma();
      auto d = (log_noise - options_.log_noise_prior_mean()) * z;
      logp = logp - 0.5 * d * d;
    }
  }
  if (!with_gradient) return logp.detach();
  std::vector<at::Tensor> inputs = parameters_;
  if (log_noise.defined()) inputs.push_back(log_noise);
  auto grads = torch::autograd::grad({logp}, inputs, /*grad_outputs=*/{}, /*retain_graph=*/false, /*create_graph=*/false,
                                     /*allow_unused=*/true);
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) grads[i] = at::zeros_like(inputs[i]);
  }
  gradient_ = torch::nn::utils::parameters_to_vector(grads);
  return logp.detach();
}

double NetworkLogDensity::log_density_and_gradient(const at::Tensor& position, at::Tensor& gradient, const at::Tensor& rows) {
  auto logp = evaluate(position, rows, true);
  gradient = gradient_;
  return logp.item<double>();
}

at::Tensor NetworkLogDensity::position_of(const nn::Network& net) const {
  auto flat = torch::nn::utils::parameters_to_vector(net->parameters()).detach().to(initial_position_.options());
  if (flat.numel() != network_size_) throw std::invalid_argument("NetworkLogDensity: the network has another number of parameters");
  if (dimension_ > network_size_) flat = at::cat({flat, initial_position_.slice(0, network_size_)});
  return flat;
}

double NetworkLogDensity::log_density(const at::Tensor& position) { return evaluate(position, {}, false).item<double>(); }

at::Tensor NetworkLogDensity::outputs(const at::Tensor& position) {
  torch::nn::utils::vector_to_parameters(position.to(at::kDouble).slice(0, 0, network_size_), parameters_);
  at::NoGradGuard no_grad;
  return net_->forward(x_);
}

nn::Network NetworkLogDensity::network_at(const at::Tensor& position) {
  torch::nn::utils::vector_to_parameters(position.to(at::kDouble).slice(0, 0, network_size_), parameters_);
  auto copy = std::dynamic_pointer_cast<nn::NetworkImpl>(net_->clone());
  copy->to(dtype_);
  for (auto& p : copy->parameters()) p.set_requires_grad(true);
  return nn::Network(copy);
}

GaussianLikelihood NetworkLogDensity::likelihood_at(const at::Tensor& position) const {
  auto options = likelihood_options_;
  if (dimension_ > network_size_) options.noise_variance(std::exp(position[network_size_].item<double>()));
  return GaussianLikelihood(options);
}

}  // namespace credence::inference

// Network: building from a spec, the single and the batched Monte Carlo passes.
#include "credence/nn/network.h"

#include "credence/nn/layer_registry.h"
#include "credence/nn/mean_field_layer.h"

#include <algorithm>
#include <stdexcept>

namespace credence::nn {

NetworkImpl::NetworkImpl(NetworkSpec spec) : spec_(std::move(spec)) { reset(); }

void NetworkImpl::reset() {
  if (spec_.input.empty()) throw std::invalid_argument("network spec: the input shape is not set");
  for (auto d : spec_.input) {
    if (d <= 0) throw std::invalid_argument("network spec: input sizes must be positive, got " + to_string(spec_.input));
  }
  if (spec_.layers.empty()) throw std::invalid_argument("network spec: no layers");
  layers_.clear();
  shapes_.assign(1, spec_.input);
  for (size_t i = 0; i < spec_.layers.size(); ++i) {
    auto layer = build_layer(spec_.layers[i], shapes_.back(), i);
    shapes_.push_back(layer->output_shape(shapes_.back()));
    register_module(std::to_string(i), layer->module_ptr());
    layers_.push_back(std::move(layer));
  }
  // The spec as built, every field explicit.
  for (size_t i = 0; i < layers_.size(); ++i) spec_.layers[i] = layers_[i]->spec();
  set_generator(generator_);
  set_sampling(sampling_);
}

at::Tensor shape_rows(const at::Tensor& x, const Shape& input) {
  const auto sizes = x.sizes();
  if (sizes.size() == input.size() + 1 && std::equal(input.begin(), input.end(), sizes.begin() + 1)) return x;
  if (x.dim() == 2 && x.size(1) == element_count(input)) return x.view(batch_sizes(x.size(0), input));
  std::string got = "[";
  for (size_t i = 0; i < sizes.size(); ++i) got += (i ? ", " : "") + std::to_string(sizes[i]);
  throw std::invalid_argument("the network takes rows of shape " + to_string(input) + " (" +
                              std::to_string(element_count(input)) + " values each), got input " + got + "]");
}

at::Tensor NetworkImpl::forward(const at::Tensor& x) {
  at::Tensor h = shape_rows(x, spec_.input);
  for (auto& layer : layers_) h = layer->forward(h);
  return h;
}

at::Tensor NetworkImpl::forward_layers(const at::Tensor& x, size_t begin, size_t end) {
  if (begin > end || end > layers_.size()) {
    throw std::invalid_argument("Network::forward_layers: layers [" + std::to_string(begin) + ", " + std::to_string(end) +
                                ") of a network of " + std::to_string(layers_.size()));
  }
  at::Tensor h = shape_rows(x, shapes_[begin]);
  for (size_t i = begin; i < end; ++i) h = layers_[i]->forward(h);
  return h;
}

at::Tensor NetworkImpl::forward_samples(const at::Tensor& x, int64_t samples, int64_t first_row) {
  if (samples <= 0) throw std::invalid_argument("Network::forward_samples: samples must be positive");
  const auto rows_in = shape_rows(x, spec_.input);
  auto h = SampleBatch::shared_input(rows_in, samples, first_row);
  for (auto& layer : layers_) h = layer->forward_samples(h);
  return h.by_sample();
}

at::Tensor NetworkImpl::kl() {
  at::Tensor total;
  for (auto& layer : layers_) {
    auto term = layer->kl();
    if (term.defined()) total = total.defined() ? total + term : term;
  }
  if (total.defined()) return total;
  auto parameters = this->parameters();
  auto options = parameters.empty() ? at::TensorOptions() : parameters.front().options();
  return at::zeros({}, options.requires_grad(false));
}

void NetworkImpl::set_sampling(bool sampling) {
  sampling_ = sampling;
  for (auto& layer : layers_) layer->set_sampling(sampling);
}

void NetworkImpl::set_generator(c10::optional<at::Generator> generator) {
  generator_ = generator;
  for (auto& layer : layers_) layer->set_generator(generator);
}

void NetworkImpl::reset_parameters() {
  for (auto& layer : layers_) layer->reset_parameters();
}

void NetworkImpl::hold_weight_samples(int64_t samples, int64_t total_rows) {
  // The layers up to the first stochastic one see an input shared by all samples; the others, a
  // different input per sample.
  bool per_sample = false;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->hold_weight_samples(samples, total_rows, shapes_[i], !per_sample);
    per_sample = per_sample || layers_[i]->is_stochastic();
  }
}

void NetworkImpl::release_weight_samples() {
  for (auto& layer : layers_) layer->release_weight_samples();
}

int64_t NetworkImpl::held_elements() const {
  int64_t total = 0;
  for (const auto& layer : layers_) total += layer->held_elements();
  return total;
}

void NetworkImpl::refresh_removed_weights() {
  for (auto& layer : layers_) {
    if (auto* bayesian = dynamic_cast<MeanFieldLayer*>(layer.get())) bayesian->refresh_removed_weights();
  }
}

bool NetworkImpl::is_stochastic() const {
  return std::any_of(layers_.begin(), layers_.end(), [](const auto& l) { return l->is_stochastic(); });
}

bool NetworkImpl::is_bayesian() const {
  return std::any_of(layers_.begin(), layers_.end(), [](const auto& l) { return l->is_bayesian(); });
}

std::string NetworkImpl::method() const {
  if (is_bayesian()) return "bbb";
  for (const auto& layer : layers_) {
    if (layer->type() == "mc_dropout") return "mcdropout";
  }
  return "deterministic";
}

NetworkSpec NetworkImpl::spec() const { return spec_; }

int64_t NetworkImpl::widest_activation() const {
  int64_t widest = 0;
  for (const auto& shape : shapes_) widest = std::max(widest, element_count(shape));
  for (size_t i = 0; i < layers_.size(); ++i) widest = std::max(widest, layers_[i]->working_values(shapes_[i]));
  return widest;
}

}  // namespace credence::nn

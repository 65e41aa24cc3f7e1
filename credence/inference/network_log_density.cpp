// The log posterior of a network's flat weights: full-batch or minibatch log-likelihood plus the priors.
#include "credence/inference/network_log_density.h"

#include "credence/core/gaussian.h"

#include "credence/inference/categorical_likelihood.h"
#include "credence/nn/dense_chain.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/utils/convert_parameters.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

namespace credence::inference {

namespace {

// Products of each particle's matrices, [P, n, k] and so on with rows of stride k and any particle
// stride. ATen's bmm pays a fixed cost per particle that exceeds the arithmetic of the small
// layers the samplers take (SVGD's 20 particles of a 50-unit layer); there a plain loop runs, and
// larger products, or one particle, keep BLAS.
constexpr int64_t kLoopProductLimit = int64_t{1} << 15;  // multiply-adds per particle

bool loop_product(int64_t particles, int64_t n, int64_t k, int64_t m) { return particles > 1 && n * k * m <= kLoopProductLimit; }

// Each writes its result into `c`, a buffer kept from call to call: buffers of some hundred
// kilobytes (a UCI set's rows times 50 units) fresh for every gradient cost a page fault per page.
// c[p] = a[p] b[p]': a [P, n, k], b [P, m, k] -> [P, n, m].
void product_transposed(const at::Tensor& a, const at::Tensor& b, at::Tensor& c) {
  const int64_t P = a.size(0), n = a.size(1), k = a.size(2), m = b.size(1);
  c.resize_({P, n, m});  // shrinking keeps the storage; ATen warns when an _out call must resize
  if (!loop_product(P, n, k, m)) {
    at::bmm_out(c, a, b.transpose(1, 2));
    return;
  }
  const double *ad = a.data_ptr<double>(), *bd = b.data_ptr<double>();
  double* cd = c.data_ptr<double>();
  for (int64_t p = 0; p < P; ++p) {
    const double* ap = ad + p * a.stride(0);
    const double* bp = bd + p * b.stride(0);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double sum = 0.0;
        for (int64_t l = 0; l < k; ++l) sum += ap[i * k + l] * bp[j * k + l];
        cd[(p * n + i) * m + j] = sum;
      }
    }
  }
}

// c[p] = a[p] b[p]: a [P, n, k] with any strides (a transposed view too), b [P, k, m] with rows
// of stride m -> [P, n, m].
void product(const at::Tensor& a, const at::Tensor& b, at::Tensor& c) {
  const int64_t P = a.size(0), n = a.size(1), k = a.size(2), m = b.size(2);
  c.resize_({P, n, m});
  if (!loop_product(P, n, k, m)) {
    at::bmm_out(c, a, b);
    return;
  }
  c.zero_();
  const double *ad = a.data_ptr<double>(), *bd = b.data_ptr<double>();
  double* cd = c.data_ptr<double>();
  const int64_t row = a.stride(1), column = a.stride(2);
  for (int64_t p = 0; p < P; ++p) {
    const double* ap = ad + p * a.stride(0);
    const double* bp = bd + p * b.stride(0);
    double* cp = cd + p * n * m;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t l = 0; l < k; ++l) {
        const double v = ap[i * row + l * column];
        for (int64_t j = 0; j < m; ++j) cp[i * m + j] += v * bp[l * m + j];
      }
    }
  }
}

// h = tanh(h) or relu(h), in place.
void activate(double* __restrict h, int64_t n, bool tanh) {
  if (tanh) {
    for (int64_t i = 0; i < n; ++i) h[i] = std::tanh(h[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) h[i] = h[i] > 0.0 ? h[i] : 0.0;
  }
}

// g *= act'(z) from the activation's output h: relu' = [h > 0], tanh' = 1 - h^2.
void multiply_by_derivative(double* __restrict g, const double* __restrict h, int64_t n, bool tanh) {
  if (tanh) {
    for (int64_t i = 0; i < n; ++i) g[i] *= 1.0 - h[i] * h[i];
  } else {
    for (int64_t i = 0; i < n; ++i) g[i] = h[i] > 0.0 ? g[i] : 0.0;
  }
}

}  // namespace

NetworkLogDensity::NetworkLogDensity(const nn::Network& net, const GaussianLikelihood& likelihood, const at::Tensor& x,
                                     const at::Tensor& y, const NetworkLogDensityOptions& options)
    : likelihood_options_(likelihood->options), likelihood_(likelihood->options), options_(options) {
  if (x.size(0) != y.size(0) || y.dim() != 1) throw std::invalid_argument("NetworkLogDensity: expected targets [N] for rows [N, ...]");
  x_ = x.to(at::kDouble);
  y_ = y.to(at::kDouble).contiguous();
  set_up(net);
}

NetworkLogDensity::NetworkLogDensity(const nn::Network& net, const at::Tensor& x, const at::Tensor& labels,
                                     const NetworkLogDensityOptions& options)
    : classification_(true), options_(options) {
  if (x.size(0) != labels.size(0) || labels.dim() != 1) throw std::invalid_argument("NetworkLogDensity: expected labels [N] for rows [N, ...]");
  x_ = x.to(at::kDouble);
  y_ = labels.to(at::kLong).contiguous();
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
    // The hand-written path indexes the outputs by label: every label must name an output.
    if (classification_ && y_.numel() > 0 && !chain.layers.empty()) {
      const int64_t classes = chain.layers.back().weight.size(0);
      if (y_.min().item<int64_t>() < 0 || y_.max().item<int64_t>() >= classes) {
        throw std::invalid_argument("NetworkLogDensity: labels must lie in [0, " + std::to_string(classes) + ") for a network of " +
                                    std::to_string(classes) + " outputs");
      }
    }
    // The hand-written path loops over CPU memory; on another device the network goes through autograd.
    if (!plain || !(chain.activation == nn::ActivationKind::relu || tanh_) || !x_.device().is_cpu()) dense_layers_.clear();
    const auto buffer = [&] { return at::empty({0}, x_.options().dtype(at::kDouble)); };
    scratch_.first = buffer();
    for (size_t l = 0; l < dense_layers_.size(); ++l) {
      scratch_.hidden.push_back(buffer());
      scratch_.products.push_back(buffer());
      scratch_.downs.push_back(buffer());
    }
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
  return dense_evaluate(positions.to(at::kDouble).contiguous(), rows, &gradients);
}

// The dense chain written out: z_l = h_{l-1} W_l' + b_l, h_l = act(z_l), then the likelihood's
// derivative with respect to the outputs carried back through the layers by hand. Only the matrix
// products go through ATen; the element-wise work (biases, activations and their derivatives, the
// likelihood, the priors) is one loop each over the buffers. For the small networks the samplers
// take, an autograd graph or one ATen operation per step cost several times the arithmetic.
at::Tensor NetworkLogDensity::dense_evaluate(const at::Tensor& q, const at::Tensor& rows, at::Tensor* gradients) {
  const int64_t particles = q.size(0);
  const int64_t stride = q.size(1);  // = dimension_
  at::Tensor x = x_, y = y_;
  double scale = 1.0;
  if (rows.defined()) {
    x = x_.index_select(0, rows);
    y = y_.index_select(0, rows);
    scale = static_cast<double>(x_.size(0)) / static_cast<double>(rows.numel());
  }
  const int64_t batch = x.size(0);
  x = x.reshape({batch, -1}).contiguous();
  const double* qd = q.data_ptr<double>();
  const size_t depth = dense_layers_.size();

  // Forward. hidden[l]: layer l's output [P, B, out] (activated except for the last layer).
  std::vector<at::Tensor> weights(depth), hidden(depth);
  for (size_t l = 0; l < depth; ++l) {
    const auto& d = dense_layers_[l];
    weights[l] = q.slice(1, d.weight_offset, d.weight_offset + d.in * d.out).view({particles, d.out, d.in});
    const bool last = l + 1 == depth;
    if (l == 0) {
      // The rows are shared by every particle: one product [B, in] x [in, P * out], then
      // rearranged to [P, B, out] with the bias and activation.
      auto& z = scratch_.first;
      z.resize_({batch, particles * d.out});  // shrinking keeps the storage
      at::mm_out(z, x, weights[0].reshape({particles * d.out, d.in}).t());
      hidden[0] = scratch_.hidden[0].resize_({particles, batch, d.out});
      const double* zd = z.data_ptr<double>();
      double* hd = hidden[0].data_ptr<double>();
      for (int64_t p = 0; p < particles; ++p) {
        for (int64_t b = 0; b < batch; ++b) {
          const double* zr = zd + (b * particles + p) * d.out;
          std::copy(zr, zr + d.out, hd + (p * batch + b) * d.out);
        }
      }
    } else {
      product_transposed(hidden[l - 1], weights[l], scratch_.hidden[l]);
      hidden[l] = scratch_.hidden[l];
    }
    // The bias, then the activation, each a loop of its own (no branch inside, so that they vectorise).
    double* hd = hidden[l].data_ptr<double>();
    if (d.bias_offset >= 0) {
      for (int64_t p = 0; p < particles; ++p) {
        const double* bias = qd + p * stride + d.bias_offset;
        double* hp = hd + p * batch * d.out;
        for (int64_t b = 0; b < batch; ++b) {
          for (int64_t o = 0; o < d.out; ++o) hp[b * d.out + o] += bias[o];
        }
      }
    }
    if (!last) activate(hd, hidden[l].numel(), tanh_);
  }

  // The log-likelihood per particle, and g = d (scale * log-likelihood) / d outputs written over the
  // outputs (they are not needed after it).
  auto output = hidden.back();
  const int64_t width = output.size(2);
  double* od = output.data_ptr<double>();
  auto logp = at::empty({particles}, q.options());
  double* logp_d = logp.data_ptr<double>();
  const double precision = 1.0 / (options_.prior_sigma() * options_.prior_sigma());
  const bool with_noise = dimension_ > network_size_;
  if (gradients) *gradients = at::empty_like(q);
  double* gd = gradients ? gradients->data_ptr<double>() : nullptr;
  for (int64_t p = 0; p < particles; ++p) {
    double log_likelihood = 0.0, grad_log_noise = 0.0;
    double* op = od + p * batch * width;
    if (classification_) {
      const int64_t* labels = y.data_ptr<int64_t>();
      for (int64_t b = 0; b < batch; ++b) {
        double* row = op + b * width;
        double top = row[0];
        for (int64_t c = 1; c < width; ++c) top = std::max(top, row[c]);
        double total = 0.0;
        for (int64_t c = 0; c < width; ++c) total += std::exp(row[c] - top);
        const double log_total = top + std::log(total);
        log_likelihood += row[labels[b]] - log_total;
        for (int64_t c = 0; c < width; ++c) row[c] = -std::exp(row[c] - log_total) * scale;
        row[labels[b]] += scale;
      }
    } else {
      const double* targets = y.data_ptr<double>();
      const auto noise = likelihood_options_.noise();
      const double shared_s = noise == NoiseModel::homoscedastic ? qd[p * stride + network_size_]
                                                                 : std::log(likelihood_options_.noise_variance());
      for (int64_t b = 0; b < batch; ++b) {
        double* row = op + b * width;
        double s = shared_s, ds_draw = 1.0;
        if (noise == NoiseModel::heteroscedastic) std::tie(s, ds_draw) = likelihood_->log_variance_and_derivative(row[1]);
        const double residual = targets[b] - row[0];
        const double precision_residual = std::exp(-s) * residual;  // d LL_b / d mean_b
        const double half_squared = 0.5 * precision_residual * residual;
        log_likelihood -= half_squared + 0.5 * s + core::kHalfLogTwoPi;
        const double d_log_variance = half_squared - 0.5;  // d LL_b / d s_b
        row[0] = precision_residual * scale;
        if (noise == NoiseModel::heteroscedastic) row[1] = d_log_variance * ds_draw * scale;
        grad_log_noise += d_log_variance;
      }
      if (noise != NoiseModel::homoscedastic) grad_log_noise = 0.0;
    }
    // The priors, and their part of the gradient.
    const double* qp = qd + p * stride;
    double squares = 0.0;
    for (int64_t i = 0; i < network_size_; ++i) squares += qp[i] * qp[i];
    double value = scale * log_likelihood - 0.5 * precision * squares;
    if (gd) {
      double* gp = gd + p * stride;
      for (int64_t i = 0; i < network_size_; ++i) gp[i] = -precision * qp[i];
    }
    if (with_noise) {
      const double deviation = (qp[network_size_] - options_.log_noise_prior_mean()) / options_.log_noise_prior_sigma();
      value -= 0.5 * deviation * deviation;
      if (gd) gd[p * stride + network_size_] = scale * grad_log_noise - deviation / options_.log_noise_prior_sigma();
    }
    logp_d[p] = value;
  }
  if (!gradients) return logp;

  // Backward: each layer's weight and bias gradients added into their slices, g carried down.
  at::Tensor g = output;  // [P, B, out] of the current layer
  for (size_t k = depth; k-- > 0;) {
    const auto& d = dense_layers_[k];
    // d log p / d W_k = g' h_{k-1} per particle: [P, out, in].
    auto& weight_product = scratch_.products[k];
    if (k == 0) {
      // Against the shared rows: [P * out, B] x [B, in].
      weight_product.resize_({particles * d.out, d.in});
      at::mm_out(weight_product, g.transpose(1, 2).reshape({particles * d.out, batch}), x);
    } else {
      product(g.transpose(1, 2), hidden[k - 1], weight_product);
    }
    const double* pd = weight_product.data_ptr<double>();
    const double* gk = g.data_ptr<double>();
    for (int64_t p = 0; p < particles; ++p) {
      double* gp = gd + p * stride;
      const double* pp = pd + p * d.out * d.in;
      for (int64_t i = 0; i < d.out * d.in; ++i) gp[d.weight_offset + i] += pp[i];
      if (d.bias_offset >= 0) {
        const double* rows_p = gk + p * batch * d.out;
        for (int64_t b = 0; b < batch; ++b) {
          for (int64_t o = 0; o < d.out; ++o) gp[d.bias_offset + o] += rows_p[b * d.out + o];
        }
      }
    }
    if (k == 0) break;
    // g_{k-1} = (g_k W_k) * act'(z_{k-1}), with relu' = [h > 0] and tanh' = 1 - h^2 from h_{k-1}.
    auto& down = scratch_.downs[k];
    product(g, weights[k], down);
    double* dd = down.data_ptr<double>();
    const double* hd = hidden[k - 1].data_ptr<double>();
    multiply_by_derivative(dd, hd, down.numel(), tanh_);
    g = down;
  }
  return logp;
}

at::Tensor NetworkLogDensity::log_likelihood(const at::Tensor& outputs, const at::Tensor& y, const at::Tensor& log_noise) const {
  if (classification_) return -categorical_negative_log_likelihood(outputs, y).sum();
  auto mean = outputs.select(-1, 0);
  at::Tensor s;
  switch (likelihood_options_.noise()) {
    case NoiseModel::heteroscedastic: s = likelihood_->log_variance(outputs.select(-1, 1)); break;
    case NoiseModel::homoscedastic: s = log_noise; break;
    case NoiseModel::fixed: s = at::full({}, std::log(likelihood_options_.noise_variance()), outputs.options()); break;
  }
  auto residual = y - mean;
  return -(0.5 * at::exp(-s) * residual * residual + 0.5 * s + core::kHalfLogTwoPi).sum();
}

at::Tensor NetworkLogDensity::checked(const at::Tensor& position) const {
  if (position.dim() != 1 || position.numel() != dimension_) {
    throw std::invalid_argument("NetworkLogDensity: expected a position of " + std::to_string(dimension_) + " values");
  }
  return position.to(at::kDouble).contiguous();
}

at::Tensor NetworkLogDensity::evaluate(const at::Tensor& position, const at::Tensor& rows, bool with_gradient) {
  auto p = checked(position);
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
  if (!dense_layers_.empty()) {
    at::Tensor gradients;
    const double logp = dense_evaluate(checked(position).view({1, dimension_}), rows, &gradients).item<double>();
    gradient = gradients.view({dimension_});
    return logp;
  }
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

double NetworkLogDensity::log_density(const at::Tensor& position) {
  if (!dense_layers_.empty()) return dense_evaluate(checked(position).view({1, dimension_}), {}, nullptr).item<double>();
  return evaluate(position, {}, false).item<double>();
}

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
  if (dimension_ > network_size_) {
    const double log_variance = position[network_size_].item<double>();
    const double variance = std::exp(log_variance);
    if (!(variance > 0.0) || !std::isfinite(variance)) {
      throw std::runtime_error("the sampled log noise variance is " + std::to_string(log_variance) +
                               ", beyond what a double's exponential can hold");
    }
    options.noise_variance(variance);
  }
  return GaussianLikelihood(options);
}

}  // namespace credence::inference

// The Laplace approximation: Jacobians of dense layers, GGN accumulation (full, diagonal, KFAC), the
// marginal likelihood and its maximisation over the prior precision.
#include "credence/inference/laplace_approximation.h"

#include "credence/nn/linear.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace credence::inference {

LaplaceSubset laplace_subset_from_string(const std::string& name) {
  if (name == "auto") return LaplaceSubset::automatic;
  if (name == "all") return LaplaceSubset::all;
  if (name == "last-layer") return LaplaceSubset::last_layer;
  throw std::invalid_argument("unknown Laplace subset '" + name + "' (expected auto, all or last-layer)");
}

std::string to_string(LaplaceSubset subset) {
  switch (subset) {
    case LaplaceSubset::automatic: return "auto";
    case LaplaceSubset::all: return "all";
    case LaplaceSubset::last_layer: return "last-layer";
  }
  return "unknown";
}

HessianStructure hessian_structure_from_string(const std::string& name) {
  if (name == "full") return HessianStructure::full;
  if (name == "diag") return HessianStructure::diag;
  if (name == "kfac") return HessianStructure::kfac;
  throw std::invalid_argument("unknown Hessian structure '" + name + "' (expected full, diag or kfac)");
}

std::string to_string(HessianStructure structure) {
  switch (structure) {
    case HessianStructure::full: return "full";
    case HessianStructure::diag: return "diag";
    case HessianStructure::kfac: return "kfac";
  }
  return "unknown";
}

LaplacePredictive laplace_predictive_from_string(const std::string& name) {
  if (name == "glm") return LaplacePredictive::glm;
  if (name == "mc") return LaplacePredictive::mc;
  throw std::invalid_argument("unknown Laplace predictive '" + name + "' (expected glm or mc)");
}

std::string to_string(LaplacePredictive predictive) {
  return predictive == LaplacePredictive::glm ? "glm" : "mc";
}

OutputHessian OutputHessian::gaussian(const GaussianLikelihood& likelihood) {
  OutputHessian h;
  if (likelihood->options.noise() == NoiseModel::heteroscedastic) {
    h.kind = Kind::heteroscedastic_gaussian;
  } else {
    h.kind = Kind::gaussian;
    h.noise_variance = std::exp(likelihood->log_noise_variance.item<double>());
  }
  return h;
}

OutputHessian OutputHessian::categorical() {
  OutputHessian h;
  h.kind = Kind::categorical;
  return h;
}

at::Tensor OutputHessian::operator()(const at::Tensor& outputs) const {
  const int64_t rows = outputs.size(0), width = outputs.size(1);
  switch (kind) {
    case Kind::gaussian:
      if (width != 1) throw std::invalid_argument("OutputHessian: a Gaussian likelihood expects one output per row");
      return at::full({rows, 1, 1}, 1.0 / noise_variance, outputs.options());
    case Kind::heteroscedastic_gaussian: {
      if (width != 2) throw std::invalid_argument("OutputHessian: a heteroscedastic likelihood expects two outputs per row");
      auto diagonal = at::stack({at::exp(-outputs.select(1, 1)), at::full({rows}, 0.5, outputs.options())}, 1);
      return at::diag_embed(diagonal);
    }
    case Kind::categorical: {
      auto p = at::softmax(outputs, 1);
      return at::diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1);
    }
  }
  return at::Tensor();
}

namespace {

nn::LinearImpl* dense_layer(nn::Network& net, int64_t index) {
  return dynamic_cast<nn::LinearImpl*>(&net->layer(static_cast<size_t>(index)));
}

bool has_parameters(nn::Network& net, size_t index) { return !net->layer(index).module().parameters().empty(); }

int64_t layer_parameter_count(nn::LinearImpl& layer) {
  return layer.options.out_features() * (layer.options.in_features() + (layer.options.bias() ? 1 : 0));
}

std::string layer_name(nn::Network& net, size_t index) {
  return "layers[" + std::to_string(index) + "] (" + net->layer(index).type() + ")";
}

}  // namespace

std::vector<int64_t> laplace_layers(nn::Network& net, LaplaceSubset subset, int64_t max_full_parameters) {
  if (net->is_stochastic() || net->is_bayesian()) {
    throw std::invalid_argument("Laplace: the network must be deterministic (it is " + net->method() + ")");
  }
  std::vector<int64_t> dense;
  int64_t total = 0;
  bool other_weights = false;
  for (size_t i = 0; i < net->size(); ++i) {
    if (!has_parameters(net, i)) continue;
    auto* layer = dense_layer(net, static_cast<int64_t>(i));
    if (!layer) {
      if (subset != LaplaceSubset::all) {
        other_weights = true;  // only the last weight layer can be covered
        dense.clear();
        continue;
      }
      throw std::invalid_argument("Laplace: " + layer_name(net, i) +
                                  " has weights that are not a dense layer's; only --laplace-subset last-layer is "
                                  "available for this network");
    }
    dense.push_back(static_cast<int64_t>(i));
    total += layer_parameter_count(*layer);
  }
  // The last weight layer must be dense for the last-layer subset.
  int64_t last_weights = -1;
  for (size_t i = 0; i < net->size(); ++i) {
    if (has_parameters(net, i)) last_weights = static_cast<int64_t>(i);
  }
  if (last_weights < 0 || dense.empty() || dense.back() != last_weights) {
    throw std::invalid_argument("Laplace: the network's last weight layer must be a dense (linear) layer");
  }
  if (subset == LaplaceSubset::automatic) {
    subset = !other_weights && total <= max_full_parameters ? LaplaceSubset::all : LaplaceSubset::last_layer;
  }
  if (subset == LaplaceSubset::last_layer) return {dense.back()};
  return dense;
}

at::Tensor flat_parameters(nn::Network& net, const std::vector<int64_t>& layers) {
  std::vector<at::Tensor> parts;
  for (auto index : layers) {
    auto* layer = dense_layer(net, index);
    auto w = layer->weight.detach();
    parts.push_back((layer->bias.defined() ? at::cat({w, layer->bias.detach().unsqueeze(1)}, 1) : w).reshape({-1}));
  }
  return at::cat(parts).to(at::kDouble);
}

void set_flat_parameters(nn::Network& net, const std::vector<int64_t>& layers, const at::Tensor& flat) {
  at::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto index : layers) {
    auto* layer = dense_layer(net, index);
    const int64_t out = layer->options.out_features(), in = layer->options.in_features();
    const int64_t width = in + (layer->bias.defined() ? 1 : 0);
    auto block = flat.slice(0, offset, offset + out * width).view({out, width});
    layer->weight.copy_(block.slice(1, 0, in));
    if (layer->bias.defined()) layer->bias.copy_(block.select(1, in));
    offset += out * width;
  }
  if (offset != flat.numel()) throw std::invalid_argument("set_flat_parameters: the vector does not fit the layers");
}

LayerJacobians layer_jacobians(nn::Network& net, const std::vector<int64_t>& layers, const at::Tensor& x) {
  // The last layer alone needs no backward pass: its pre-activation is the output, g = I.
  const bool identity_gradients = layers.size() == 1 && layers.front() == static_cast<int64_t>(net->size()) - 1;
  torch::autograd::AutoGradMode grad_mode(!identity_gradients);
  LayerJacobians pieces;
  std::vector<at::Tensor> perturbations;
  auto a = nn::shape_rows(x, net->input_shape());
  const int64_t rows = a.size(0);
  size_t next = 0;
  for (size_t i = 0; i < net->size(); ++i) {
    const bool covered = next < layers.size() && layers[next] == static_cast<int64_t>(i);
    if (!covered) {
      a = net->layer(i).forward(a);
      continue;
    }
    auto* layer = dense_layer(net, layers[next]);
    auto input = a.detach();
    pieces.inputs.push_back(layer->bias.defined() ? at::cat({input, at::ones({rows, 1}, input.options())}, 1) : input);
    auto z = layer->forward(a);
    if (!identity_gradients) {
      // d f / d z is the gradient with respect to a zero added to z: each row's outputs depend on its own z only.
      auto zero = at::zeros_like(z).requires_grad_(true);
      z = z + zero;
      perturbations.push_back(zero);
    }
    a = z;
    ++next;
  }
  pieces.outputs = a.reshape({rows, -1});
  const int64_t width = pieces.outputs.size(1);
  if (identity_gradients) {
    pieces.output_gradients.push_back(at::eye(width, pieces.outputs.options()).unsqueeze(0).expand({rows, width, width}));
    return pieces;
  }
  std::vector<std::vector<at::Tensor>> per_output(perturbations.size());
  for (int64_t k = 0; k < width; ++k) {
    auto grads = torch::autograd::grad({pieces.outputs.select(1, k).sum()}, perturbations, {}, /*retain_graph=*/k + 1 < width);
    for (size_t l = 0; l < grads.size(); ++l) per_output[l].push_back(grads[l]);
  }
  for (auto& g : per_output) pieces.output_gradients.push_back(at::stack(g, 1));
  pieces.outputs = pieces.outputs.detach();
  return pieces;
}

at::Tensor jacobian(const LayerJacobians& pieces) {
  std::vector<at::Tensor> blocks;
  for (size_t l = 0; l < pieces.inputs.size(); ++l) {
    const auto& g = pieces.output_gradients[l];  // [B, K, out]
    const auto& a = pieces.inputs[l];            // [B, in]
    blocks.push_back((g.unsqueeze(3) * a.unsqueeze(1).unsqueeze(1)).reshape({g.size(0), g.size(1), -1}));
  }
  return at::cat(blocks, 2);
}

double laplace_log_marginal_likelihood(double log_likelihood, double squared_norm, const at::Tensor& hessian_eigenvalues,
                                       double prior_precision) {
  const double p = static_cast<double>(hessian_eigenvalues.numel());
  const double log_det = at::log(hessian_eigenvalues.to(at::kDouble) + prior_precision).sum().item<double>();
  return log_likelihood - 0.5 * prior_precision * squared_norm + 0.5 * p * std::log(prior_precision) - 0.5 * log_det;
}

double maximise_log_evidence(const std::function<double(double)>& log_evidence) {
  constexpr double lowest = -4.0, highest = 6.0;  // log10 of the prior precision
  constexpr int steps = 100;
  auto at_log10 = [&](double t) { return log_evidence(std::pow(10.0, t)); };
  int best = 0;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int i = 0; i <= steps; ++i) {
    const double v = at_log10(lowest + (highest - lowest) * i / steps);
    if (v > best_value) best_value = v, best = i;
  }
  const double step = (highest - lowest) / steps;
  double a = lowest + step * std::max(best - 1, 0), b = lowest + step * std::min(best + 1, steps);
  const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
  double c = b - ratio * (b - a), d = a + ratio * (b - a);
  double fc = at_log10(c), fd = at_log10(d);
  for (int iteration = 0; iteration < 60; ++iteration) {
    if (fc > fd) {
      b = d, d = c, fd = fc;
      c = b - ratio * (b - a), fc = at_log10(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + ratio * (b - a), fd = at_log10(d);
    }
  }
  const double t = 0.5 * (a + b);
  // The grid point stays the answer when the refinement found nothing better (a flat or edge optimum).
  return at_log10(t) >= best_value ? std::pow(10.0, t) : std::pow(10.0, lowest + step * best);
}

LaplacePosterior fit_laplace(nn::Network& net, const OutputHessian& output_hessian,
                             const std::function<double(const at::Tensor&, const at::Tensor&)>& log_likelihood,
                             const at::Tensor& x, const at::Tensor& targets, const LaplaceOptions& options) {
  if (x.size(0) != targets.size(0) || x.size(0) == 0) {
    throw std::invalid_argument("fit_laplace: expected the same positive number of rows in inputs and targets");
  }
  if (options.batch_rows() < 1) throw std::invalid_argument("fit_laplace: batch_rows must be positive");
  if (!(options.prior_precision() >= 0.0) || !std::isfinite(options.prior_precision())) {
    throw std::invalid_argument("--prior-precision: expected a positive value or auto");
  }
  LaplacePosterior posterior;
  posterior.hessian = options.hessian();
  posterior.predictive = options.predictive();
  posterior.layers = laplace_layers(net, options.subset(), options.max_full_parameters());
  posterior.subset = posterior.layers.size() == 1 && options.subset() != LaplaceSubset::all ? LaplaceSubset::last_layer
                                                                                             : LaplaceSubset::all;
  const auto theta = flat_parameters(net, posterior.layers);
  const int64_t p = theta.numel();
  posterior.parameter_count = p;
  posterior.rows = x.size(0);
  if (options.hessian() == HessianStructure::full && p > options.max_full_parameters()) {
    throw std::invalid_argument("Laplace: a full Hessian over " + std::to_string(p) + " weights (--laplace-subset " +
                                to_string(posterior.subset) + ") exceeds the limit of " +
                                std::to_string(options.max_full_parameters()) +
                                "; choose --hessian kfac or diag, or --laplace-subset last-layer");
  }

  const auto dbl = x.options().dtype(at::kDouble);
  at::Tensor hessian, hessian_diagonal;
  std::vector<at::Tensor> input_factors, output_factors;
  if (options.hessian() == HessianStructure::full) hessian = at::zeros({p, p}, dbl);
  if (options.hessian() == HessianStructure::diag) hessian_diagonal = at::zeros({p}, dbl);
  double total_log_likelihood = 0.0;
  const int64_t n = x.size(0);
  const bool last_layer_only =
      posterior.layers.size() == 1 && posterior.layers.front() == static_cast<int64_t>(net->size()) - 1;
  for (int64_t start = 0; start < n; start += options.batch_rows()) {
    const int64_t end = std::min(n, start + options.batch_rows());
    auto pieces = layer_jacobians(net, posterior.layers, x.slice(0, start, end));
    total_log_likelihood += log_likelihood(pieces.outputs, targets.slice(0, start, end));
    auto lambda = output_hessian(pieces.outputs).to(at::kDouble);  // [B, K, K]
    if (options.hessian() == HessianStructure::kfac) {
      for (size_t l = 0; l < pieces.inputs.size(); ++l) {
        auto a = pieces.inputs[l].to(at::kDouble);
        auto g = pieces.output_gradients[l].to(at::kDouble);  // [B, K, out]
        auto a_sum = at::matmul(a.t(), a);
        auto g_sum = at::matmul(g.transpose(1, 2), at::matmul(lambda, g)).sum(0);
        if (input_factors.size() <= l) {
          input_factors.push_back(a_sum);
          output_factors.push_back(g_sum);
        } else {
          input_factors[l] += a_sum;
          output_factors[l] += g_sum;
        }
      }
      continue;
    }
    if (options.hessian() == HessianStructure::full && last_layer_only) {
      // J = I (x) a for the output layer: H[(k, i), (l, j)] = sum_n Lambda_n[k, l] a_i a_j, block by
      // block, K^2 / 2 products of [in, in] instead of one over K times the rows and P^2.
      auto a = pieces.inputs.front().to(at::kDouble);
      const int64_t outputs = lambda.size(1), width = a.size(1);
      auto blocks = hessian.view({outputs, width, outputs, width});
      for (int64_t k = 0; k < outputs; ++k) {
        for (int64_t l = k; l < outputs; ++l) {
          auto block = at::matmul((a * lambda.select(1, k).select(1, l).unsqueeze(1)).t(), a);
          blocks.select(0, k).select(1, l).add_(block);
          if (l != k) blocks.select(0, l).select(1, k).add_(block.t());
        }
      }
      continue;
    }
    auto j = jacobian(pieces).to(at::kDouble);  // [B, K, P]
    auto lj = at::matmul(lambda, j);
    if (options.hessian() == HessianStructure::full) {
      hessian += at::matmul(j.reshape({-1, p}).t(), lj.reshape({-1, p}));
    } else {
      hessian_diagonal += (j * lj).sum(at::IntArrayRef{0, 1});
    }
  }

  // The Hessian's eigenvalues make the evidence cheap for every prior precision.
  at::Tensor eigenvalues, eigenvectors;
  if (options.hessian() == HessianStructure::full) {
    std::tie(eigenvalues, eigenvectors) = at::linalg_eigh(0.5 * (hessian + hessian.t()));
    eigenvalues = eigenvalues.clamp_min(0.0);
  } else if (options.hessian() == HessianStructure::diag) {
    eigenvalues = hessian_diagonal;
  } else {
    std::vector<at::Tensor> values;
    for (size_t l = 0; l < input_factors.size(); ++l) {
      // G (x) A with A the mean over rows and G the sum: exact for one row, the sum's scale for many.
      posterior.factors.push_back(
          decompose_kronecker_factors(output_factors[l], input_factors[l] / static_cast<double>(n)));
      values.push_back(kronecker_eigenvalues(posterior.factors.back()));
    }
    eigenvalues = at::cat(values);
  }
  const double squared_norm = theta.square().sum().item<double>();
  auto log_evidence = [&](double delta) {
    return laplace_log_marginal_likelihood(total_log_likelihood, squared_norm, eigenvalues, delta);
  };
  posterior.prior_precision_fitted = options.prior_precision() == 0.0;
  posterior.prior_precision = posterior.prior_precision_fitted ? maximise_log_evidence(log_evidence) : options.prior_precision();
  posterior.log_marginal_likelihood = log_evidence(posterior.prior_precision);
  if (options.hessian() == HessianStructure::full) {
    posterior.covariance = at::matmul(eigenvectors / (eigenvalues + posterior.prior_precision).unsqueeze(0), eigenvectors.t());
  } else if (options.hessian() == HessianStructure::diag) {
    posterior.variance = 1.0 / (hessian_diagonal + posterior.prior_precision);
  }
  return posterior;
}

}  // namespace credence::inference

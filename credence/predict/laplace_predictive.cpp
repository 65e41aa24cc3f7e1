// Linearised and Monte Carlo predictives of a Laplace posterior.
#include "credence/predict/laplace_predictive.h"

#include "credence/core/row_keyed_noise.h"
#include "credence/nn/linear.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace credence::predict {

namespace {

using inference::HessianStructure;

void check_posterior(nn::Network& net, const inference::LaplacePosterior& posterior) {
  if (posterior.layers.empty()) throw std::invalid_argument("Laplace predictive: the posterior covers no layer");
  for (auto index : posterior.layers) {
    if (index < 0 || index >= static_cast<int64_t>(net->size()) ||
        !dynamic_cast<nn::LinearImpl*>(&net->layer(static_cast<size_t>(index)))) {
      throw std::invalid_argument("Laplace predictive: layer " + std::to_string(index) + " of the posterior is not a dense layer of the network");
    }
  }
}

at::Tensor output_covariance(const inference::LaplacePosterior& posterior, const inference::LayerJacobians& pieces) {
  if (posterior.hessian == HessianStructure::kfac) {
    at::Tensor covariance;
    for (size_t l = 0; l < pieces.inputs.size(); ++l) {
      auto block = inference::kronecker_sandwich(posterior.factors.at(l), posterior.prior_precision,
                                                 pieces.output_gradients[l], pieces.inputs[l]);
      covariance = covariance.defined() ? covariance + block : block;
    }
    return covariance;
  }
  auto j = inference::jacobian(pieces).to(at::kDouble);  // [B, K, P]
  if (posterior.hessian == HessianStructure::diag) return at::matmul(j * posterior.variance, j.transpose(1, 2));
  return at::matmul(at::matmul(j, posterior.covariance), j.transpose(1, 2));
}

// Weight draws of the covered layers, per layer [S, out, in(+1)] in the network's dtype.
std::vector<at::Tensor> weight_draws(nn::Network& net, const inference::LaplacePosterior& posterior, int64_t samples,
                                     c10::optional<at::Generator> generator) {
  auto theta = inference::flat_parameters(net, posterior.layers);
  const int64_t p = theta.numel();
  at::Tensor flat_draws;  // [S, P] for full and diag
  if (posterior.hessian == HessianStructure::full) {
    auto root = at::linalg_cholesky(posterior.covariance);
    flat_draws = theta.unsqueeze(0) + at::matmul(at::randn({samples, p}, generator, theta.options()), root.t());
  } else if (posterior.hessian == HessianStructure::diag) {
    flat_draws = theta.unsqueeze(0) + at::randn({samples, p}, generator, theta.options()) * posterior.variance.sqrt();
  }
  std::vector<at::Tensor> draws;
  int64_t offset = 0;
  const auto dtype = net->parameters().front().scalar_type();
  for (size_t l = 0; l < posterior.layers.size(); ++l) {
    auto* layer = dynamic_cast<nn::LinearImpl*>(&net->layer(static_cast<size_t>(posterior.layers[l])));
    const int64_t out = layer->options.out_features();
    const int64_t width = layer->options.in_features() + (layer->bias.defined() ? 1 : 0);
    at::Tensor draw;
    if (posterior.hessian == HessianStructure::kfac) {
      auto map = theta.slice(0, offset, offset + out * width).view({1, out, width});
      draw = map + inference::kronecker_sample(posterior.factors.at(l), posterior.prior_precision,
                                               at::randn({samples, out, width}, generator, theta.options()));
    } else {
      draw = flat_draws.slice(1, offset, offset + out * width).reshape({samples, out, width});
    }
    draws.push_back(draw.to(dtype));
    offset += out * width;
  }
  return draws;
}

// The network with the covered layers' weights replaced by the draws: [B, ...] -> [S, B, K]. Rows
// are shared by all draws until the first covered layer, tiled [S * B, ...] through the others.
at::Tensor forward_with_draws(nn::Network& net, const inference::LaplacePosterior& posterior,
                              const std::vector<at::Tensor>& draws, const at::Tensor& x) {
  const int64_t samples = draws.front().size(0);
  auto a = nn::shape_rows(x, net->input_shape());
  const int64_t rows = a.size(0);
  bool per_sample = false;
  size_t next = 0;
  for (size_t i = 0; i < net->size(); ++i) {
    const bool covered = next < posterior.layers.size() && posterior.layers[next] == static_cast<int64_t>(i);
    if (covered) {
      auto* layer = dynamic_cast<nn::LinearImpl*>(&net->layer(i));
      const auto& draw = draws[next];  // [S, out, width]
      const int64_t in = layer->options.in_features();
      auto weight = draw.slice(2, 0, in);
      auto input = per_sample ? a : a.unsqueeze(0).expand({samples, rows, in});
      auto z = at::matmul(input, weight.transpose(1, 2));
      if (layer->bias.defined()) z = z + draw.select(2, in).unsqueeze(1);
      a = z;
      per_sample = true;
      ++next;
    } else if (per_sample) {
      auto flat = net->layer(i).forward(a.reshape({samples * rows, -1}));
      a = flat.reshape({samples, rows, -1});
    } else {
      a = net->layer(i).forward(a);
    }
  }
  return a.reshape({samples, rows, -1});
}

}  // namespace

LinearisedOutputs linearised_outputs(nn::Network& net, const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                     int64_t batch_rows) {
  check_posterior(net, posterior);
  std::vector<at::Tensor> means, covariances;
  for (int64_t start = 0; start < x.size(0); start += batch_rows) {
    auto pieces = inference::layer_jacobians(net, posterior.layers, x.slice(0, start, std::min(x.size(0), start + batch_rows)));
    means.push_back(pieces.outputs.to(at::kDouble));
    covariances.push_back(output_covariance(posterior, pieces));
  }
  return {at::cat(means), at::cat(covariances)};
}

void for_each_laplace_output_chunk(nn::Network& net, const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                   const PredictOptions& options, c10::optional<at::Generator> generator,
                                   const OutputChunkVisitor& visit) {
  const int64_t samples = options.samples();
  if (samples < 1) throw std::invalid_argument("--samples: expected at least one sample");
  check_posterior(net, posterior);
  at::NoGradGuard no_grad;
  const auto dtype = net->parameters().front().scalar_type();
  const int64_t n = x.size(0);
  if (n == 0) return;
  const int64_t outputs = nn::element_count(net->output_shape());
  if (posterior.predictive == inference::LaplacePredictive::glm) {
    // The noise is addressed by row, so that the draws do not depend on the chunks.
    auto g = generator ? *generator : at::detail::getDefaultCPUGenerator();
    core::RowKeyedNoise noise;
    if (x.device().is_cpu() && g.device().is_cpu()) noise = core::RowKeyedNoise(g, samples, n);
    // Each row's covariance [K, K] and its eigendecomposition beside the draws.
    const int64_t width = std::max(net->widest_activation(), outputs * outputs / samples + outputs);
    const int64_t rows = budget_chunk_rows(options, samples, width, 0);
    for (int64_t start = 0; start < n; start += rows) {
      const int64_t end = std::min(n, start + rows);
      auto linearised = linearised_outputs(net, posterior, x.slice(0, start, end));
      // A square root of each row's covariance from its eigendecomposition (it may be singular).
      auto [values, vectors] = at::linalg_eigh(linearised.covariance);
      auto root = vectors * values.clamp_min(0.0).sqrt().unsqueeze(1);  // [rows, K, K]
      const auto& mean = linearised.mean;
      auto eps = noise.active() ? noise.standard_normal(start, end - start, {outputs}).to(mean.options())
                                : at::randn({samples, mean.size(0), mean.size(1)}, generator, mean.options());
      auto draws = mean.unsqueeze(0) + at::matmul(root.unsqueeze(0), eps.unsqueeze(3)).squeeze(3);
      visit(draws.to(dtype), start);
      if (options.progress()) options.progress()(end, n);
    }
    return;
  }
  auto draws = weight_draws(net, posterior, samples, generator);
  int64_t held_bytes = 0;
  for (const auto& draw : draws) held_bytes += draw.numel() * static_cast<int64_t>(draw.element_size());
  const int64_t rows = budget_chunk_rows(options, samples, net->widest_activation(), held_bytes);
  for (int64_t start = 0; start < n; start += rows) {
    const int64_t end = std::min(n, start + rows);
    visit(forward_with_draws(net, posterior, draws, x.slice(0, start, end)), start);
    if (options.progress()) options.progress()(end, n);
  }
}

at::Tensor sample_laplace_outputs(nn::Network& net, const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                  int64_t samples, c10::optional<at::Generator> generator) {
  std::vector<at::Tensor> chunks;
  for_each_laplace_output_chunk(net, posterior, x, PredictOptions().samples(samples), generator,
                                [&](const at::Tensor& outputs, int64_t) { chunks.push_back(outputs); });
  if (chunks.empty()) {
    return at::empty({samples, 0, nn::element_count(net->output_shape())}, x.options().dtype(net->parameters().front().scalar_type()));
  }
  return at::cat(chunks, 1);
}

at::Tensor standard_normal_points(int64_t samples) {
  if (samples < 2) return at::zeros({samples}, at::kDouble);
  auto u = (at::arange(samples, at::kDouble) + 0.5) / static_cast<double>(samples);
  auto z = std::sqrt(2.0) * at::erfinv(2.0 * u - 1.0);
  z = z - z.mean();
  return z / z.square().mean().sqrt();
}

void for_each_laplace_predictive_chunk(nn::Network& net, inference::GaussianLikelihood& likelihood,
                                       const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                       const PredictOptions& options, c10::optional<at::Generator> generator,
                                       const PredictiveChunkVisitor& visit) {
  at::NoGradGuard no_grad;
  if (posterior.predictive == inference::LaplacePredictive::mc) {
    for_each_laplace_output_chunk(net, posterior, x, options, generator, [&](const at::Tensor& outputs, int64_t first_row) {
      auto [means, variances] = likelihood->mean_and_variance(outputs);
      visit({means.contiguous(), variances.contiguous()}, first_row);
    });
    return;
  }
  check_posterior(net, posterior);
  const auto dtype = net->parameters().front().scalar_type();
  const int64_t n = x.size(0);
  auto points = standard_normal_points(options.samples());
  const int64_t rows = budget_chunk_rows(options, options.samples(), net->widest_activation(), 0);
  for (int64_t start = 0; start < n; start += rows) {
    const int64_t end = std::min(n, start + rows);
    auto linearised = linearised_outputs(net, posterior, x.slice(0, start, end));
    auto [map_mean, noise_variance] = likelihood->mean_and_variance(linearised.mean.to(dtype));
    auto epistemic_std = linearised.covariance.select(1, 0).select(1, 0).clamp_min(0.0).sqrt();  // [rows]
    auto means = linearised.mean.select(1, 0).unsqueeze(0) + points.to(epistemic_std.device()).unsqueeze(1) * epistemic_std.unsqueeze(0);
    visit({means.to(dtype), noise_variance.unsqueeze(0).expand({options.samples(), end - start}).contiguous()}, start);
    if (options.progress()) options.progress()(end, n);
  }
}

PredictiveSamples sample_laplace_predictive(nn::Network& net, inference::GaussianLikelihood& likelihood,
                                            const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                            const PredictOptions& options, c10::optional<at::Generator> generator) {
  std::vector<at::Tensor> means, variances;
  for_each_laplace_predictive_chunk(net, likelihood, posterior, x, options, generator, [&](const PredictiveSamples& chunk, int64_t) {
    means.push_back(chunk.means);
    variances.push_back(chunk.variances);
  });
  if (means.empty()) return {at::empty({options.samples(), 0}, x.options()), at::empty({options.samples(), 0}, x.options())};
  return {at::cat(means, 1), at::cat(variances, 1)};
}

at::Tensor sample_laplace_class_probabilities(nn::Network& net, const inference::ClassifierHead& head,
                                              const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                              const PredictOptions& options, c10::optional<at::Generator> generator) {
  std::vector<at::Tensor> chunks;
  for_each_laplace_class_probability_chunk(net, head, posterior, x, options, generator,
                                           [&](const at::Tensor& p, int64_t) { chunks.push_back(p); });
  if (chunks.empty()) return at::empty({options.samples(), 0, nn::element_count(net->output_shape())}, x.options());
  return at::cat(chunks, 1);
}

void for_each_laplace_class_probability_chunk(nn::Network& net, const inference::ClassifierHead& head,
                                              const inference::LaplacePosterior& posterior, const at::Tensor& x,
                                              const PredictOptions& options, c10::optional<at::Generator> generator,
                                              const ProbabilityChunkVisitor& visit) {
  if (head.likelihood != inference::ClassLikelihood::categorical) {
    throw std::invalid_argument("Laplace predictive: only for the categorical likelihood");
  }
  for_each_laplace_output_chunk(net, posterior, x, options, generator, [&](const at::Tensor& logits, int64_t first_row) {
    visit(inference::class_probabilities(head.likelihood, logits, head.temperature), first_row);
  });
}

}  // namespace credence::predict

// MeanFieldLayer: the estimators, batched Monte Carlo sampling, the KL and pruned weights.
#include "credence/nn/mean_field_layer.h"

#include "credence/core/gaussian.h"
#include "credence/core/kl_divergence.h"
#include "credence/core/normal_noise.h"
#include "credence/nn/spec_fields.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>

namespace credence::nn {

MeanFieldOptions read_mean_field_fields(SpecFields& fields, Estimator default_estimator) {
  const auto defaults = MeanFieldOptions().estimator(default_estimator);
  auto options = MeanFieldOptions()
                     .prior(fields.prior_or("prior", defaults.prior()))
                     .initial_sigma(fields.number_or("initial_sigma", defaults.initial_sigma()));
  try {
    options.estimator(estimator_from_string(fields.string_or("estimator", to_string(defaults.estimator()))));
  } catch (const std::invalid_argument& e) {
    fields.fail(e.what());
  }
  if (!(options.initial_sigma() > 0.0)) fields.fail("field 'initial_sigma' must be positive");
  return options;
}

void write_mean_field_fields(nlohmann::json& spec, const MeanFieldOptions& options) {
  spec["prior"] = prior_to_json(options.prior());
  spec["estimator"] = to_string(options.estimator());
  spec["initial_sigma"] = options.initial_sigma();
}

Estimator estimator_from_string(const std::string& name) {
  if (name == "local" || name == "local_reparameterization") return Estimator::local_reparameterization;
  if (name == "reparam" || name == "reparameterization") return Estimator::reparameterization;
  if (name == "flipout") return Estimator::flipout;
  throw std::invalid_argument("unknown estimator '" + name + "' (expected local, reparam or flipout)");
}

std::string to_string(Estimator estimator) {
  switch (estimator) {
    case Estimator::local_reparameterization: return "local";
    case Estimator::reparameterization: return "reparam";
    case Estimator::flipout: return "flipout";
  }
  return "unknown";
}

void MeanFieldLayer::register_posterior(at::IntArrayRef weight_shape, int64_t bias_size) {
  auto& self = module();
  const auto options = mean_field_options();
  core::validate(options.prior());
  if (!(options.initial_sigma() > 0.0)) throw std::invalid_argument("initial_sigma must be positive");
  weight_mu = self.register_parameter("weight_mu", at::empty(weight_shape));
  weight_rho = self.register_parameter("weight_rho", at::empty(weight_shape));
  if (bias_size > 0) {
    bias_mu = self.register_parameter("bias_mu", at::empty({bias_size}));
    bias_rho = self.register_parameter("bias_rho", at::empty({bias_size}));
  } else {
    bias_mu = at::Tensor();
    bias_rho = at::Tensor();
  }
  weight_removed_ = bias_removed_ = at::Tensor();
  reset_parameters();
}

void MeanFieldLayer::reset_parameters() {
  at::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in()));
  const double rho = core::inverse_softplus(mean_field_options().initial_sigma());
  weight_mu.uniform_(-bound, bound, generator_);
  weight_rho.fill_(rho);
  if (has_bias()) {
    bias_mu.uniform_(-bound, bound, generator_);
    bias_rho.fill_(rho);
  }
  weight_removed_ = bias_removed_ = at::Tensor();
}

at::Tensor MeanFieldLayer::weight_sigma() const { return core::softplus(weight_rho); }
at::Tensor MeanFieldLayer::bias_sigma() const { return has_bias() ? core::softplus(bias_rho) : at::Tensor(); }

std::vector<PosteriorParameter> MeanFieldLayer::posterior_parameters() const {
  std::vector<PosteriorParameter> out{{weight_mu, weight_rho}};
  if (has_bias()) out.push_back({bias_mu, bias_rho});
  return out;
}

void MeanFieldLayer::refresh_removed_weights() {
  at::NoGradGuard no_grad;
  auto removed = [](const at::Tensor& mu, const at::Tensor& rho) { return (mu == 0) & at::isinf(rho) & (rho < 0); };
  auto weight = removed(weight_mu, weight_rho);
  auto bias = has_bias() ? removed(bias_mu, bias_rho) : at::Tensor();
  const bool any = weight.any().item<bool>() || (bias.defined() && bias.any().item<bool>());
  weight_removed_ = any ? weight : at::Tensor();
  bias_removed_ = any ? bias : at::Tensor();
}

at::Tensor MeanFieldLayer::normal(at::IntArrayRef sizes) const {
  if (weight_mu.device().is_cpu() && weight_mu.scalar_type() == at::kFloat) {
    // Vectorised Philox normals: ATen's normal_ draws from a Mersenne twister one at a time.
    auto generator = generator_ ? *generator_ : at::detail::getDefaultCPUGenerator();
    return core::standard_normal(sizes, generator);
  }
  return at::randn(sizes, generator_, weight_mu.options().requires_grad(false));
}

at::Tensor MeanFieldLayer::random_signs(at::IntArrayRef sizes) const {
  return at::empty(sizes, weight_mu.options().requires_grad(false)).bernoulli_(0.5, generator_).mul_(2.0).sub_(1.0);
}

// A removed weight keeps mean 0 whatever the optimiser does to its mu: its gradient is then zero too.
at::Tensor MeanFieldLayer::kept_weight_mu() const {
  return weight_removed_.defined() ? weight_mu.masked_fill(weight_removed_, 0.0) : weight_mu;
}

at::Tensor MeanFieldLayer::kept_bias_mu() const {
  if (!has_bias()) return at::Tensor();
  return bias_removed_.defined() ? bias_mu.masked_fill(bias_removed_, 0.0) : bias_mu;
}

at::Tensor MeanFieldLayer::bias_variance(const at::Tensor& sigma) const {
  return sigma.defined() ? sigma * sigma : at::Tensor();
}

at::Tensor MeanFieldLayer::forward(const at::Tensor& x) {
  const auto mu = kept_weight_mu();
  const auto b_mu = kept_bias_mu();
  if (!sampling_) return apply(x, mu, b_mu);
  cached_weight_sigma_ = weight_sigma();
  cached_bias_sigma_ = bias_sigma();
  cached_rho_version_ = weight_rho._version();
  const auto& sigma = cached_weight_sigma_;
  const auto& b_sigma = cached_bias_sigma_;
  switch (mean_field_options().estimator()) {
    case Estimator::reparameterization: {
      last_weight_sample_ = mu + sigma * normal(mu.sizes());
      last_bias_sample_ = has_bias() ? b_mu + b_sigma * normal(b_mu.sizes()) : at::Tensor();
      return apply(x, last_weight_sample_, last_bias_sample_);
    }
    case Estimator::flipout: {
      // W = mu + dW with one dW = sigma * eps per pass; row n sees dW * (s_n r_n^T) for random signs
      // s_n (outputs) and r_n (inputs), which leaves each row's weights distributed exactly as q while
      // making the rows' perturbations nearly independent: op(x, dW_n) = op(x * r_n, dW) * s_n.
      const auto delta = sigma * normal(mu.sizes());
      const auto bias_delta = has_bias() ? b_sigma * normal(b_mu.sizes()) : at::Tensor();
      last_weight_sample_ = mu + delta;
      last_bias_sample_ = has_bias() ? b_mu + bias_delta : at::Tensor();
      return apply_flipout(x, mu, b_mu, delta, bias_delta);
    }
    case Estimator::local_reparameterization:
      break;
  }
  auto mean = apply(x, mu, b_mu);
  auto variance = apply(x * x, sigma * sigma, bias_variance(b_sigma));
  return mean + at::sqrt(variance + kPreActivationVarianceFloor) * normal(mean.sizes());
}

at::Tensor MeanFieldLayer::apply_flipout(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& b_mu,
                                         const at::Tensor& delta, const at::Tensor& bias_delta) const {
  auto mean = apply(x, mu, b_mu);
  auto perturbation = apply(x * random_signs(input_sign_sizes(x)), delta, bias_delta);
  return mean + perturbation * random_signs(output_sign_sizes(mean));
}

std::pair<at::Tensor, at::Tensor> MeanFieldLayer::weight_samples(int64_t samples) const {
  if (holds_weight_samples() && held_weights_.size(0) == samples) return {held_weights_, held_biases_};
  return draw_weight_samples(samples);
}

std::pair<at::Tensor, at::Tensor> MeanFieldLayer::draw_weight_samples(int64_t samples) const {
  at::NoGradGuard no_grad;
  auto sizes = weight_mu.sizes().vec();
  sizes.insert(sizes.begin(), samples);
  auto weights = at::addcmul(kept_weight_mu().unsqueeze(0), weight_sigma().unsqueeze(0), normal(sizes));
  at::Tensor biases;
  if (has_bias()) biases = at::addcmul(kept_bias_mu().unsqueeze(0), bias_sigma().unsqueeze(0), normal({samples, bias_mu.size(0)}));
  return {weights, biases};
}

void MeanFieldLayer::hold_weight_samples(int64_t samples) {
  if (samples <= 0) throw std::invalid_argument("hold_weight_samples: samples must be positive");
  std::tie(held_weights_, held_biases_) = draw_weight_samples(samples);
}

void MeanFieldLayer::hold_weight_samples(int64_t samples, int64_t total_rows, const Shape& input, bool shared_input) {
  if (!sampling_) return;
  if (choose_sampling_strategy(samples, total_rows, product_cost(input), shared_input) == SamplingStrategy::weights) {
    hold_weight_samples(samples);
    held_for_shared_input_ = shared_input;
  } else if (weight_mu.device().is_cpu() && weight_mu.scalar_type() == at::kFloat && total_rows > 0) {
    auto generator = generator_ ? *generator_ : at::detail::getDefaultCPUGenerator();
    held_noise_ = core::RowKeyedNoise(generator, samples, total_rows);
    held_for_shared_input_ = shared_input;
  }
}

void MeanFieldLayer::release_weight_samples() {
  held_for_shared_input_ = false;
  held_weights_ = at::Tensor();
  held_biases_ = at::Tensor();
  held_noise_ = core::RowKeyedNoise();
}

int64_t MeanFieldLayer::held_elements() const {
  return (held_weights_.defined() ? held_weights_.numel() : 0) + (held_biases_.defined() ? held_biases_.numel() : 0);
}

SampleBatch MeanFieldLayer::forward_samples(const SampleBatch& x) {
  if (sampling_ && holds_weight_samples() && held_weights_.size(0) == x.samples && held_for_shared_input_ == x.shared) {
    return x.as_per_sample(apply_sampled_weights(x, held_weights_, held_biases_));
  }
  Shape row(x.values.sizes().begin() + 1, x.values.sizes().end());
  return forward_samples(x, choose_sampling_strategy(x.samples, x.rows(), product_cost(row), x.shared));
}

at::Tensor MeanFieldLayer::pre_activation_noise(const SampleBatch& x, const at::Tensor& mean) const {
  // [S, B, out...] in both layouts: a per-sample batch is sample-major.
  auto sizes = mean.sizes().vec();
  if (x.shared) {
    sizes.insert(sizes.begin(), x.samples);
  } else {
    sizes[0] /= x.samples;
    sizes.insert(sizes.begin(), x.samples);
  }
  const int64_t rows = sizes[1];
  if (held_noise_.active() && held_noise_.samples() == x.samples && held_for_shared_input_ == x.shared &&
      x.first_row + rows <= held_noise_.total_rows()) {
    return held_noise_.standard_normal(x.first_row, rows, at::IntArrayRef(sizes).slice(2));
  }
  return normal(sizes);
}

SampleBatch MeanFieldLayer::forward_samples(const SampleBatch& x, SamplingStrategy strategy) {
  if (!sampling_) return x.with_values(apply(x.values, kept_weight_mu(), kept_bias_mu()));
  if (strategy == SamplingStrategy::weights) {
    const auto [weights, biases] = draw_weight_samples(x.samples);
    return x.as_per_sample(apply_sampled_weights(x, weights, biases));
  }
  const auto sigma = weight_sigma();
  const auto mean = apply(x.values, kept_weight_mu(), kept_bias_mu());
  const auto stddev = at::sqrt(apply(x.values * x.values, sigma * sigma, bias_variance(bias_sigma())));
  const auto noise = pre_activation_noise(x, mean);
  if (!x.shared) return x.as_per_sample(at::addcmul(mean, stddev, noise.view(mean.sizes())));
  // A shared input: the mean and variance products are computed once, the noise drawn per sample.
  auto y = at::addcmul(mean.unsqueeze(0), stddev.unsqueeze(0), noise);
  auto sizes = mean.sizes().vec();
  sizes[0] *= x.samples;
  return x.as_per_sample(y.view(sizes));
}

at::Tensor MeanFieldLayer::kl() {
  const auto options = mean_field_options();
  const auto& prior = options.prior();
  // The cache is stale once an optimiser step has changed rho in place.
  const bool fresh = cached_weight_sigma_.defined() && weight_rho._version() == cached_rho_version_;
  auto weight_sigma_now = fresh ? cached_weight_sigma_ : weight_sigma();
  auto bias_sigma_now = fresh ? cached_bias_sigma_ : bias_sigma();
  cached_weight_sigma_ = cached_bias_sigma_ = at::Tensor();
  auto w_sample = last_weight_sample_, b_sample = last_bias_sample_;
  last_weight_sample_ = last_bias_sample_ = at::Tensor();

  struct Part {
    at::Tensor mu, sigma, removed, sample;
  };
  std::vector<Part> parts{{weight_mu, weight_sigma_now, weight_removed_, w_sample}};
  if (has_bias()) parts.push_back({bias_mu, bias_sigma_now, bias_removed_, b_sample});
  at::Tensor total;
  for (auto& part : parts) {
    at::Tensor term;
    if (prior.kind() == core::PriorKind::gaussian) {
      // A removed weight counts as mean 0 and the prior's sigma: exactly zero KL.
      auto mu = part.mu, sigma = part.sigma;
      if (part.removed.defined()) {
        mu = mu.masked_fill(part.removed, 0.0);
        sigma = sigma.masked_fill(part.removed, prior.sigma());
      }
      term = core::kl_gaussian_closed_form(mu, sigma, prior.sigma());
    } else {
      const bool reuse = part.sample.defined() && sampling_ && options.estimator() != Estimator::local_reparameterization;
      auto sample = reuse ? part.sample : part.mu + part.sigma * normal(part.mu.sizes());
      auto mu = part.mu, sigma = part.sigma;
      if (part.removed.defined()) {
        // Stand-ins where sigma is 0, so that no infinite derivative meets the mask's zero gradient.
        mu = mu.masked_fill(part.removed, 0.0);
        sigma = sigma.masked_fill(part.removed, 1.0);
        sample = sample.masked_fill(part.removed, 0.0);
      }
      auto terms = core::kl_monte_carlo_terms(sample, mu, sigma, prior);
      if (part.removed.defined()) terms = terms.masked_fill(part.removed, 0.0);
      term = terms.sum();
    }
    total = total.defined() ? total + term : term;
  }
  return total;
}

}  // namespace credence::nn

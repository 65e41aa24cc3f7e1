// The VAE's bounds.
#include "credence/generative/variational_autoencoder.h"

#include "credence/generative/dense_specs.h"

#include <cmath>
#include <stdexcept>

namespace credence::generative {

std::pair<nn::NetworkSpec, nn::NetworkSpec> dense_vae_specs(const nn::Shape& data_shape, int64_t latent,
                                                            const std::vector<int64_t>& hidden, DecoderLikelihood likelihood) {
  if (latent < 1) throw std::invalid_argument("--latent: expected at least 1 latent unit, got " + std::to_string(latent));
  return {dense_encoder_spec(data_shape, hidden, 2 * latent), dense_decoder_spec(latent, hidden, data_shape, likelihood)};
}

at::Tensor manifold_latents(int64_t side) {
  if (side < 1) throw std::invalid_argument("manifold_latents: expected at least one point per side");
  const auto u = (at::arange(side, at::kDouble) + 0.5) / static_cast<double>(side);
  const auto quantiles = std::sqrt(2.0) * at::erfinv(2.0 * u - 1.0);
  const auto rows = quantiles.flip(0).unsqueeze(1).expand({side, side});
  const auto columns = quantiles.unsqueeze(0).expand({side, side});
  return at::stack({rows.reshape({-1}), columns.reshape({-1})}, 1).to(at::kFloat);
}

at::Tensor gaussian_kl_per_row(const at::Tensor& mean, const at::Tensor& log_variance) {
  return 0.5 * (mean.pow(2) + log_variance.exp() - log_variance - 1.0).sum(-1);
}

VariationalAutoencoder::VariationalAutoencoder(nn::Network encoder_, nn::Network decoder_, int64_t latent_,
                                               const nn::Shape& data_shape_, DecoderLikelihood likelihood_)
    : encoder(std::move(encoder_)), decoder(std::move(decoder_)), latent(latent_), data_shape(data_shape_),
      likelihood(likelihood_) {
  if (latent < 1) throw std::invalid_argument("the latent size must be at least 1, got " + std::to_string(latent));
  check_encoder(*encoder, data_shape, 2 * latent,
                "a Gaussian posterior over " + std::to_string(latent) + " latent units (means, log-variances)");
  check_decoder(*decoder, latent, data_shape, likelihood);
}

std::pair<at::Tensor, at::Tensor> VariationalAutoencoder::encode(const at::Tensor& x) {
  const auto out = encoder->forward(x);
  return {out.narrow(1, 0, latent), out.narrow(1, latent, latent)};
}

at::Tensor VariationalAutoencoder::reconstruct(const at::Tensor& x) {
  return decoder_mean(likelihood, decoder->forward(encode(x).first), data_shape);
}

EvidenceBound VariationalAutoencoder::elbo(const at::Tensor& x, at::Generator& generator) {
  auto [mean, log_variance] = encode(x);
  const auto eps = at::randn(mean.sizes(), generator, mean.options());
  const auto z = mean + at::exp(0.5 * log_variance) * eps;
  EvidenceBound bound;
  bound.reconstruction = log_likelihood(x, decoder->forward(z));
  bound.kl = gaussian_kl_per_row(mean, log_variance);
  bound.value = bound.reconstruction - bound.kl;
  return bound;
}

EvidenceBound VariationalAutoencoder::importance_weighted(const at::Tensor& x, int64_t samples, at::Generator& generator,
                                                         int64_t chunk) {
  if (samples < 1) throw std::invalid_argument("--importance-samples: expected at least 1, got " + std::to_string(samples));
  if (chunk < 1) throw std::invalid_argument("importance_weighted_bound: the chunk must be at least 1");
  auto [mean, log_variance] = encode(x);
  const int64_t rows = x.size(0);
  const auto sigma = at::exp(0.5 * log_variance);
  const auto flat = x.flatten(1);
  // Streamed log-sum-exp over the samples: the running maximum and the sum of exp(log w - maximum).
  at::Tensor maximum, total;
  for (int64_t done = 0; done < samples; done += chunk) {
    const int64_t k = std::min(chunk, samples - done);
    const auto eps = at::randn({k, rows, latent}, generator, mean.options());
    const auto z = mean.unsqueeze(0) + sigma.unsqueeze(0) * eps;  // [k, B, L]
    const auto decoded = decoder->forward(z.reshape({k * rows, latent}));
    const auto repeated = flat.unsqueeze(0).expand({k, rows, flat.size(1)}).reshape({k * rows, flat.size(1)});
    const auto log_px = log_likelihood(repeated, decoded).view({k, rows});
    // log p(z) - log q(z | x): the normalising constants cancel.
    const auto log_pz = -0.5 * z.pow(2).sum(2);
    const auto log_qz = -0.5 * (eps.pow(2) + log_variance.unsqueeze(0)).sum(2);
    const auto log_w = log_px + log_pz - log_qz;  // [k, B]
    const auto chunk_max = std::get<0>(log_w.max(0));
    if (!maximum.defined()) {
      maximum = chunk_max;
      total = at::exp(log_w - maximum).sum(0);
    } else {
      const auto new_max = at::maximum(maximum, chunk_max);
      total = total * at::exp(maximum - new_max) + at::exp(log_w - new_max).sum(0);
      maximum = new_max;
    }
  }
  EvidenceBound bound;
  bound.value = maximum + at::log(total) - std::log(static_cast<double>(samples));
  bound.kl = gaussian_kl_per_row(mean, log_variance);
  return bound;
}

}  // namespace credence::generative

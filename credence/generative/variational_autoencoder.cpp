// The VAE's bounds.
#include "credence/generative/variational_autoencoder.h"

#include "credence/core/gaussian.h"

#include <cmath>
#include <stdexcept>

namespace credence::generative {

DecoderLikelihood decoder_likelihood_from_string(const std::string& name) {
  if (name == "bernoulli") return DecoderLikelihood::bernoulli;
  if (name == "gaussian") return DecoderLikelihood::gaussian;
  throw std::invalid_argument("unknown decoder likelihood '" + name + "' (expected bernoulli or gaussian)");
}

std::string to_string(DecoderLikelihood likelihood) {
  return likelihood == DecoderLikelihood::bernoulli ? "bernoulli" : "gaussian";
}

std::pair<nn::NetworkSpec, nn::NetworkSpec> dense_vae_specs(const nn::Shape& data_shape, int64_t latent,
                                                            const std::vector<int64_t>& hidden, DecoderLikelihood likelihood) {
  if (latent < 1) throw std::invalid_argument("--latent: expected at least 1 latent unit, got " + std::to_string(latent));
  const auto dense = [](int64_t width) { return nlohmann::json{{"type", "linear"}, {"out_features", width}}; };
  const nlohmann::json tanh = {{"type", "tanh"}};
  nn::NetworkSpec encoder{data_shape, {}}, decoder{{latent}, {}};
  if (data_shape.size() > 1) encoder.layers.push_back({{"type", "flatten"}});
  for (int64_t width : hidden) {
    encoder.layers.insert(encoder.layers.end(), {dense(width), tanh});
    decoder.layers.insert(decoder.layers.end(), {dense(width), tanh});
  }
  encoder.layers.push_back(dense(2 * latent));
  const int64_t values = nn::element_count(data_shape);
  decoder.layers.push_back(dense(likelihood == DecoderLikelihood::gaussian ? 2 * values : values));
  if (data_shape.size() > 1 && likelihood == DecoderLikelihood::bernoulli) {
    decoder.layers.push_back({{"type", "unflatten"}, {"shape", data_shape}});
  }
  return {encoder, decoder};
}

at::Tensor gaussian_kl_per_row(const at::Tensor& mean, const at::Tensor& log_variance) {
  return 0.5 * (mean.pow(2) + log_variance.exp() - log_variance - 1.0).sum(-1);
}

VariationalAutoencoder::VariationalAutoencoder(nn::Network encoder_, nn::Network decoder_, int64_t latent_,
                                               const nn::Shape& data_shape_, DecoderLikelihood likelihood_)
    : encoder(std::move(encoder_)), decoder(std::move(decoder_)), latent(latent_), data_shape(data_shape_),
      likelihood(likelihood_) {
  if (latent < 1) throw std::invalid_argument("the latent size must be at least 1, got " + std::to_string(latent));
  if (encoder->input_shape() != data_shape) {
    throw std::invalid_argument("the encoder takes " + nn::to_string(encoder->input_shape()) + " but the data rows are " +
                                nn::to_string(data_shape));
  }
  if (encoder->output_shape() != nn::Shape{2 * latent}) {
    throw std::invalid_argument("the encoder's output is " + nn::to_string(encoder->output_shape()) + "; a Gaussian posterior over " +
                                std::to_string(latent) + " latent units needs [" + std::to_string(2 * latent) + "] (means, log-variances)");
  }
  if (decoder->input_shape() != nn::Shape{latent}) {
    throw std::invalid_argument("the decoder takes " + nn::to_string(decoder->input_shape()) + " but the latent code is [" +
                                std::to_string(latent) + "]");
  }
  const int64_t values = nn::element_count(data_shape) * (likelihood == DecoderLikelihood::gaussian ? 2 : 1);
  if (nn::element_count(decoder->output_shape()) != values) {
    throw std::invalid_argument("the decoder's output " + nn::to_string(decoder->output_shape()) + " does not fit the data rows " +
                                nn::to_string(data_shape) + ": a " + to_string(likelihood) + " decoder needs " +
                                std::to_string(values) + " values");
  }
}

std::pair<at::Tensor, at::Tensor> VariationalAutoencoder::encode(const at::Tensor& x) {
  const auto out = encoder->forward(x);
  return {out.narrow(1, 0, latent), out.narrow(1, latent, latent)};
}

at::Tensor VariationalAutoencoder::log_likelihood(const at::Tensor& x, const at::Tensor& decoded) const {
  const auto target = x.flatten(1);
  const auto out = decoded.flatten(1);
  if (likelihood == DecoderLikelihood::bernoulli) {
    // log p = x z - softplus(z) for the logit z: minus binary cross-entropy with logits.
    return (target * out - at::softplus(out)).sum(1);
  }
  const int64_t d = target.size(1);
  const auto mean = out.narrow(1, 0, d), log_variance = out.narrow(1, d, d);
  return -0.5 * ((target - mean).pow(2) * at::exp(-log_variance) + log_variance + core::kLog2Pi).sum(1);
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

at::Tensor VariationalAutoencoder::importance_weighted_bound(const at::Tensor& x, int64_t samples, at::Generator& generator,
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
  return maximum + at::log(total) - std::log(static_cast<double>(samples));
}

}  // namespace credence::generative

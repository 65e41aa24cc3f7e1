// VariationalAutoencoder: the VAE of Kingma & Welling (2013) on two network specs, an encoder
// q(z | x) = N(mean, diag exp(log_variance)) whose output row is [mean, log_variance] (2 L values
// for L latent units) and a decoder p(x | z), Bernoulli (its output row: one logit per pixel, for
// binarised images) or Gaussian (a mean and a log-variance per value, for real-valued data), with
// the prior p(z) = N(0, I). It gives the SGVB estimate of the evidence lower bound (one
// reparameterised sample, analytic KL) and the importance-weighted bound of Burda et al. (2015)
// with K samples, which is also the log-likelihood estimate as K grows.
#pragma once

#include "credence/generative/encoder_decoder.h"
#include "credence/nn/network.h"
#include "credence/nn/network_spec.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace credence::generative {

// KL(N(mean, diag exp(log_variance)) || N(0, I)) per row [B]:
// 0.5 sum_l (mean_l^2 + exp(log_variance_l) - log_variance_l - 1).
at::Tensor gaussian_kl_per_row(const at::Tensor& mean, const at::Tensor& log_variance);

// The encoder and the decoder of the dense VAEs of Kingma & Welling and Burda et al.: `hidden`
// tanh layers on each side (Burda et al.'s MNIST model: {200, 200}, 50 latent units), the decoder
// ending in the data rows' shape (one logit per value, or a mean and a log-variance per value).
std::pair<nn::NetworkSpec, nn::NetworkSpec> dense_vae_specs(const nn::Shape& data_shape, int64_t latent,
                                                            const std::vector<int64_t>& hidden, DecoderLikelihood likelihood);

// The latent points of a learned 2-D manifold's picture (Kingma & Welling 2013, figure 4): a
// side x side grid [side^2, 2] of z = (Phi^-1(u_i), Phi^-1(u_j)) at the evenly spaced quantiles
// u = (k + 1/2) / side of the N(0, 1) prior, row by row (u_i falling down the rows, u_j rising
// along each row).
at::Tensor manifold_latents(int64_t side);

struct EvidenceBound {
  at::Tensor value;           // [B] reconstruction - kl, in nats per row
  at::Tensor reconstruction;  // [B] log p(x | z) at the sample
  at::Tensor kl;              // [B] KL(q(z | x) || p(z))
};

class VariationalAutoencoder {
 public:
  // Throws std::invalid_argument when the encoder's output row is not [2 latent] or the decoder does
  // not fit (check_decoder; the message names the layer and both shapes).
  VariationalAutoencoder(nn::Network encoder, nn::Network decoder, int64_t latent, const nn::Shape& data_shape,
                         DecoderLikelihood likelihood);

  // The posterior q(z | x): mean and log-variance [B, L].
  std::pair<at::Tensor, at::Tensor> encode(const at::Tensor& x);
  // log p(x | z) per row for rows x [B, data...] and the decoder's output [B, ...] at z.
  at::Tensor log_likelihood(const at::Tensor& x, const at::Tensor& decoded) const {
    return decoder_log_likelihood(likelihood, x, decoded);
  }
  // The decoder's mean of x at the posterior mean of z: [B, data...].
  at::Tensor reconstruct(const at::Tensor& x);
  // One reparameterised sample z = mean + exp(log_variance / 2) eps per row, differentiable in the
  // encoder's and the decoder's parameters.
  EvidenceBound elbo(const at::Tensor& x, at::Generator& generator);
  // log (1/K) sum_k p(x, z_k) / q(z_k | x) per row [B] with z_k ~ q(z | x), K = `samples`, the
  // samples decoded `chunk` at a time (the bound over all of them, streamed). Its expectation
  // equals the ELBO's at K = 1 and does not decrease with K (Burda et al. 2015, theorem 1).
  at::Tensor importance_weighted_bound(const at::Tensor& x, int64_t samples, at::Generator& generator, int64_t chunk = 64) {
    return importance_weighted(x, samples, generator, chunk).value;
  }
  // The same bound with the KL of the one encoder pass it made (reconstruction left undefined).
  EvidenceBound importance_weighted(const at::Tensor& x, int64_t samples, at::Generator& generator, int64_t chunk = 64);

  nn::Network encoder, decoder;
  int64_t latent;
  nn::Shape data_shape;
  DecoderLikelihood likelihood;
};

}  // namespace credence::generative

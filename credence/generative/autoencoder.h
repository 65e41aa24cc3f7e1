// Autoencoder: a deterministic encoder x -> code [L] and a decoder code -> p(x | code), trained to
// maximise the reconstruction log-likelihood log p(x | decoder(encoder(x))), that is to minimise
// the reconstruction loss (binary cross-entropy for binarised images, the Gaussian negative
// log-likelihood for real values). It is the VAE without the posterior's noise and the KL, and the
// baseline a VAE's cost is measured against.
#pragma once

#include "credence/generative/encoder_decoder.h"
#include "credence/nn/network.h"
#include "credence/nn/network_spec.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace credence::generative {

// The dense auto-encoder of the same size as dense_vae_specs' VAE: `hidden` tanh layers each side,
// `latent` code units.
std::pair<nn::NetworkSpec, nn::NetworkSpec> dense_autoencoder_specs(const nn::Shape& data_shape, int64_t latent,
                                                                    const std::vector<int64_t>& hidden,
                                                                    DecoderLikelihood likelihood);

class Autoencoder {
 public:
  // Throws std::invalid_argument when the encoder does not give [latent] for the data rows or the
  // decoder does not fit (check_encoder, check_decoder).
  Autoencoder(nn::Network encoder, nn::Network decoder, int64_t latent, const nn::Shape& data_shape,
              DecoderLikelihood likelihood);

  at::Tensor encode(const at::Tensor& x) { return encoder->forward(x); }  // [B, L]
  // log p(x | decoder(encoder(x))) per row [B], differentiable in both networks' parameters.
  at::Tensor reconstruction_log_likelihood(const at::Tensor& x);
  // The decoder's mean of x at its code: [B, data...].
  at::Tensor reconstruct(const at::Tensor& x);

  nn::Network encoder, decoder;
  int64_t latent;
  nn::Shape data_shape;
  DecoderLikelihood likelihood;
};

}  // namespace credence::generative

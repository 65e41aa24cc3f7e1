// Dense encoder and decoder specs, as Kingma & Welling (2013) and Burda et al. (2015) build their
// MNIST models: `hidden` tanh layers of the given widths on each side. The auto-encoder and the
// VAE differ only in the encoder's output (a code, or a mean and a log-variance per latent unit).
#pragma once

#include "credence/generative/encoder_decoder.h"
#include "credence/nn/network_spec.h"

#include <cstdint>
#include <vector>

namespace credence::generative {

// Rows of `data_shape` (flattened first when they are images) -> tanh layers -> `outputs` values.
nn::NetworkSpec dense_encoder_spec(const nn::Shape& data_shape, const std::vector<int64_t>& hidden, int64_t outputs);
// [latent] -> tanh layers -> the decoder's output for `likelihood`: one logit per value (shaped as the
// data rows) or a mean and a log-variance per value (flat, means first).
nn::NetworkSpec dense_decoder_spec(int64_t latent, const std::vector<int64_t>& hidden, const nn::Shape& data_shape,
                                   DecoderLikelihood likelihood);

}  // namespace credence::generative

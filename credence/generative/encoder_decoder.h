// What the auto-encoder and the VAE share: the decoder likelihoods p(x | z), Bernoulli (one logit
// per data value, for binarised images) and Gaussian (a mean and a log-variance per value, for
// real-valued data), the decoder output each needs, and the checks that an encoder and a decoder
// fit the data rows and each other.
#pragma once

#include "credence/nn/network.h"
#include "credence/nn/network_spec.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>

namespace credence::generative {

enum class DecoderLikelihood { bernoulli, gaussian };
DecoderLikelihood decoder_likelihood_from_string(const std::string& name);
std::string to_string(DecoderLikelihood likelihood);

// Values of the decoder's output per data value: 1 (a logit) or 2 (a mean and a log-variance).
int64_t decoder_values_per_value(DecoderLikelihood likelihood);

// log p(x | decoded) per row [B] for rows x [B, data...] and the decoder's output [B, ...]:
// sum_i x_i z_i - softplus(z_i) for logits z (minus the binary cross-entropy), or
// -0.5 sum_i ((x_i - m_i)^2 / v_i + log v_i + log 2 pi) for means m and variances v = exp(log_variance).
at::Tensor decoder_log_likelihood(DecoderLikelihood likelihood, const at::Tensor& x, const at::Tensor& decoded);

// The decoder's mean of x, [B, data...]: the pixel probabilities sigmoid(z), or the Gaussian means.
at::Tensor decoder_mean(DecoderLikelihood likelihood, const at::Tensor& decoded, const nn::Shape& data_shape);

// Throws std::invalid_argument when the decoder does not take [latent] or when its last layer's
// output does not hold decoder_values_per_value values per value of `data_shape` (the message names
// the layer, its output shape and what the data need).
void check_decoder(const nn::NetworkImpl& decoder, int64_t latent, const nn::Shape& data_shape, DecoderLikelihood likelihood);
// Throws std::invalid_argument when the encoder does not take `data_shape` or does not give
// [outputs] (`outputs_meaning` says what they are, for the message).
void check_encoder(const nn::NetworkImpl& encoder, const nn::Shape& data_shape, int64_t outputs,
                   const std::string& outputs_meaning);

// The encoder and the decoder of a spec file {"encoder": SPEC, "decoder": SPEC} (docs/generative.md),
// completed as nn::complete_spec does: the encoder's input is the data rows' shape unless the file
// sets it and its last dense layer gives `encoder_outputs` unless set; the decoder takes [latent]
// unless set and its last dense layer gives the values `likelihood` needs. Throws
// std::invalid_argument naming the file (and the line and column of a JSON error) and the part.
std::pair<nn::NetworkSpec, nn::NetworkSpec> read_encoder_decoder_specs(const std::string& path, const nn::Shape& data_shape,
                                                                       int64_t latent, int64_t encoder_outputs,
                                                                       DecoderLikelihood likelihood);

}  // namespace credence::generative

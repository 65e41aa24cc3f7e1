// The auto-encoder.
#include "credence/generative/autoencoder.h"

#include "credence/generative/dense_specs.h"

#include <stdexcept>
#include <string>

namespace credence::generative {

std::pair<nn::NetworkSpec, nn::NetworkSpec> dense_autoencoder_specs(const nn::Shape& data_shape, int64_t latent,
                                                                    const std::vector<int64_t>& hidden,
                                                                    DecoderLikelihood likelihood) {
  if (latent < 1) throw std::invalid_argument("--latent: expected at least 1 code unit, got " + std::to_string(latent));
  return {dense_encoder_spec(data_shape, hidden, latent), dense_decoder_spec(latent, hidden, data_shape, likelihood)};
}

Autoencoder::Autoencoder(nn::Network encoder_, nn::Network decoder_, int64_t latent_, const nn::Shape& data_shape_,
                         DecoderLikelihood likelihood_)
    : encoder(std::move(encoder_)), decoder(std::move(decoder_)), latent(latent_), data_shape(data_shape_),
      likelihood(likelihood_) {
  if (latent < 1) throw std::invalid_argument("the code size must be at least 1, got " + std::to_string(latent));
  check_encoder(*encoder, data_shape, latent, "a code of " + std::to_string(latent) + " units");
  check_decoder(*decoder, latent, data_shape, likelihood);
}

at::Tensor Autoencoder::reconstruction_log_likelihood(const at::Tensor& x) {
  return decoder_log_likelihood(likelihood, x, decoder->forward(encode(x)));
}

at::Tensor Autoencoder::reconstruct(const at::Tensor& x) {
  return decoder_mean(likelihood, decoder->forward(encode(x)), data_shape);
}

}  // namespace credence::generative

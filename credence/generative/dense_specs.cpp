// Dense encoder and decoder specs.
#include "credence/generative/dense_specs.h"

#include <stdexcept>
#include <string>

namespace credence::generative {

namespace {

nlohmann::json dense(int64_t width) { return {{"type", "linear"}, {"out_features", width}}; }

void add_hidden(nn::NetworkSpec& spec, const std::vector<int64_t>& hidden) {
  for (int64_t width : hidden) {
    if (width < 1) throw std::invalid_argument("--hidden: expected positive layer widths, got " + std::to_string(width));
    spec.layers.insert(spec.layers.end(), {dense(width), {{"type", "tanh"}}});
  }
}

}  // namespace

nn::NetworkSpec dense_encoder_spec(const nn::Shape& data_shape, const std::vector<int64_t>& hidden, int64_t outputs) {
  nn::NetworkSpec encoder{data_shape, {}};
  if (data_shape.size() > 1) encoder.layers.push_back({{"type", "flatten"}});
  add_hidden(encoder, hidden);
  encoder.layers.push_back(dense(outputs));
  return encoder;
}

nn::NetworkSpec dense_decoder_spec(int64_t latent, const std::vector<int64_t>& hidden, const nn::Shape& data_shape,
                                   DecoderLikelihood likelihood) {
  if (latent < 1) throw std::invalid_argument("--latent: expected at least 1 latent unit, got " + std::to_string(latent));
  nn::NetworkSpec decoder{{latent}, {}};
  add_hidden(decoder, hidden);
  decoder.layers.push_back(dense(nn::element_count(data_shape) * decoder_values_per_value(likelihood)));
  if (data_shape.size() > 1 && likelihood == DecoderLikelihood::bernoulli) {
    decoder.layers.push_back({{"type", "unflatten"}, {"shape", data_shape}});
  }
  return decoder;
}

}  // namespace credence::generative

// The decoder likelihoods and the shape checks.
#include "credence/generative/encoder_decoder.h"

#include "credence/core/gaussian.h"
#include "credence/nn/network_options.h"

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

int64_t decoder_values_per_value(DecoderLikelihood likelihood) { return likelihood == DecoderLikelihood::gaussian ? 2 : 1; }

at::Tensor decoder_log_likelihood(DecoderLikelihood likelihood, const at::Tensor& x, const at::Tensor& decoded) {
  const auto target = x.flatten(1);
  const auto out = decoded.flatten(1);
  if (likelihood == DecoderLikelihood::bernoulli) return (target * out - at::softplus(out)).sum(1);
  const int64_t d = target.size(1);
  const auto mean = out.narrow(1, 0, d), log_variance = out.narrow(1, d, d);
  return -0.5 * ((target - mean).pow(2) * at::exp(-log_variance) + log_variance + core::kLog2Pi).sum(1);
}

at::Tensor decoder_mean(DecoderLikelihood likelihood, const at::Tensor& decoded, const nn::Shape& data_shape) {
  std::vector<int64_t> sizes{decoded.size(0)};
  sizes.insert(sizes.end(), data_shape.begin(), data_shape.end());
  const auto out = decoded.flatten(1);
  if (likelihood == DecoderLikelihood::bernoulli) return at::sigmoid(out).reshape(sizes);
  return out.narrow(1, 0, nn::element_count(data_shape)).reshape(sizes);
}

void check_decoder(const nn::NetworkImpl& decoder, int64_t latent, const nn::Shape& data_shape, DecoderLikelihood likelihood) {
  if (decoder.input_shape() != nn::Shape{latent}) {
    throw std::invalid_argument("the decoder takes " + nn::to_string(decoder.input_shape()) + " but the latent code is [" +
                                std::to_string(latent) + "]");
  }
  const int64_t values = nn::element_count(data_shape) * decoder_values_per_value(likelihood);
  if (nn::element_count(decoder.output_shape()) != values) {
    const size_t last = decoder.size() - 1;
    throw std::invalid_argument("the decoder's last layer (" + std::to_string(last) + ", " + decoder.layer(last).type() +
                                ") gives " + nn::to_string(decoder.output_shape()) + " but the data rows " +
                                nn::to_string(data_shape) + " need " + std::to_string(values) + " values for a " +
                                to_string(likelihood) + " decoder");
  }
}

void check_encoder(const nn::NetworkImpl& encoder, const nn::Shape& data_shape, int64_t outputs,
                   const std::string& outputs_meaning) {
  if (encoder.input_shape() != data_shape) {
    throw std::invalid_argument("the encoder takes " + nn::to_string(encoder.input_shape()) + " but the data rows are " +
                                nn::to_string(data_shape));
  }
  if (encoder.output_shape() != nn::Shape{outputs}) {
    const size_t last = encoder.size() - 1;
    throw std::invalid_argument("the encoder's last layer (" + std::to_string(last) + ", " + encoder.layer(last).type() +
                                ") gives " + nn::to_string(encoder.output_shape()) + " but " + outputs_meaning + " needs [" +
                                std::to_string(outputs) + "]");
  }
}

std::pair<nn::NetworkSpec, nn::NetworkSpec> read_encoder_decoder_specs(const std::string& path, const nn::Shape& data_shape,
                                                                       int64_t latent, int64_t encoder_outputs,
                                                                       DecoderLikelihood likelihood) {
  const auto document = nn::read_spec_file(path);
  const auto part = [&](const std::string& name, const nn::Shape& input) {
    if (!document.is_object() || !document.contains(name)) {
      throw std::invalid_argument(path + ": expected an object with an \"encoder\" and a \"decoder\" network spec; '" +
                                  name + "' is missing");
    }
    auto spec = nn::NetworkSpec::from_json(document.at(name), path + ": " + name);
    if (spec.input.empty()) spec.input = input;
    return spec;
  };
  auto encoder = part("encoder", data_shape), decoder = part("decoder", {latent});
  try {
    encoder = nn::complete_spec(encoder, data_shape, encoder_outputs);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": encoder: " + e.what());
  }
  try {
    nn::set_output_width(decoder, nn::element_count(data_shape) * decoder_values_per_value(likelihood));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": decoder: " + e.what());
  }
  return {encoder, decoder};
}

}  // namespace credence::generative

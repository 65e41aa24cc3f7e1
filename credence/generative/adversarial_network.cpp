// The adversarial network's latent draws, losses, information bound and spec builders.
#include "credence/generative/adversarial_network.h"

#include "credence/core/gaussian.h"
#include "credence/nn/network_options.h"

#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace credence::generative {

using json = nlohmann::json;

GanVariant gan_variant_from_string(const std::string& name) {
  if (name == "gan") return GanVariant::gan;
  if (name == "dcgan") return GanVariant::dcgan;
  if (name == "infogan") return GanVariant::infogan;
  throw std::invalid_argument("unknown GAN variant '" + name + "' (expected gan, dcgan or infogan)");
}

std::string to_string(GanVariant variant) {
  switch (variant) {
    case GanVariant::gan: return "gan";
    case GanVariant::dcgan: return "dcgan";
    case GanVariant::infogan: return "infogan";
  }
  return "gan";
}

int64_t LatentLayout::categorical_width() const { return std::accumulate(categorical.begin(), categorical.end(), int64_t{0}); }

int64_t LatentLayout::size() const { return noise + categorical_width() + continuous; }

namespace {

void check_layout(const LatentLayout& layout) {
  if (layout.noise < 1) throw std::invalid_argument("--latent: expected at least 1 noise value, got " + std::to_string(layout.noise));
  for (int64_t k : layout.categorical) {
    if (k < 2) throw std::invalid_argument("--categorical: a categorical code needs at least 2 values, got " + std::to_string(k));
  }
  if (layout.continuous < 0) throw std::invalid_argument("--continuous: expected 0 or more continuous codes");
}

std::string number_text(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

}  // namespace

at::Tensor assemble_latent(const LatentLayout& layout, const at::Tensor& noise, const at::Tensor& categorical,
                           const at::Tensor& continuous) {
  std::vector<at::Tensor> parts{noise};
  for (size_t c = 0; c < layout.categorical.size(); ++c) {
    parts.push_back(at::one_hot(categorical.select(1, static_cast<int64_t>(c)), layout.categorical[c]).to(noise.scalar_type()));
  }
  if (layout.continuous > 0) parts.push_back(continuous.to(noise.scalar_type()));
  return at::cat(parts, 1);
}

LatentDraw sample_latent(const LatentLayout& layout, int64_t rows, at::Generator& generator, const at::TensorOptions& options) {
  check_layout(layout);
  LatentDraw draw;
  const auto noise = at::randn({rows, layout.noise}, generator, options);
  std::vector<at::Tensor> values;
  for (int64_t k : layout.categorical) values.push_back(at::randint(k, {rows, 1}, generator, options.dtype(at::kLong)));
  draw.categorical = values.empty() ? at::empty({rows, 0}, options.dtype(at::kLong)) : at::cat(values, 1);
  draw.continuous = at::rand({rows, layout.continuous}, generator, options) * 2.0 - 1.0;
  draw.z = assemble_latent(layout, noise, draw.categorical, draw.continuous);
  return draw;
}

at::Tensor code_sweep_latent(const LatentLayout& layout, const CodeSweep& sweep, int64_t rows, at::Generator& generator) {
  const int64_t codes = sweep.categorical ? static_cast<int64_t>(layout.categorical.size()) : layout.continuous;
  const std::string kind = sweep.categorical ? "categorical" : "continuous";
  if (sweep.index < 0 || sweep.index >= codes) {
    throw std::invalid_argument("--code: the model has " + std::to_string(codes) + " " + kind + " code" + (codes == 1 ? "" : "s") +
                                ", no code " + std::to_string(sweep.index + 1));
  }
  if (sweep.values.empty() || rows < 1) throw std::invalid_argument("--code: expected at least one value and one row");
  const int64_t columns = static_cast<int64_t>(sweep.values.size());
  for (double value : sweep.values) {
    if (sweep.categorical && (value < 0 || value >= static_cast<double>(layout.categorical[static_cast<size_t>(sweep.index)]) ||
                              value != std::floor(value))) {
      throw std::invalid_argument("--code: the categorical code takes 0 to " +
                                  std::to_string(layout.categorical[static_cast<size_t>(sweep.index)] - 1) + ", not " +
                                  number_text(value));
    }
  }
  auto draw = sample_latent(layout, rows, generator);
  const auto repeat = [&](const at::Tensor& t) { return t.repeat_interleave(columns, 0); };
  auto noise = repeat(draw.z.narrow(1, 0, layout.noise));
  auto categorical = repeat(draw.categorical), continuous = repeat(draw.continuous);
  const auto values = at::tensor(sweep.values, at::TensorOptions().dtype(at::kDouble)).repeat({rows});
  if (sweep.categorical) {
    categorical.select(1, sweep.index).copy_(values.to(at::kLong));
  } else {
    continuous.select(1, sweep.index).copy_(values.to(continuous.scalar_type()));
  }
  return assemble_latent(layout, noise, categorical, continuous);
}

at::Tensor discriminator_loss(const at::Tensor& real_logits, const at::Tensor& fake_logits) {
  return at::softplus(-real_logits).mean() + at::softplus(fake_logits).mean();
}

at::Tensor generator_loss(const at::Tensor& fake_logits) { return at::softplus(-fake_logits).mean(); }

InformationBound information_bound(const LatentLayout& layout, const at::Tensor& q_output, const at::Tensor& categorical,
                                   const at::Tensor& continuous) {
  InformationBound bound;
  bound.categorical = at::zeros({}, q_output.options());
  bound.continuous = at::zeros({}, q_output.options());
  int64_t offset = 0;
  for (size_t c = 0; c < layout.categorical.size(); ++c) {
    const int64_t k = layout.categorical[c];
    const auto log_q = at::log_softmax(q_output.narrow(1, offset, k), 1);
    const auto log_q_of_code = log_q.gather(1, categorical.select(1, static_cast<int64_t>(c)).unsqueeze(1)).squeeze(1);
    bound.categorical = bound.categorical + std::log(static_cast<double>(k)) + log_q_of_code.mean();
    offset += k;
  }
  if (layout.continuous > 0) {
    const auto mean = q_output.narrow(1, offset, layout.continuous);
    const auto log_density = -0.5 * ((continuous - mean).pow(2) + core::kLog2Pi);
    bound.continuous = (std::log(2.0) + log_density).sum(1).mean();
  }
  return bound;
}

std::pair<nn::NetworkSpec, nn::NetworkSpec> dense_gan_specs(const nn::Shape& data_shape, int64_t latent,
                                                            const std::vector<int64_t>& generator_hidden,
                                                            const std::vector<int64_t>& discriminator_hidden) {
  if (latent < 1) throw std::invalid_argument("--latent: expected at least 1 latent value, got " + std::to_string(latent));
  const auto dense = [](int64_t width) { return json{{"type", "linear"}, {"out_features", width}}; };
  const json leaky = {{"type", "leaky_relu"}, {"negative_slope", 0.2}};
  nn::NetworkSpec generator{{latent}, {}}, discriminator{data_shape, {}};
  // Batch normalisation in the generator: without it the dense GAN collapsed to one digit on MNIST
  // within 5 epochs (D(G(z)) 0.003; bench/results/generative.md).
  for (int64_t width : generator_hidden) {
    generator.layers.insert(generator.layers.end(), {dense(width), {{"type", "batch_norm1d"}}, leaky});
  }
  generator.layers.push_back(dense(nn::element_count(data_shape)));
  generator.layers.push_back({{"type", "sigmoid"}});
  if (data_shape.size() > 1) generator.layers.push_back({{"type", "unflatten"}, {"shape", data_shape}});
  if (data_shape.size() > 1) discriminator.layers.push_back({{"type", "flatten"}});
  for (int64_t width : discriminator_hidden) discriminator.layers.insert(discriminator.layers.end(), {dense(width), leaky});
  discriminator.layers.push_back(dense(1));
  return {generator, discriminator};
}

std::pair<nn::NetworkSpec, nn::NetworkSpec> dcgan_specs(const nn::Shape& data_shape, int64_t latent, const DcganWidths& widths) {
  if (latent < 1) throw std::invalid_argument("--latent: expected at least 1 latent value, got " + std::to_string(latent));
  if (data_shape.size() != 3 || data_shape[1] % 4 != 0 || data_shape[2] % 4 != 0) {
    throw std::invalid_argument("a DCGAN draws images [channels, height, width] with sides divisible by 4 (two upsamplings by 2), "
                                "not " + nn::to_string(data_shape));
  }
  if (widths.generator.size() != 2 || widths.discriminator.size() != 2) {
    throw std::invalid_argument("dcgan_specs: expected two generator and two discriminator widths");
  }
  const json leaky = {{"type", "leaky_relu"}, {"negative_slope", 0.2}};
  const auto up = [](int64_t maps) {
    return json{{"type", "conv_transpose2d"}, {"out_channels", maps}, {"kernel_size", 4}, {"stride", 2}, {"padding", 1}};
  };
  const auto down = [](int64_t maps) {
    return json{{"type", "conv2d"}, {"out_channels", maps}, {"kernel_size", 4}, {"stride", 2}, {"padding", 1}};
  };
  const int64_t h = data_shape[1] / 4, w = data_shape[2] / 4;
  nn::NetworkSpec generator{{latent}, {}}, discriminator{data_shape, {}};
  generator.layers = {{{"type", "linear"}, {"out_features", widths.generator[0] * h * w}},
                      {{"type", "batch_norm1d"}},
                      {{"type", "relu"}},
                      {{"type", "unflatten"}, {"shape", {widths.generator[0], h, w}}},
                      up(widths.generator[1]),
                      {{"type", "batch_norm2d"}},
                      {{"type", "relu"}},
                      up(data_shape[0]),
                      {{"type", "sigmoid"}}};
  discriminator.layers = {down(widths.discriminator[0]), leaky, down(widths.discriminator[1]), {{"type", "batch_norm2d"}}, leaky,
                          {{"type", "flatten"}}};
  if (widths.discriminator_dense > 0) {
    discriminator.layers.insert(discriminator.layers.end(), {{{"type", "linear"}, {"out_features", widths.discriminator_dense}},
                                                             {{"type", "batch_norm1d"}},
                                                             leaky});
  }
  discriminator.layers.push_back({{"type", "linear"}, {"out_features", 1}});
  return {generator, discriminator};
}

std::tuple<nn::NetworkSpec, nn::NetworkSpec, nn::NetworkSpec> infogan_specs(const nn::Shape& data_shape, const LatentLayout& layout,
                                                                            DcganWidths widths) {
  check_layout(layout);
  if (!layout.has_codes()) throw std::invalid_argument("an InfoGAN needs at least one categorical or continuous code");
  if (widths.discriminator_dense == 0) widths.discriminator_dense = 128;
  auto [generator, discriminator] = dcgan_specs(data_shape, layout.size(), widths);
  nn::NetworkSpec q{{widths.discriminator_dense},
                    {{{"type", "linear"}, {"out_features", 64}},
                     {{"type", "batch_norm1d"}},
                     {{"type", "leaky_relu"}, {"negative_slope", 0.2}},
                     {{"type", "linear"}, {"out_features", layout.categorical_width() + layout.continuous}}}};
  return {generator, discriminator, q};
}

AdversarialSpecs read_adversarial_specs(const std::string& path, const nn::Shape& data_shape, const LatentLayout& layout) {
  const auto document = nn::read_spec_file(path);
  if (!document.is_object()) throw std::invalid_argument(path + ": expected an object with a \"generator\" and a \"discriminator\" network spec");
  for (const auto& [key, value] : document.items()) {
    if (key != "generator" && key != "discriminator" && key != "q") {
      throw std::invalid_argument(path + ": unknown part '" + key + "' (expected generator, discriminator and, for infogan, q)");
    }
  }
  const auto part = [&](const std::string& name, const nn::Shape& input) {
    if (!document.contains(name)) throw std::invalid_argument(path + ": the \"" + name + "\" network spec is missing");
    auto spec = nn::NetworkSpec::from_json(document.at(name), path + ": " + name);
    if (spec.input.empty()) spec.input = input;
    return spec;
  };
  const auto with_width = [&](nn::NetworkSpec spec, const std::string& name, int64_t width) {
    try {
      nn::set_output_width(spec, width);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ": " + name + ": " + e.what());
    }
    return spec;
  };
  AdversarialSpecs specs;
  specs.generator = part("generator", {layout.size()});
  specs.discriminator = with_width(part("discriminator", data_shape), "discriminator", 1);
  if (layout.has_codes() != document.contains("q")) {
    throw std::invalid_argument(path + (layout.has_codes() ? ": an infogan's codes need a \"q\" network spec (Q's head on the discriminator's body)"
                                                          : ": a \"q\" network spec is for --task infogan"));
  }
  if (layout.has_codes()) {
    nn::Shape features;
    try {
      nn::Network body(specs.discriminator);
      features = body->layer_input_shape(body->size() - 1);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ": discriminator: " + e.what());
    }
    specs.q = with_width(part("q", features), "q", layout.categorical_width() + layout.continuous);
  }
  return specs;
}

AdversarialNetwork::AdversarialNetwork(nn::Network generator_, nn::Network discriminator_, c10::optional<nn::Network> q_head_,
                                       const LatentLayout& layout_, const nn::Shape& data_shape_, GanVariant variant_)
    : generator(std::move(generator_)), discriminator(std::move(discriminator_)), q_head(std::move(q_head_)), layout(layout_),
      data_shape(data_shape_), variant(variant_) {
  check_layout(layout);
  if (generator->input_shape() != nn::Shape{layout.size()}) {
    throw std::invalid_argument("the generator takes " + nn::to_string(generator->input_shape()) + " but the latent row is [" +
                                std::to_string(layout.size()) + "]");
  }
  if (generator->output_shape() != data_shape) {
    const size_t last = generator->size() - 1;
    throw std::invalid_argument("the generator's output " + nn::to_string(generator->output_shape()) + " (layers[" +
                                std::to_string(last) + "], " + generator->layer(last).type() + ") does not match the images " +
                                nn::to_string(data_shape));
  }
  if (discriminator->input_shape() != data_shape) {
    throw std::invalid_argument("the discriminator takes " + nn::to_string(discriminator->input_shape()) + " but the images are " +
                                nn::to_string(data_shape));
  }
  if (discriminator->output_shape() != nn::Shape{1} || discriminator->size() < 2) {
    throw std::invalid_argument("the discriminator's output is " + nn::to_string(discriminator->output_shape()) +
                                "; it must end in one logit [1] after at least one body layer");
  }
  if (layout.has_codes() != q_head.has_value()) {
    throw std::invalid_argument(layout.has_codes() ? "latent codes need a Q head to predict them" : "a Q head needs latent codes");
  }
  if (q_head) {
    const auto& features = discriminator->layer_input_shape(discriminator->size() - 1);
    if ((*q_head)->input_shape() != features) {
      throw std::invalid_argument("the Q head takes " + nn::to_string((*q_head)->input_shape()) + " but the discriminator's body gives " +
                                  nn::to_string(features));
    }
    const nn::Shape expected{layout.categorical_width() + layout.continuous};
    if ((*q_head)->output_shape() != expected) {
      throw std::invalid_argument("the Q head's output is " + nn::to_string((*q_head)->output_shape()) + "; the codes need " +
                                  nn::to_string(expected) + " (categorical logits, continuous means)");
    }
  }
}

at::Tensor AdversarialNetwork::generate(const at::Tensor& z) { return generator->forward(z); }

at::Tensor AdversarialNetwork::body(const at::Tensor& x) { return discriminator->forward_layers(x, 0, discriminator->size() - 1); }

at::Tensor AdversarialNetwork::logit_from_body(const at::Tensor& features) {
  return discriminator->forward_layers(features, discriminator->size() - 1, discriminator->size()).squeeze(1);
}

at::Tensor AdversarialNetwork::codes(const at::Tensor& x) {
  if (!q_head) throw std::invalid_argument("this " + to_string(variant) + " has no latent codes");
  return (*q_head)->forward(body(x));
}

at::Tensor AdversarialNetwork::predicted_category(const at::Tensor& x) {
  if (layout.categorical.empty()) throw std::invalid_argument("this " + to_string(variant) + " has no categorical code");
  return codes(x).narrow(1, 0, layout.categorical.front()).argmax(1);
}

void AdversarialNetwork::train() {
  generator->train();
  discriminator->train();
  if (q_head) (*q_head)->train();
}

void AdversarialNetwork::eval() {
  generator->eval();
  discriminator->eval();
  if (q_head) (*q_head)->eval();
}

std::vector<at::Tensor> AdversarialNetwork::discriminator_parameters() {
  auto parameters = discriminator->parameters();
  if (q_head) {
    for (const auto& p : (*q_head)->parameters()) parameters.push_back(p);
  }
  return parameters;
}

}  // namespace credence::generative

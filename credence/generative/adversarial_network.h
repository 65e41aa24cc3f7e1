// AdversarialNetwork: a generative adversarial network (Goodfellow et al. 2014) on network specs,
// a generator G(z) from a latent row to an image and a discriminator D(x) from an image to one
// logit; with InfoGAN's latent codes (Chen et al. 2016) an auxiliary head Q reads the
// discriminator's body (all its layers but the last) and predicts the codes. Pixels are in [0, 1]:
// the spec builders end the generator in a sigmoid, and training images are pixels / 255.
#pragma once

#include "credence/nn/network.h"
#include "credence/nn/network_spec.h"

#include <ATen/ATen.h>
#include <c10/util/Optional.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace credence::generative {

// gan: dense networks; dcgan: Radford et al.'s convolutional ones; infogan: DCGAN-shaped networks
// with latent codes and a Q head. The variant names the builder; the model holds its specs.
enum class GanVariant { gan, dcgan, infogan };
GanVariant gan_variant_from_string(const std::string& name);
std::string to_string(GanVariant variant);

// The generator's input row: `noise` N(0, 1) values, then one one-hot block per categorical code
// (uniform over its values), then `continuous` codes uniform in [-1, 1].
struct LatentLayout {
  int64_t noise = 100;
  std::vector<int64_t> categorical;  // the values of each categorical code (InfoGAN's MNIST: {10})
  int64_t continuous = 0;            // InfoGAN's MNIST: 2
  int64_t size() const;              // the generator's input width
  int64_t categorical_width() const; // the sum of the categorical sizes
  bool has_codes() const { return !categorical.empty() || continuous > 0; }
};

// A draw of the latent: the generator's input rows and the codes in them.
struct LatentDraw {
  at::Tensor z;           // [B, layout.size()]
  at::Tensor categorical; // [B, categorical codes] int64 (the values, not one-hot)
  at::Tensor continuous;  // [B, continuous]
};
LatentDraw sample_latent(const LatentLayout& layout, int64_t rows, at::Generator& generator,
                         const at::TensorOptions& options = at::TensorOptions().dtype(at::kFloat));
// The generator's input for given noise [B, noise], categorical values [B, codes] and continuous
// codes [B, continuous] (undefined tensors for absent parts).
at::Tensor assemble_latent(const LatentLayout& layout, const at::Tensor& noise, const at::Tensor& categorical,
                           const at::Tensor& continuous);

// Latent rows that vary one code along each grid row: `rows` rows, each with its own noise and
// other codes drawn once, repeated for each of `values` (row-major: row r's images are
// r * values.size() ... (r + 1) * values.size() - 1). The code is categorical code `index` (values
// in [0, its size)) or continuous code `index` (any values; the prior's range is [-1, 1]).
struct CodeSweep {
  bool categorical = true;
  int64_t index = 0;
  std::vector<double> values;
};
at::Tensor code_sweep_latent(const LatentLayout& layout, const CodeSweep& sweep, int64_t rows, at::Generator& generator);

// The losses, as means over the rows of logits l = D(x):
// the discriminator's BCE with real images labelled 1 and generated ones 0,
//   mean softplus(-l_real) + mean softplus(l_fake);
// the generator's non-saturating loss -log D(G(z)) (Goodfellow et al.'s practical choice),
//   mean softplus(-l_fake).
at::Tensor discriminator_loss(const at::Tensor& real_logits, const at::Tensor& fake_logits);
at::Tensor generator_loss(const at::Tensor& fake_logits);

// InfoGAN's variational lower bound on the mutual information I(c; G(z, c)) from Q's output row
// [categorical logits..., continuous means...], per term (means over the rows, in nats):
//   categorical: H(c) + E log Q(c | x) = sum_k (log K_k - cross-entropy_k),
//   continuous: H(c) + E log N(c; mean, 1) with H(c) = log 2 per uniform [-1, 1] code (Q's
//   variance is fixed at 1, so the bound is loose but its gradient is the squared error's).
struct InformationBound {
  at::Tensor categorical, continuous;  // scalars (zero where the layout has no such codes)
};
InformationBound information_bound(const LatentLayout& layout, const at::Tensor& q_output, const at::Tensor& categorical,
                                   const at::Tensor& continuous);

// Specs for images (or rows) of `data_shape` and a generator input of `latent` values.
// dense_gan_specs: generator latent -> hidden (batch_norm1d, leaky ReLU 0.2) -> pixels -> sigmoid
// (-> image shape); discriminator flatten -> hidden (leaky ReLU 0.2) -> one logit.
std::pair<nn::NetworkSpec, nn::NetworkSpec> dense_gan_specs(const nn::Shape& data_shape, int64_t latent,
                                                            const std::vector<int64_t>& generator_hidden = {256, 512},
                                                            const std::vector<int64_t>& discriminator_hidden = {512, 256});
// dcgan_specs for [C, H, W] images with H and W divisible by 4: the generator
//   linear -> batch_norm1d -> relu -> unflatten [maps[0], H/4, W/4]
//   -> conv_transpose2d maps[1] (4x4, stride 2) -> batch_norm2d -> relu
//   -> conv_transpose2d C (4x4, stride 2) -> sigmoid,
// the discriminator conv2d maps[0] (4x4, stride 2) -> leaky ReLU -> conv2d maps[1] (4x4, stride 2)
//   -> batch_norm2d -> leaky ReLU -> flatten [-> linear dense -> batch_norm1d -> leaky ReLU] -> linear 1.
// The default widths ({64, 32} and {32, 64}) are a quarter to a half of the papers' (128 maps), so
// that an MNIST epoch takes minutes on two CPU cores.
struct DcganWidths {
  std::vector<int64_t> generator = {64, 32};
  std::vector<int64_t> discriminator = {32, 64};
  int64_t discriminator_dense = 0;  // 0: the flattened maps feed the logit directly
};
std::pair<nn::NetworkSpec, nn::NetworkSpec> dcgan_specs(const nn::Shape& data_shape, int64_t latent,
                                                        const DcganWidths& widths = {});
// InfoGAN: the DCGAN specs with a dense layer of `widths.discriminator_dense` (128 if 0) in the
// discriminator, and Q on that layer's output: linear 64 -> batch_norm1d -> leaky ReLU -> linear
// (categorical logits and continuous means).
std::tuple<nn::NetworkSpec, nn::NetworkSpec, nn::NetworkSpec> infogan_specs(const nn::Shape& data_shape, const LatentLayout& layout,
                                                                            DcganWidths widths = {});

// The networks of a spec file {"generator": SPEC, "discriminator": SPEC, "q": SPEC} ("q" for an
// InfoGAN's codes, and only there; train --network). Each spec's input shape may be left out (the
// latent row, the images, the discriminator body's features), and so may the out_features of the
// discriminator's and Q's last dense layers (one logit; the categorical logits and continuous
// means). Throws std::invalid_argument naming the file and the part.
struct AdversarialSpecs {
  nn::NetworkSpec generator, discriminator;
  c10::optional<nn::NetworkSpec> q;
};
AdversarialSpecs read_adversarial_specs(const std::string& path, const nn::Shape& data_shape, const LatentLayout& layout);

class AdversarialNetwork {
 public:
  // Throws std::invalid_argument when the generator does not take [layout.size()] or its output
  // (the last layer named) is not `data_shape`, the discriminator does not take `data_shape` or
  // does not end in one logit, or with codes, when Q does not read the discriminator's body or
  // does not give [categorical width + continuous] values.
  AdversarialNetwork(nn::Network generator, nn::Network discriminator, c10::optional<nn::Network> q_head,
                     const LatentLayout& layout, const nn::Shape& data_shape, GanVariant variant);

  // G(z): images [B, data_shape...].
  at::Tensor generate(const at::Tensor& z);
  // The discriminator's body (all its layers but the last) and the logit [B] from the body.
  at::Tensor body(const at::Tensor& x);
  at::Tensor logit_from_body(const at::Tensor& features);
  at::Tensor logit(const at::Tensor& x) { return logit_from_body(body(x)); }
  // Q's output row for images x [B, categorical width + continuous].
  at::Tensor codes(const at::Tensor& x);
  // The most probable value of the first categorical code for images x [B] (int64).
  at::Tensor predicted_category(const at::Tensor& x);

  void train();
  void eval();
  std::vector<at::Tensor> discriminator_parameters();  // the discriminator's and Q's

  nn::Network generator, discriminator;
  c10::optional<nn::Network> q_head;
  LatentLayout layout;
  nn::Shape data_shape;
  GanVariant variant;
};

}  // namespace credence::generative

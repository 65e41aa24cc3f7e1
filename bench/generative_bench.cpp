// The VAE's cost against the auto-encoder's: one training epoch of each on MNIST's 60,000 training
// images (dynamically binarised, batch 100, Adam), Burda et al.'s dense size (784-200-200-50 and
// back; the VAE's encoder ends in 100 values, the means and log-variances), timed in alternation.
// Issue 13's target: a VAE epoch at most 1.3 times an auto-encoder epoch. Also the IWAE epoch at
// K = 5, for what the importance-weighted objective costs.
// Usage: generative_bench [--threads T] [--repeats R] [--data DIR] (DIR: an MNIST folder; default
// ../shared/data/mnist beside the source tree). Results: bench/results/generative.md.
#include "bench_support.h"

#include "credence/core/rng.h"
#include "credence/data/idx_file.h"
#include "credence/generative/autoencoder_training.h"
#include "credence/generative/vae_training.h"

#include <cstdio>
#include <cstring>
#include <string>

using namespace credence;

namespace {

nn::Network seeded(const nn::NetworkSpec& spec, std::uint64_t seed) {
  nn::Network net(spec);
  net->set_generator(core::make_generator(seed));
  net->reset_parameters();
  return net;
}

}  // namespace

int main(int argc, char** argv) {
  std::string directory = CREDENCE_SOURCE_DIR "/../shared/data/mnist";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data")) directory = argv[i + 1];
  }
  const int repeats = bench::setup(argc, argv, 3);
  const auto set = data::read_idx_images(directory, "train");
  const auto images = set.images.view({set.images.size(0), 1, set.rows, set.cols});
  std::printf("%lld training images from %s\n", static_cast<long long>(images.size(0)), directory.c_str());
  const nn::Shape shape{1, set.rows, set.cols};
  const auto likelihood = generative::DecoderLikelihood::bernoulli;
  const auto [ae_encoder, ae_decoder] = generative::dense_autoencoder_specs(shape, 50, {200, 200}, likelihood);
  const auto [vae_encoder, vae_decoder] = generative::dense_vae_specs(shape, 50, {200, 200}, likelihood);
  generative::Autoencoder ae(seeded(ae_encoder, 1), seeded(ae_decoder, 2), 50, shape, likelihood);
  generative::VariationalAutoencoder vae(seeded(vae_encoder, 1), seeded(vae_decoder, 2), 50, shape, likelihood);
  generative::VaeTrainOptions options;
  options.epochs = 1;
  options.batch_size = 100;
  options.dynamic_binarisation = true;
  auto g = core::make_generator(3);
  const auto ae_epoch = [&] { generative::train_autoencoder(ae, images, options, g); };
  const auto vae_epoch = [&] { generative::train_vae(vae, images, options, g); };
  const auto elbo = bench::paired_median_seconds(vae_epoch, ae_epoch, repeats);
  std::printf("auto-encoder epoch %.2f s, VAE epoch %.2f s: VAE / auto-encoder %.3f (target <= 1.3)\n", elbo.second, elbo.first,
              elbo.ratio);
  auto iwae_options = options;
  iwae_options.importance_samples = 5;
  const auto iwae_epoch = [&] { generative::train_vae(vae, images, iwae_options, g); };
  const auto iwae = bench::paired_median_seconds(iwae_epoch, ae_epoch, repeats);
  std::printf("IWAE (K = 5) epoch %.2f s: IWAE / auto-encoder %.3f\n", iwae.first, iwae.ratio);
  return 0;
}

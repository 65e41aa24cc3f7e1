// `credence sample`: draws from a generative model's prior and decodes the draws into a PNG grid.
#include "cli_support.h"
#include "commands.h"

#include "credence/core/rng.h"
#include "credence/generative/bound_training.h"
#include "credence/io/archive.h"
#include "credence/io/regression_model.h"
#include "credence/io/autoencoder_model.h"
#include "credence/io/vae_model.h"
#include "credence/report/image_grid.h"

#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct SampleArguments {
  std::string model, out;
  int64_t count = 64, columns = 8;
  std::uint64_t seed = 0;
  bool manifold = false;
};

void run_sample(const SampleArguments& a) {
  check_output("--out", a.out, {{"--model", a.model}});
  require(a.count >= 1 && a.count <= 100000, "--count", "expected 1 to 100000 images, got " + std::to_string(a.count));
  require(a.columns >= 1, "--columns", "expected at least one column");
  const auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  require(kind != io::kAutoencoderKind, "--model",
          a.model + " is an auto-encoder, which has no prior to draw codes from; train --task vae for a model to sample");
  require(kind == io::kVariationalAutoencoderKind, "--model",
          a.model + " is a '" + kind + "' model; sample draws from a generative model (train --task vae)");
  auto model = io::vae_model_from_archive(archive);
  auto& vae = model.vae;
  require(vae.likelihood == generative::DecoderLikelihood::bernoulli && vae.data_shape.size() == 3 &&
              (vae.data_shape[0] == 1 || vae.data_shape[0] == 3),
          "--model", a.model + " does not decode images [1 or 3, height, width]");
  require(!a.manifold || vae.latent == 2, "--manifold",
          "draws a 2-D latent space; " + a.model + " has " + std::to_string(vae.latent) + " latent units");
  auto generator = core::make_generator(a.seed);
  at::NoGradGuard no_grad;
  const auto z = a.manifold ? generative::manifold_latents(a.columns) : at::randn({a.count, vae.latent}, generator);
  // The images are the decoder's pixel probabilities (the Bernoulli means), not binary draws.
  const auto images = generative::decoder_mean(vae.likelihood, vae.decoder->forward(generative::in_network_dtype(vae.decoder, z)), vae.data_shape);
  report::write_png_grid(a.out, images, {a.columns, 2, 1.0});
  if (a.manifold) {
    std::cerr << "drew the latent manifold of " << a.model << " (" << a.columns << " x " << a.columns << "): " << a.out << "\n";
  } else {
    std::cerr << "sampled " << a.count << " images from " << a.model << " (seed " << a.seed << "): " << a.out << "\n";
  }
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto args = std::make_shared<SampleArguments>();
  auto* c = app.add_subcommand("sample", "Draw images from a generative model (a VAE) and write them as a PNG grid");
  c->add_option("--model", args->model, "A model file written by train --task vae")->required();
  c->add_option("--out", args->out, "The PNG file to write")->required();
  c->add_option("--count", args->count, "Images to draw")->capture_default_str();
  c->add_option("--columns", args->columns, "Images per row of the grid")->capture_default_str();
  c->add_option("--seed", args->seed, "Seed of the latent draws")->capture_default_str();
  c->add_flag("--manifold", args->manifold,
              "A VAE with 2 latent units: decode a --columns x --columns grid of prior quantiles (not random draws)");
  c->callback([args] { run_sample(*args); });
}

}  // namespace credence::cli

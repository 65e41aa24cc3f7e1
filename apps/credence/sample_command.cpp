// `credence sample`: draws from a generative model's prior and decodes the draws into a PNG grid
// (a VAE's decoder means, a GAN's generated images; for InfoGAN, rows that vary one code).
#include "cli_support.h"
#include "commands.h"

#include "credence/core/rng.h"
#include "credence/generative/bound_training.h"
#include "credence/io/adversarial_model.h"
#include "credence/io/archive.h"
#include "credence/io/regression_model.h"
#include "credence/io/autoencoder_model.h"
#include "credence/io/vae_model.h"
#include "credence/report/image_grid.h"

#include <cmath>
#include <iostream>
#include <memory>

namespace credence::cli {

namespace {

struct SampleArguments {
  std::string model, out, code;
  int64_t count = 64, columns = 8;
  std::uint64_t seed = 0;
  bool manifold = false;
  int threads = 0;
};

// --code NAME=FROM..TO: "c=0..9" (the categorical code, integers FROM to TO) or "u1=-1..1" (the
// first continuous code, --columns values evenly spaced from FROM to TO).
generative::CodeSweep parse_code_sweep(const std::string& text, int64_t columns) {
  const auto equals = text.find('='), dots = text.find("..");
  require(equals != std::string::npos && dots != std::string::npos && dots > equals, "--code",
          "expected c=FROM..TO or uN=FROM..TO (as c=0..9), got '" + text + "'");
  const auto name = text.substr(0, equals);
  generative::CodeSweep sweep;
  double from = 0.0, to = 0.0;
  try {
    size_t used_from = 0, used_to = 0;
    from = std::stod(text.substr(equals + 1, dots - equals - 1), &used_from);
    to = std::stod(text.substr(dots + 2), &used_to);
    if (used_from != dots - equals - 1 || used_to != text.size() - dots - 2) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw std::invalid_argument("--code: expected numbers in '" + text + "' (as c=0..9)");
  }
  if (name == "c") {
    require(from == std::floor(from) && to == std::floor(to) && from <= to, "--code",
            "the categorical code's range must be integers FROM <= TO, got '" + text + "'");
    for (double v = from; v <= to; v += 1.0) sweep.values.push_back(v);
    return sweep;
  }
  require(name.size() > 1 && name[0] == 'u' && name.find_first_not_of("0123456789", 1) == std::string::npos, "--code",
          "expected the code c (categorical) or u1, u2, ... (continuous), got '" + name + "'");
  sweep.categorical = false;
  sweep.index = std::stoll(name.substr(1)) - 1;
  for (int64_t i = 0; i < columns; ++i) {
    sweep.values.push_back(columns == 1 ? from : from + (to - from) * static_cast<double>(i) / static_cast<double>(columns - 1));
  }
  return sweep;
}

// A GAN's images: --count draws, or with --code rows of one code's values (count / values rows,
// at least one; the noise and the other codes fixed along each row).
void sample_adversarial(const SampleArguments& a, const io::Archive& archive) {
  require(!a.manifold, "--manifold", "draws a VAE's 2-D latent space; " + a.model + " is a GAN");
  auto model = io::adversarial_model_from_archive(archive);
  auto& gan = model.gan;
  require(gan.data_shape.size() == 3 && (gan.data_shape[0] == 1 || gan.data_shape[0] == 3), "--model",
          a.model + " does not generate images [1 or 3, height, width]");
  auto generator = core::make_generator(a.seed);
  at::NoGradGuard no_grad;
  gan.eval();
  int64_t columns = a.columns;
  at::Tensor z;
  if (a.code.empty()) {
    z = generative::sample_latent(gan.layout, a.count, generator).z;
  } else {
    require(gan.layout.has_codes(), "--code", a.model + " is a " + generative::to_string(gan.variant) + " without latent codes");
    const auto sweep = parse_code_sweep(a.code, a.columns);
    columns = static_cast<int64_t>(sweep.values.size());
    z = generative::code_sweep_latent(gan.layout, sweep, std::max<int64_t>(1, a.count / columns), generator);
  }
  report::write_png_grid(a.out, gan.generate(z), {columns, 2, 1.0});
  std::cerr << "sampled " << z.size(0) << " images from " << a.model << " (seed " << a.seed << "): " << a.out << "\n";
}

void run_sample(const SampleArguments& a) {
  check_output("--out", a.out, {{"--model", a.model}});
  apply_threads(a.threads);
  require(a.count >= 1 && a.count <= 100000, "--count", "expected 1 to 100000 images, got " + std::to_string(a.count));
  require(a.columns >= 1, "--columns", "expected at least one column");
  const auto archive = io::read_archive(a.model);
  const auto kind = io::archive_kind(archive);
  require(kind != io::kAutoencoderKind, "--model",
          a.model + " is an auto-encoder, which has no prior to draw codes from; train --task vae for a model to sample");
  if (kind == io::kAdversarialNetworkKind) {
    sample_adversarial(a, archive);
    return;
  }
  require(kind == io::kVariationalAutoencoderKind, "--model",
          a.model + " is a '" + kind + "' model; sample draws from a generative model (train --task vae, gan, dcgan or infogan)");
  require(a.code.empty(), "--code", "latent codes are InfoGAN's (train --task infogan)");
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
  auto* c = app.add_subcommand("sample", "Draw images from a generative model (a VAE or a GAN) and write them as a PNG grid");
  c->add_option("--model", args->model, "A model file written by train --task vae, gan, dcgan or infogan")->required();
  c->add_option("--out", args->out, "The PNG file to write")->required();
  c->add_option("--count", args->count, "Images to draw")->capture_default_str();
  c->add_option("--columns", args->columns, "Images per row of the grid")->capture_default_str();
  c->add_option("--seed", args->seed, "Seed of the latent draws")->capture_default_str();
  c->add_flag("--manifold", args->manifold,
              "A VAE with 2 latent units: decode a --columns x --columns grid of prior quantiles (not random draws)");
  c->add_option("--code", args->code,
                "InfoGAN: each grid row varies one code with the noise fixed per row: c=0..9 (the categorical code's "
                "values, one per column) or u1=-1..1 (a continuous code, --columns evenly spaced values); --count / "
                "values rows");
  add_threads_option(c, args->threads);
  c->callback([args] { run_sample(*args); });
}

}  // namespace credence::cli

// `credence train --task vae` and `credence sample` on a small image folder: the model trains
// (its ELBO rises), samples decode to a PNG grid of the asked layout, and bad input is one line.
#include "credence/core/rng.h"
#include "credence/data/idx_file.h"
#include "credence/io/autoencoder_model.h"
#include "credence/io/vae_model.h"
#include "credence/report/image_grid.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

using namespace credence;
using namespace credence::testing;

namespace {

// 300 images 8 x 8 (or side x side): the top or the bottom half bright, the rest dark, with noise.
void write_halves(const std::string& directory, int64_t side = 8) { write_half_images(directory, side, 0, 5); }

}  // namespace

TEST(GenerativeCli, TrainsAVaeAndSamplesAGrid) {
  TemporaryDirectory dir;
  write_halves(dir.path("halves"));
  const std::string model = dir.path("vae.credence");
  const auto trained = run_cli("train --task vae --data idx:" + dir.path("halves") +
                               " --latent 2 --hidden 32 --epochs 30 --batch-size 30 --lr 0.003 --seed 1 --out " + model);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_NE(trained.err.find("trained a VAE (2 latent units) on 300 images"), std::string::npos) << trained.err;
  const auto vae = io::load_vae_model(model);
  EXPECT_EQ(vae.vae.latent, 2);
  EXPECT_EQ(vae.vae.data_shape, (nn::Shape{1, 8, 8}));
  // The progress lines' ELBO (one per tenth of the epochs) rises from the first to the last.
  std::vector<double> bounds;
  for (size_t at = trained.err.find("elbo "); at != std::string::npos; at = trained.err.find("elbo ", at + 1)) {
    bounds.push_back(std::stod(trained.err.substr(at + 5)));
  }
  ASSERT_GE(bounds.size(), 2u);
  EXPECT_GT(bounds.back(), bounds.front() + 2.0);

  const std::string grid = dir.path("grid.png");
  const auto sampled = run_cli("sample --model " + model + " --count 6 --columns 3 --seed 4 --out " + grid);
  ASSERT_EQ(sampled.exit_code, 0) << sampled.err;
  const auto pixels = report::read_png(grid);
  EXPECT_EQ(pixels.sizes().vec(), (std::vector<int64_t>{2 * (8 + 2) + 2, 3 * (8 + 2) + 2, 1}));
  // The same seed gives the same grid.
  ASSERT_EQ(run_cli("sample --model " + model + " --count 6 --columns 3 --seed 4 --out " + dir.path("again.png")).exit_code, 0);
  EXPECT_EQ(read_text(grid), read_text(dir.path("again.png")));

  // Test scores: the importance-weighted estimate lies above the ELBO (Burda et al.'s theorem), both
  // per row in nats over the 300 test images.
  const auto evaluated = run_cli("evaluate --model " + model + " --data idx:" + dir.path("halves") +
                                 " --importance-samples 50 --seed 2 --json");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  const auto report = nlohmann::json::parse(evaluated.out);
  EXPECT_EQ(report.at("rows"), 300);
  EXPECT_EQ(report.at("importance_samples"), 50);
  EXPECT_EQ(report.at("binarisation"), "fixed, seed 2");
  EXPECT_GT(report.at("log_likelihood").get<double>(), report.at("elbo").get<double>());
  EXPECT_LT(report.at("log_likelihood").get<double>(), 0.0);
  EXPECT_GT(report.at("elbo").get<double>(), -64.0 * std::log(2.0));  // better than coin flips for 64 pixels
}

TEST(GenerativeCli, BadInputIsOneLine) {
  TemporaryDirectory dir;
  write_halves(dir.path("halves"));
  const std::string data = " --data idx:" + dir.path("halves");
  expect_cli_error("train --task vae" + data + " --latent 0 --out " + dir.path("v.credence"),
                   "--latent: expected at least 1 latent unit, got 0", 1, dir.path("v.credence"));
  expect_cli_error("train --task vae" + data + " --importance-samples 0 --out " + dir.path("v.credence"),
                   "--importance-samples: expected at least 1, got 0", 1, dir.path("v.credence"));
  // Images of another size than the model's.
  const std::string model = dir.path("vae.credence");
  ASSERT_EQ(run_cli("train --task vae" + data + " --latent 2 --hidden 8 --epochs 1 --quiet --out " + model).exit_code, 0);
  write_halves(dir.path("larger"), 10);
  expect_cli_error("evaluate --model " + model + " --data idx:" + dir.path("larger") + " --importance-samples 5",
                   "--data: " + dir.path("larger") + " holds 10x10 images but the model was trained on [1, 8, 8]");
  write_sine_csv(dir.path("sine.csv"), 50, 1);
  ASSERT_EQ(run_cli("train --data " + dir.path("sine.csv") + " --target y --epochs 1 --quiet --out " + dir.path("r.credence")).exit_code, 0);
  expect_cli_error("sample --model " + dir.path("r.credence") + " --out " + dir.path("s.png"),
                   "--model: " + dir.path("r.credence") +
                       " is a 'regression_network' model; sample draws from a generative model (train --task vae, gan, dcgan or infogan)",
                   1, dir.path("s.png"));
}

TEST(GenerativeCli, AnAutoencoderTrainsReconstructsAndScoresOtherImages) {
  TemporaryDirectory dir;
  write_halves(dir.path("halves"));
  // The other set: left or right halves bright, which the model never saw.
  write_half_images(dir.path("sides"), 8, 1, 6, {"t10k"});
  const std::string model = dir.path("ae.credence");
  const auto trained = run_cli("train --task autoencoder --data idx:" + dir.path("halves") +
                               " --latent 2 --hidden 32 --epochs 30 --batch-size 30 --lr 0.003 --seed 1 --out " + model);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_NE(trained.err.find("trained an auto-encoder (2 code units) on 300 images"), std::string::npos) << trained.err;
  EXPECT_EQ(trained.err.find(" kl "), std::string::npos) << trained.err;
  const auto ae = io::load_autoencoder_model(model);
  EXPECT_EQ(ae.autoencoder.latent, 2);

  const std::string grid = dir.path("reconstructions.png");
  const auto evaluated = run_cli("evaluate --model " + model + " --data idx:" + dir.path("halves") + " --ood idx:" +
                                 dir.path("sides") + " --reconstructions " + grid + " --json");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  const auto report = nlohmann::json::parse(evaluated.out);
  EXPECT_EQ(report.at("rows"), 300);
  EXPECT_EQ(report.at("ood_rows"), 300);
  EXPECT_EQ(report.at("binarisation"), "fixed, seed 0 (--ood: seed 1)");
  EXPECT_GT(report.at("reconstruction_log_likelihood").get<double>(), report.at("ood_reconstruction_log_likelihood").get<double>());
  EXPECT_GT(report.at("auroc").get<double>(), 0.9);
  // 32 test images above their reconstructions, 8 to a row: 8 rows of 8 x 8 pixels, 2 apart.
  EXPECT_EQ(report::read_png(grid).sizes().vec(), (std::vector<int64_t>{8 * 10 + 2, 8 * 10 + 2, 1}));

  // An auto-encoder has no prior to sample from, and a manifold needs a 2-D VAE.
  expect_cli_error("sample --model " + model + " --out " + dir.path("s.png"),
                   "--model: " + model + " is an auto-encoder, which has no prior to draw codes from; train --task vae for a model to sample",
                   1, dir.path("s.png"));
  const std::string vae = dir.path("vae.credence");
  ASSERT_EQ(run_cli("train --task vae --data idx:" + dir.path("halves") + " --latent 3 --hidden 8 --epochs 1 --quiet --out " + vae).exit_code, 0);
  expect_cli_error("sample --model " + vae + " --manifold --out " + dir.path("m.png"),
                   "--manifold: draws a 2-D latent space; " + vae + " has 3 latent units", 1, dir.path("m.png"));
  expect_cli_error("evaluate --model " + dir.path("vae.credence") + " --data idx:" + dir.path("halves") + " --ood " + dir.path("x.csv"),
                   "--ood: generative models read images: expected idx:DIR, got " + dir.path("x.csv"));
}

TEST(GenerativeCli, AVaeFromASpecFileDrawsItsManifold) {
  TemporaryDirectory dir;
  write_halves(dir.path("halves"));
  const std::string spec = dir.path("vae.json");
  write_text(spec, R"({"encoder": {"layers": [{"type": "flatten"}, {"type": "linear", "out_features": 24}, {"type": "tanh"},
                                 {"type": "linear"}]},
                     "decoder": {"layers": [{"type": "linear", "out_features": 24}, {"type": "tanh"}, {"type": "linear"},
                                 {"type": "unflatten", "shape": [1, 8, 8]}]}})");
  const std::string model = dir.path("vae.credence");
  const auto trained = run_cli("train --task vae --network " + spec + " --data idx:" + dir.path("halves") +
                               " --latent 2 --epochs 5 --lr-schedule cosine --quiet --out " + model);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const auto vae = io::load_vae_model(model);
  EXPECT_EQ(vae.vae.encoder->layer_output_shape(1), (nn::Shape{24}));
  EXPECT_EQ(vae.vae.encoder->output_shape(), (nn::Shape{4}));
  EXPECT_EQ(vae.training.at("lr_schedule"), "cosine");
  const std::string grid = dir.path("manifold.png");
  const auto drawn = run_cli("sample --model " + model + " --manifold --columns 5 --out " + grid);
  ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
  EXPECT_EQ(report::read_png(grid).sizes().vec(), (std::vector<int64_t>{5 * 10 + 2, 5 * 10 + 2, 1}));
  // A decoder that does not end in the images' size is named with its last layer.
  write_text(spec, R"({"encoder": {"layers": [{"type": "flatten"}, {"type": "linear"}]},
                     "decoder": {"layers": [{"type": "linear", "out_features": 32}]}})");
  expect_cli_error("train --task vae --network " + spec + " --data idx:" + dir.path("halves") + " --latent 2 --out " + dir.path("bad.credence"),
                   "--network: " + spec + ": decoder: layers[0] (linear): out_features 32 does not match the task's output width 64 "
                   "(leave out_features out of the last layer to have it set)",
                   1, dir.path("bad.credence"));
  expect_cli_error("train --task autoencoder --importance-samples 5 --data idx:" + dir.path("halves") + " --out " + dir.path("bad.credence"),
                   "--importance-samples: is for --task vae (the importance-weighted bound)", 1, dir.path("bad.credence"));
}

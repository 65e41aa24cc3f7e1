// `credence train --task vae` and `credence sample` on a small image folder: the model trains
// (its ELBO rises), samples decode to a PNG grid of the asked layout, and bad input is one line.
#include "credence/core/rng.h"
#include "credence/data/idx_file.h"
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

// 300 images 8 x 8: the top or the bottom half bright, the rest dark, with noise.
void write_halves(const std::string& directory, int64_t side = 8) {
  std::filesystem::create_directories(directory);
  auto g = core::make_generator(5);
  for (const std::string prefix : {"train", "t10k"}) {
    auto images = at::rand({300, side, side}, g) * 60.0;
    for (int64_t i = 0; i < 300; ++i) images[i].slice(0, (i % 2) * side / 2, (i % 2) * side / 2 + side / 2) += 190.0;
    data::write_idx(directory + "/" + prefix + "-images-idx3-ubyte.gz", images.clamp(0, 255).to(at::kByte), true);
    data::write_idx(directory + "/" + prefix + "-labels-idx1-ubyte.gz", (at::arange(300) % 2).to(at::kByte), true);
  }
}

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
                   "--data: idx:" + dir.path("larger") + " holds 10 x 10 images; the model was trained on [1, 8, 8]");
  write_sine_csv(dir.path("sine.csv"), 50, 1);
  ASSERT_EQ(run_cli("train --data " + dir.path("sine.csv") + " --target y --epochs 1 --quiet --out " + dir.path("r.credence")).exit_code, 0);
  expect_cli_error("sample --model " + dir.path("r.credence") + " --out " + dir.path("s.png"),
                   "--model: " + dir.path("r.credence") +
                       " is a 'regression_network' model; sample draws from a generative model (train --task vae, gan, dcgan or infogan)",
                   1, dir.path("s.png"));
}

// `credence train --task gan | dcgan | infogan`, `sample` and `evaluate --classifier` on a small
// image folder: the models train and are written, InfoGAN's code sweep lays out its grid, the
// scores come with the real images' own, and bad input is one line.
#include "credence/core/rng.h"
#include "credence/data/idx_file.h"
#include "credence/io/adversarial_model.h"
#include "credence/report/image_grid.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>

using namespace credence;
using namespace credence::testing;

namespace {

// 300 images side x side: a bright left or right half (the label) on a dark noisy ground.
void write_left_right_halves(const std::string& directory, int64_t side = 8) { write_half_images(directory, side, 1, 6); }

}  // namespace

TEST(AdversarialCli, TrainsSamplesAndScoresEachVariant) {
  TemporaryDirectory dir;
  write_left_right_halves(dir.path("halves"));
  // One thread: on a loaded machine two OpenMP threads spin on these small operations.
  const std::string data = " --threads 1 --data idx:" + dir.path("halves");
  const std::string classifier = dir.path("classifier.credence");
  ASSERT_EQ(run_cli("train --task classification" + data + " --epochs 5 --quiet --seed 1 --out " + classifier).exit_code, 0);
  for (const std::string task : {"gan", "dcgan", "infogan"}) {
    const std::string model = dir.path(task + ".credence");
    const std::string codes = task == "infogan" ? " --categorical 2 --continuous 1" : "";
    const auto trained = run_cli("train --task " + task + data + codes + " --latent 6 --epochs 2 --batch-size 50 --seed 1 --out " + model);
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    EXPECT_NE(trained.err.find("epoch 2/2 discriminator loss "), std::string::npos) << trained.err;
    EXPECT_NE(trained.err.find(" D(G(z)) "), std::string::npos) << trained.err;
    const auto loaded = io::load_adversarial_model(model);
    EXPECT_EQ(generative::to_string(loaded.gan.variant), task);
    EXPECT_EQ(loaded.gan.data_shape, (nn::Shape{1, 8, 8}));
    EXPECT_EQ(loaded.gan.layout.size(), task == "infogan" ? 9 : 6);
    EXPECT_EQ(loaded.training.at("learning_rate"), 2e-4);
    EXPECT_EQ(loaded.training.at("batch_size"), 50);
    EXPECT_EQ(loaded.training.at("generator_learning_rate"), task == "infogan" ? 1e-3 : 2e-4);  // Chen et al.'s for InfoGAN

    const auto evaluated = run_cli("evaluate --model " + model + " --classifier " + classifier + data + " --count 200 --json");
    ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
    const auto report = nlohmann::json::parse(evaluated.out);
    EXPECT_EQ(report.at("generated"), 200);
    EXPECT_EQ(report.at("rows"), 300);
    for (const auto* key : {"inception_score", "inception_score_real"}) {
      EXPECT_GE(report.at(key).get<double>(), 1.0) << key;
      EXPECT_LE(report.at(key).get<double>(), 2.0) << key;  // two classes
    }
    // The classifier tells the real halves apart confidently; two real halves are close.
    EXPECT_GT(report.at("inception_score_real").get<double>(), 1.5);
    EXPECT_GE(report.at("frechet_distance").get<double>(), 0.0);
    EXPECT_LT(report.at("frechet_distance_real").get<double>(), report.at("frechet_distance").get<double>());
    EXPECT_EQ(report.contains("code_accuracy"), task == "infogan");
    if (task == "infogan") {
      EXPECT_GE(report.at("code_accuracy").get<double>(), 0.5);
      EXPECT_LE(report.at("code_accuracy").get<double>(), 1.0);
    }
  }
  // InfoGAN's sweep: --count 6 with c=0..1 is 3 rows of 2 images, the noise fixed along a row.
  const std::string grid = dir.path("codes.png");
  const auto swept = run_cli("sample --threads 1 --model " + dir.path("infogan.credence") + " --code c=0..1 --count 6 --seed 3 --out " + grid);
  ASSERT_EQ(swept.exit_code, 0) << swept.err;
  EXPECT_EQ(report::read_png(grid).sizes().vec(), (std::vector<int64_t>{3 * (8 + 2) + 2, 2 * (8 + 2) + 2, 1}));
  ASSERT_EQ(run_cli("sample --threads 1 --model " + dir.path("infogan.credence") + " --code u1=-1..1 --columns 4 --count 8 --seed 3 --out " +
                    dir.path("continuous.png"))
                .exit_code,
            0);
  EXPECT_EQ(report::read_png(dir.path("continuous.png")).sizes().vec(), (std::vector<int64_t>{2 * (8 + 2) + 2, 4 * (8 + 2) + 2, 1}));
  // A plain sample is --count images in --columns, the same for the same seed.
  ASSERT_EQ(run_cli("sample --threads 1 --model " + dir.path("dcgan.credence") + " --count 6 --columns 3 --seed 4 --out " + dir.path("a.png")).exit_code, 0);
  ASSERT_EQ(run_cli("sample --threads 1 --model " + dir.path("dcgan.credence") + " --count 6 --columns 3 --seed 4 --out " + dir.path("b.png")).exit_code, 0);
  EXPECT_EQ(read_text(dir.path("a.png")), read_text(dir.path("b.png")));
}

TEST(AdversarialCli, BadInputIsOneLine) {
  TemporaryDirectory dir;
  write_left_right_halves(dir.path("halves"));
  write_left_right_halves(dir.path("larger"), 10);
  // One thread: on a loaded machine two OpenMP threads spin on these small operations.
  const std::string data = " --threads 1 --data idx:" + dir.path("halves");
  expect_cli_error("train --task dcgan --threads 1 --data idx:" + dir.path("larger") + " --epochs 1 --out " + dir.path("d.credence"),
                   "a DCGAN draws images [channels, height, width] with sides divisible by 4 (two upsamplings by 2), not [1, 10, 10]",
                   1, dir.path("d.credence"));
  expect_cli_error("train --task gan" + data + " --latent 0 --out " + dir.path("g.credence"),
                   "--latent: expected at least 1 noise value, got 0", 1, dir.path("g.credence"));
  expect_cli_error("train --task infogan" + data + " --categorical 1 --out " + dir.path("g.credence"),
                   "--categorical: expected 0 (none) or a code of at least 2 values, got 1", 1, dir.path("g.credence"));
  const std::string gan = dir.path("gan.credence"), other = dir.path("other.credence");
  ASSERT_EQ(run_cli("train --task gan" + data + " --latent 4 --epochs 1 --quiet --out " + gan).exit_code, 0);
  ASSERT_EQ(run_cli("train --task classification --threads 1 --data idx:" + dir.path("larger") + " --epochs 1 --quiet --out " + other).exit_code, 0);
  expect_cli_error("evaluate --model " + gan + " --classifier " + other + data,
                   "--classifier: " + other + " takes [1, 10, 10] images but the generator draws [1, 8, 8]");
  expect_cli_error("evaluate --model " + gan + " --classifier " + gan + data,
                   "--classifier: " + gan + " is a 'adversarial_network' model, not a classifier (train --task classification)");
  expect_cli_error("evaluate --model " + gan + data,
                   "--classifier: a GAN is scored with a classifier's view of its images: give a model of train --task classification");
  expect_cli_error("evaluate --threads 1 --model " + other + " --classifier " + gan + " --data idx:" + dir.path("larger"),
                   "--classifier: a classifier scores the images of a GAN (train --task gan, dcgan or infogan)");
  expect_cli_error("sample --threads 1 --model " + gan + " --code c=0..9 --out " + dir.path("s.png"),
                   "--code: " + gan + " is a gan without latent codes", 1, dir.path("s.png"));
}

// --network FILE: the spec file's networks are the ones trained and stored (inputs and the last
// widths filled in), for infogan with its Q head; bad files are one line naming the file and part.
TEST(AdversarialCli, NetworksFromASpecFile) {
  TemporaryDirectory dir;
  write_left_right_halves(dir.path("halves"));
  const std::string data = " --threads 1 --data idx:" + dir.path("halves");
  const std::string dense = R"({"type": "linear", "out_features": 16}, {"type": "leaky_relu", "negative_slope": 0.2})";
  const std::string generator =
      R"("generator": {"layers": [)" + dense + R"(, {"type": "linear", "out_features": 64}, {"type": "sigmoid"},
                                  {"type": "unflatten", "shape": [1, 8, 8]}]})";
  const std::string discriminator = R"("discriminator": {"layers": [{"type": "flatten"}, )" + dense + R"(, {"type": "linear"}]})";
  const std::string q = R"("q": {"layers": [{"type": "linear", "out_features": 8}, {"type": "relu"}, {"type": "linear"}]})";
  const std::string gan_file = dir.path("gan.json"), infogan_file = dir.path("infogan.json");
  write_text(gan_file, "{" + generator + ", " + discriminator + "}");
  write_text(infogan_file, "{" + generator + ", " + discriminator + ", " + q + "}");
  for (const std::string task : {"dcgan", "infogan"}) {
    const std::string model = dir.path(task + ".credence");
    const std::string codes = task == "infogan" ? " --categorical 2 --continuous 1" : "";
    const auto trained = run_cli("train --task " + task + data + codes + " --network " + (task == "infogan" ? infogan_file : gan_file) +
                                 " --latent 6 --epochs 1 --batch-size 50 --seed 1 --quiet --out " + model);
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    const auto loaded = io::load_adversarial_model(model);
    EXPECT_EQ(generative::to_string(loaded.gan.variant), task);
    ASSERT_EQ(loaded.gan.generator->size(), 5u);
    EXPECT_EQ(loaded.gan.generator->input_shape(), (nn::Shape{task == "infogan" ? 9 : 6}));
    EXPECT_EQ(loaded.gan.discriminator->size(), 4u);
    EXPECT_EQ(loaded.gan.discriminator->output_shape(), (nn::Shape{1}));
    EXPECT_EQ(loaded.gan.q_head.has_value(), task == "infogan");
    if (loaded.gan.q_head) {
      EXPECT_EQ((*loaded.gan.q_head)->input_shape(), (nn::Shape{16}));
      EXPECT_EQ((*loaded.gan.q_head)->output_shape(), (nn::Shape{3}));  // two categorical logits and one continuous mean
    }
    ASSERT_EQ(run_cli("sample --threads 1 --model " + model + " --count 4 --seed 2 --out " + dir.path(task + ".png")).exit_code, 0);
  }
  const std::string out = dir.path("bad.credence");
  expect_cli_error("train --task infogan" + data + " --network " + gan_file + " --out " + out,
                   "--network: " + gan_file + ": an infogan's codes need a \"q\" network spec (Q's head on the discriminator's body)", 1, out);
  expect_cli_error("train --task gan" + data + " --network " + infogan_file + " --out " + out,
                   "--network: " + infogan_file + ": a \"q\" network spec is for --task infogan", 1, out);
  const std::string small = dir.path("small.json");
  write_text(small, R"({"generator": {"layers": [{"type": "linear", "out_features": 49}, {"type": "unflatten", "shape": [1, 7, 7]}]}, )" +
                        discriminator + "}");
  expect_cli_error("train --task gan" + data + " --network " + small + " --out " + out,
                   "--network: " + small + ": the generator's output [1, 7, 7] (layers[1], unflatten) does not match the images [1, 8, 8]", 1, out);
  const std::string missing = dir.path("missing.json");
  write_text(missing, "{" + generator + "}");
  expect_cli_error("train --task gan" + data + " --network " + missing + " --out " + out,
                   "--network: " + missing + ": the \"discriminator\" network spec is missing", 1, out);
}

// Model files of format version 1 (written by credence 548f559, before the network spec) still load
// and predict as they did: deterministic networks bit for bit, Bayesian ones within Monte Carlo
// error; a damaged version-1 file is refused.
#include "credence/data/csv_table.h"
#include "credence/data/idx_file.h"
#include "credence/io/archive.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"
#include "credence/workflow/classification_prediction.h"
#include "credence/workflow/regression_prediction.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace credence;

namespace {

const std::string kFixtures = std::string(CREDENCE_SOURCE_DIR) + "/tests/io/fixtures/v1/";

// The stored predictions' columns by name, as float64.
at::Tensor stored_column(const data::CsvTable& table, const std::string& name) {
  return table.select_double({name}).squeeze(1);
}

}  // namespace

TEST(Version1Fixtures, RegressionNetworksPredictAsTheyDid) {
  const auto rows = data::read_csv(kFixtures + "regression.csv");
  const auto inputs = rows.select({"x1", "x2"});
  for (const std::string name : {"regression_bbb", "regression_bbb_mixture_flipout",
                                 "regression_deterministic_heteroscedastic", "regression_mcdropout"}) {
    SCOPED_TRACE(name);
    const auto archive = io::read_archive(kFixtures + name + ".model");
    ASSERT_EQ(archive.format_version, 1u);
    const auto model = io::regression_model_from_archive(archive);
    const auto stored = data::read_csv(kFixtures + name + ".predictions.csv");
    const bool deterministic = name.find("deterministic") != std::string::npos;
    auto p = workflow::predict_regression(model, inputs, deterministic ? 1 : 2000, 0.95, 0);
    const auto mean = p.uncertainty.mean.to(at::kDouble), stored_mean = stored_column(stored, "mean");
    const auto stored_std = stored_column(stored, "std"), stored_epistemic = stored_column(stored, "epistemic_std");
    if (deterministic) {
      // The CSV holds 9 significant digits: a float32 read back exactly.
      EXPECT_TRUE(at::equal(mean.to(at::kFloat), stored_mean.to(at::kFloat)));
      EXPECT_TRUE(at::equal(at::sqrt(p.uncertainty.total_variance).to(at::kFloat), stored_std.to(at::kFloat)));
      EXPECT_EQ(stored_epistemic.abs().max().item<double>(), 0.0);
      continue;
    }
    // Two independent 2000-draw estimates of each row's mean differ by about
    // sqrt(2) epistemic_std / sqrt(2000): allow 5 of those standard errors.
    const auto tolerance = 5.0 * std::sqrt(2.0 / 2000.0) * stored_epistemic + 1e-6;
    EXPECT_TRUE(at::all((mean - stored_mean).abs() <= tolerance).item<bool>())
        << "largest difference " << (mean - stored_mean).abs().max().item<double>();
    EXPECT_TRUE(at::allclose(at::sqrt(p.uncertainty.total_variance).to(at::kDouble), stored_std, 0.02, 1e-6));
    EXPECT_TRUE(at::allclose(at::sqrt(p.uncertainty.epistemic_variance).to(at::kDouble), stored_epistemic, 0.15, 1e-4));
  }
}

TEST(Version1Fixtures, ClassifiersPredictAsTheyDid) {
  const auto rows = data::read_csv(kFixtures + "classes.csv");
  const auto inputs = rows.select({"a", "b"});
  for (const std::string name : {"classification_bbb", "classification_mcdropout_noisy", "classification_bbb_pruned"}) {
    SCOPED_TRACE(name);
    const auto model = io::load_classification_model(kFixtures + name + ".model");
    const auto stored = data::read_csv(kFixtures + name + ".predictions.csv");
    auto u = workflow::predict_classes(model, inputs, 2000, 0);
    for (int64_t k = 0; k < model.classes(); ++k) {
      const auto p = u.probabilities.select(1, k).to(at::kDouble);
      const auto q = stored_column(stored, "p_" + model.class_names[static_cast<size_t>(k)]);
      // Probabilities in [0, 1] averaged over 2000 draws: within 0.02 of the stored estimate.
      EXPECT_LT((p - q).abs().max().item<double>(), 0.02) << model.class_names[static_cast<size_t>(k)];
    }
  }
  // The pruned model keeps its removed weights removed.
  const auto pruned = io::load_classification_model(kFixtures + "classification_bbb_pruned.model");
  EXPECT_EQ(pruned.method(), "bbb");
}

TEST(Version1Fixtures, ImageEnsembleWithTemperaturePredictsBitForBit) {
  credence::testing::TemporaryDirectory dir;
  std::filesystem::copy_file(kFixtures + "images/test-images.idx.gz", dir.path("t10k-images-idx3-ubyte.gz"));
  std::filesystem::copy_file(kFixtures + "images/test-labels.idx.gz", dir.path("t10k-labels-idx1-ubyte.gz"));
  const auto model = io::load_classification_model(kFixtures + "classification_ensemble_images.model");
  ASSERT_EQ(model.members.size(), 3u);
  EXPECT_EQ(model.input.kind, "image");
  EXPECT_NE(model.fitted_temperature, 1.0);  // fitted on the validation rows (applied or not)
  // Bit for bit needs the matrix products of the machine that wrote the fixture: OpenBLAS picks
  // its kernels by CPU (an AVX-512 one rounds differently in the ninth digit), so the test pins the
  // Haswell (AVX2) kernels that the fixture was computed with.
  if (credence::testing::read_text("/proc/cpuinfo").find(" avx2") == std::string::npos) {
    GTEST_SKIP() << "the fixture's bits come from OpenBLAS's AVX2 kernels, which this CPU lacks";
  }
  auto out = credence::testing::run_command("OPENBLAS_CORETYPE=Haswell '" + std::string(CREDENCE_CLI) + "' predict --model " +
                                            kFixtures + "classification_ensemble_images.model --data idx:" + dir.root() +
                                            " --out " + dir.path("p.csv") + " --samples 10 --seed 0 --threads 1");
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(credence::testing::read_text(dir.path("p.csv")),
            credence::testing::read_text(kFixtures + "classification_ensemble_images.predictions.csv"));
}

TEST(Version1Fixtures, ADamagedVersion1FileIsRefused) {
  credence::testing::TemporaryDirectory dir;
  auto bytes = credence::testing::read_text(kFixtures + "regression_bbb.model");
  bytes[bytes.size() / 2] ^= 0x20;
  credence::testing::write_text(dir.path("damaged.model"), bytes);
  auto r = credence::testing::run_cli("predict --model " + dir.path("damaged.model") + " --data " + kFixtures +
                                      "regression.csv --out " + dir.path("p.csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("damaged.model: model file is corrupted (checksum mismatch)"), std::string::npos) << r.err;
  EXPECT_EQ(credence::testing::count_lines(r.err), 1);
  EXPECT_FALSE(credence::testing::file_exists(dir.path("p.csv")));
}

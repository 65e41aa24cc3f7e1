// What evaluate reports for image models: the fixed binarisation repeats for one seed; the
// reconstruction grid puts each row of originals above its reconstructions; the OOD scores rank by
// minus the log-likelihood (an auto-encoder that reconstructs the test set's family well and the
// other badly separates them), with the keys the command prints.
#include "credence/core/rng.h"
#include "credence/generative/autoencoder_training.h"
#include "credence/generative/vae_training.h"
#include "credence/metrics/ood_detection.h"
#include "credence/workflow/generative_evaluation.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using namespace credence::testing;

namespace {

// Rows of 8 bits near one of two prototypes (the in-distribution family), or uniform bits.
at::Tensor prototype_bits(int64_t n, bool uniform, at::Generator& g) {
  if (uniform) return at::bernoulli(at::full({n, 8}, 0.5), g);
  const auto prototype = at::tensor({0.95f, 0.95f, 0.95f, 0.95f, 0.05f, 0.05f, 0.05f, 0.05f});
  const auto which = at::bernoulli(at::full({n, 1}, 0.5), g);
  return at::bernoulli(which * prototype + (1.0 - which) * (1.0 - prototype), g);
}

}  // namespace

TEST(GenerativeEvaluation, TheFixedBinarisationRepeatsForItsSeed) {
  const auto grey = at::rand({50, 1, 4, 4}, core::make_generator(1));
  const auto a = workflow::fixed_binarisation(grey, 7), b = workflow::fixed_binarisation(grey, 7);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_FALSE(at::equal(a, workflow::fixed_binarisation(grey, 8)));
  EXPECT_TRUE(at::equal(at::logical_or(a == 0, a == 1), at::ones_like(a, at::kBool)));
  // Its mean is the grey values' mean: 800 pixels, binomial error about 0.018.
  EXPECT_NEAR(a.mean().item<double>(), grey.mean().item<double>(), 0.06);
}

TEST(GenerativeEvaluation, ReconstructionsGoBelowTheirOriginals) {
  const auto originals = at::arange(5, at::kFloat).view({5, 1, 1, 1}) / 10.0;
  const auto reconstructions = originals + 0.5;
  // 2 columns: rows [0 1], [0.5 0.6], [2 3], [2.5 3.6]... and a blank (1) filling the last row.
  const auto grid = workflow::interleave_reconstructions(originals, reconstructions, 2).flatten();
  const auto expected = at::tensor({0.0f, 0.1f, 0.5f, 0.6f, 0.2f, 0.3f, 0.7f, 0.8f, 0.4f, 1.0f, 0.9f, 1.0f});
  EXPECT_TRUE(at::allclose(grid, expected)) << grid;
}

TEST(GenerativeEvaluation, OutOfDistributionScoresRankByMinusTheLikelihood) {
  auto g = core::make_generator(2);
  const auto train = prototype_bits(400, false, g);
  const auto [encoder, decoder] = generative::dense_autoencoder_specs({8}, 1, {16}, generative::DecoderLikelihood::bernoulli);
  generative::Autoencoder ae(seeded_network(encoder, 3), seeded_network(decoder, 4), 1, {8}, generative::DecoderLikelihood::bernoulli);
  generative::BoundTrainOptions options;
  options.epochs = 40;
  options.batch_size = 50;
  options.learning_rate = 0.01;
  generative::train_autoencoder(ae, train, options, g);
  const auto test = prototype_bits(300, false, g), other = prototype_bits(300, true, g);
  const auto report = workflow::evaluate_autoencoder(ae, test, other);
  EXPECT_EQ(report.at("rows"), 300);
  EXPECT_EQ(report.at("ood_rows"), 300);
  const auto in_scores = generative::score_autoencoder(ae, test), out_scores = generative::score_autoencoder(ae, other);
  EXPECT_DOUBLE_EQ(report.at("auroc").get<double>(), metrics::area_under_roc(-in_scores.per_row, -out_scores.per_row));
  EXPECT_DOUBLE_EQ(report.at("aupr").get<double>(),
                   metrics::area_under_precision_recall(-in_scores.per_row, -out_scores.per_row));
  EXPECT_GT(report.at("auroc").get<double>(), 0.9);
  EXPECT_LT(report.at("ood_reconstruction_log_likelihood").get<double>(), report.at("reconstruction_log_likelihood").get<double>());
  // Swapping the sets turns the AUROC into its complement.
  const auto swapped = workflow::evaluate_autoencoder(ae, other, test);
  EXPECT_NEAR(swapped.at("auroc").get<double>(), 1.0 - report.at("auroc").get<double>(), 1e-12);
  // A VAE reports its ELBO and importance-weighted log-likelihood with the OOD keys.
  const auto [venc, vdec] = generative::dense_vae_specs({8}, 1, {16}, generative::DecoderLikelihood::bernoulli);
  generative::VariationalAutoencoder vae(seeded_network(venc, 5), seeded_network(vdec, 6), 1, {8},
                                         generative::DecoderLikelihood::bernoulli);
  const auto v = workflow::evaluate_vae(vae, test, other, {10, 1});
  for (const auto* key : {"elbo", "elbo_standard_error", "log_likelihood", "log_likelihood_standard_error", "ood_log_likelihood",
                          "ood_log_likelihood_standard_error", "auroc", "aupr"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
  EXPECT_EQ(v.at("importance_samples"), 10);
  EXPECT_FALSE(workflow::evaluate_vae(vae, test, at::Tensor(), {10, 1}).contains("auroc"));
}

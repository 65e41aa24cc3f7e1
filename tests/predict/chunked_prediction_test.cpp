// Prediction within a memory budget: the rows are taken in chunks that fit, every chunk is reduced
// to its summaries before the next, and the draws (hence the numbers) do not depend on the budget.
#include "credence/core/rng.h"
#include "credence/predict/class_probability_samples.h"
#include "credence/predict/classification_uncertainty.h"
#include "credence/predict/output_samples.h"
#include "credence/predict/predictive_samples.h"
#include "credence/predict/uncertainty.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;

namespace {

// Rows few enough against the hidden width that the second Bayesian layer samples its
// pre-activations (noise per row) and the first holds weight samples: both paths are chunked.
constexpr int64_t kRows = 23;
constexpr int64_t kSamples = 40;

std::vector<nn::Network> networks(const std::string& kind, int64_t outputs) {
  if (kind == "bbb") return {credence::testing::mlp_network(3, {64, 64}, outputs, nn::Method::bbb, 1)};
  if (kind == "mcdropout") {
    return {credence::testing::mlp_network(3, {64, 64}, outputs, nn::MethodOptions().method(nn::Method::mcdropout).dropout(0.3), 2)};
  }
  // An ensemble: a Bayesian member and a deterministic one.
  return {credence::testing::mlp_network(3, {64}, outputs, nn::Method::bbb, 3),
          credence::testing::mlp_network(3, {64}, outputs, nn::Method::deterministic, 4)};
}

void seed(std::vector<nn::Network>& members, std::uint64_t value) {
  auto generator = core::make_generator(value);
  for (auto& member : members) member->set_generator(generator);
}

// A budget that fits only a few rows per chunk: the held weight samples and three rows' draws
// (`widening` draws per draw for a noisy-logit head).
predict::PredictOptions small_budget(std::vector<nn::Network>& members, int64_t* chunks, int64_t widening = 1) {
  int64_t draws = 0, held = 0;
  for (auto& member : members) {
    draws += predict::draws_per_member(member, kSamples, static_cast<int64_t>(members.size()));
    nn::HeldWeightSamples guard(member, predict::draws_per_member(member, kSamples, static_cast<int64_t>(members.size())), kRows);
    held += member->held_elements() * 4;
  }
  const int64_t per_row = draws * widening * members.front()->widest_activation() * predict::kChunkBytesPerActivationValue;
  return predict::PredictOptions().samples(kSamples).memory_budget(held + 3 * per_row).progress([chunks](int64_t, int64_t) {
    ++*chunks;
  });
}

// The same draws through products of other row counts: equal up to float32 rounding (a matrix
// product's blocking, hence its summation order, depends on its size).
void expect_same(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_TRUE(at::allclose(a.to(at::kDouble), b.to(at::kDouble), 1e-5, 1e-6)) << what << ": largest difference "
                                                                                << (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace

TEST(ChunkedPrediction, DrawsDoNotDependOnTheMemoryBudget) {
  const auto x = at::randn({kRows, 3}, core::make_generator(9));
  for (const std::string kind : {"bbb", "mcdropout", "ensemble"}) {
    SCOPED_TRACE(kind);
    auto members = networks(kind, 2);
    seed(members, 5);
    const auto whole = predict::sample_outputs(members, x, predict::PredictOptions().samples(kSamples));
    int64_t chunks = 0;
    const auto options = small_budget(members, &chunks);
    seed(members, 5);
    const auto chunked = predict::sample_outputs(members, x, options);
    EXPECT_GE(chunks, kRows / 3);
    expect_same(chunked, whole, "outputs");
    // Another seed, other draws: far beyond rounding.
    seed(members, 6);
    if (kind != "ensemble") EXPECT_GT((predict::sample_outputs(members, x, options) - whole).abs().max().item<double>(), 1e-2);
  }
}

TEST(ChunkedPrediction, RegressionSummariesChunkByChunkEqualThoseOfAllDraws) {
  const auto x = at::randn({kRows, 3}, core::make_generator(10));
  for (const std::string kind : {"bbb", "mcdropout", "ensemble"}) {
    SCOPED_TRACE(kind);
    auto members = networks(kind, 1);
    std::vector<inference::GaussianLikelihood> likelihoods(members.size(), inference::GaussianLikelihood());
    seed(members, 7);
    const auto all = predict::split_uncertainty(predict::sample_predictive(members, likelihoods, x, predict::PredictOptions().samples(kSamples)));
    int64_t chunks = 0;
    const auto options = small_budget(members, &chunks);
    seed(members, 7);
    std::vector<predict::RegressionUncertainty> splits;
    int64_t next_row = 0;
    predict::for_each_predictive_chunk(members, likelihoods, x, options, [&](const predict::PredictiveSamples& chunk, int64_t first_row) {
      EXPECT_EQ(first_row, next_row);
      next_row += chunk.means.size(1);
      splits.push_back(predict::split_uncertainty(chunk));
    });
    EXPECT_EQ(next_row, kRows);
    EXPECT_GT(splits.size(), 3u);
    const auto chunked = predict::concatenate_rows(splits);
    expect_same(chunked.mean, all.mean, "mean");
    expect_same(chunked.aleatoric_variance, all.aleatoric_variance, "aleatoric");
    expect_same(chunked.epistemic_variance, all.epistemic_variance, "epistemic");
    expect_same(chunked.total_variance, all.total_variance, "total");
    EXPECT_GT(all.epistemic_variance.min().item<double>(), 0.0);
  }
}

TEST(ChunkedPrediction, ClassificationSummariesChunkByChunkEqualThoseOfAllDraws) {
  const auto x = at::randn({kRows, 3}, core::make_generator(11));
  for (auto likelihood : {inference::ClassLikelihood::categorical, inference::ClassLikelihood::noisy_logits}) {
    for (const std::string kind : {"bbb", "ensemble"}) {
      SCOPED_TRACE(kind + (likelihood == inference::ClassLikelihood::categorical ? " categorical" : " noisy logits"));
      inference::ClassifierHead head;
      head.likelihood = likelihood;
      head.noise_samples = 5;
      auto members = networks(kind, inference::class_output_width(likelihood, 3));
      auto generator = core::make_generator(8);
      for (auto& member : members) member->set_generator(generator);
      const auto all = predict::split_classification_uncertainty(
          predict::sample_class_probabilities(members, head, x, predict::PredictOptions().samples(kSamples), generator));
      int64_t chunks = 0;
      auto options = small_budget(members, &chunks, likelihood == inference::ClassLikelihood::noisy_logits ? head.noise_samples : 1);
      generator = core::make_generator(8);
      for (auto& member : members) member->set_generator(generator);
      std::vector<predict::ClassificationUncertainty> splits;
      predict::for_each_class_probability_chunk(members, head, x, options, generator, [&](const at::Tensor& p, int64_t) {
        splits.push_back(predict::split_classification_uncertainty(p));
      });
      EXPECT_GT(splits.size(), 1u);
      const auto chunked = predict::concatenate_rows(splits);
      expect_same(chunked.probabilities, all.probabilities, "probabilities");
      EXPECT_TRUE(at::equal(chunked.predicted, all.predicted));
      expect_same(chunked.entropy, all.entropy, "entropy");
      expect_same(chunked.aleatoric, all.aleatoric, "aleatoric");
      expect_same(chunked.epistemic, all.epistemic, "epistemic");
      expect_same(chunked.variation_ratio, all.variation_ratio, "variation ratio");
    }
  }
}

TEST(ChunkedPrediction, ABudgetTooSmallForOneRowNamesTheSmallestThatWorks) {
  // 100,000 draws of 4 values: 100000 * 4 * 64 bytes = 24.4 MiB for one row.
  const auto message = credence::testing::error_message_of(
      [] { predict::budget_chunk_rows(predict::PredictOptions().memory_budget(int64_t{1} << 20), 100000, 4, 0); });
  EXPECT_EQ(message, "memory budget of 1 MB is too small for 100000 draws per row: one row's draws need at least 25 MB");
  EXPECT_NE(credence::testing::error_message_of([] {
              predict::budget_chunk_rows(predict::PredictOptions().memory_budget(int64_t{1} << 20), 10, 4, int64_t{2} << 20);
            }).find("one row's draws and the held weight samples need at least 3 MB"),
            std::string::npos);
  EXPECT_EQ(predict::budget_chunk_rows(predict::PredictOptions().memory_budget(int64_t{25} << 20), 100000, 4, 0), 1);
  // Within the budget, max_chunk_elements still bounds a chunk.
  EXPECT_EQ(predict::budget_chunk_rows(predict::PredictOptions().max_chunk_elements(400), 10, 4, 0), 10);
}

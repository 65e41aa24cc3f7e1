// The classification uncertainty split and temperature scaling against hand-computed values.
#include "credence/core/rng.h"
#include "credence/predict/classification_uncertainty.h"
#include "credence/predict/temperature_scaling.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

TEST(ClassificationUncertainty, DisagreeingConfidentSamplesAreEpistemic) {
  // Samples (1, 0) and (0, 1): mean (1/2, 1/2), entropy log 2, each sample has entropy 0,
  // so aleatoric 0 and mutual information log 2; one of two samples votes for the modal class.
  auto p = at::tensor({1.0, 0.0, 0.0, 1.0}, at::kDouble).view({2, 1, 2});
  auto u = predict::split_classification_uncertainty(p);
  EXPECT_NEAR(u.entropy.item<double>(), std::log(2.0), 1e-12);
  EXPECT_NEAR(u.aleatoric.item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(u.epistemic.item<double>(), std::log(2.0), 1e-12);
  EXPECT_NEAR(u.variation_ratio.item<double>(), 0.5, 1e-12);
}

TEST(ClassificationUncertainty, AgreeingUncertainSamplesAreAleatoric) {
  auto p = at::tensor({0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, at::kDouble).view({3, 1, 2});
  auto u = predict::split_classification_uncertainty(p);
  EXPECT_NEAR(u.aleatoric.item<double>(), std::log(2.0), 1e-12);
  EXPECT_NEAR(u.epistemic.item<double>(), 0.0, 1e-12);
}

TEST(ClassificationUncertainty, HandWorkedMixture) {
  // Samples (0.9, 0.1) and (0.5, 0.5): mean (0.7, 0.3).
  auto p = at::tensor({0.9, 0.1, 0.5, 0.5}, at::kDouble).view({2, 1, 2});
  auto u = predict::split_classification_uncertainty(p);
  const double h_mean = -(0.7 * std::log(0.7) + 0.3 * std::log(0.3));
  const double h1 = -(0.9 * std::log(0.9) + 0.1 * std::log(0.1));
  const double h2 = std::log(2.0);
  EXPECT_NEAR(u.entropy.item<double>(), h_mean, 1e-12);
  EXPECT_NEAR(u.aleatoric.item<double>(), 0.5 * (h1 + h2), 1e-12);
  EXPECT_NEAR(u.epistemic.item<double>(), h_mean - 0.5 * (h1 + h2), 1e-12);
  EXPECT_NEAR(u.confidence.item<double>(), 0.7, 1e-12);
  EXPECT_EQ(u.predicted.item<int64_t>(), 0);
}

TEST(ClassificationUncertainty, DecompositionAddsUpAndIsNonNegative) {
  auto gen = core::make_generator(11);
  auto p = at::softmax(3.0 * at::randn({30, 200, 5}, gen, at::kDouble), 2);
  auto u = predict::split_classification_uncertainty(p);
  EXPECT_TRUE(at::allclose(u.entropy, u.aleatoric + u.epistemic, 1e-10, 1e-12));
  EXPECT_GE(u.epistemic.min().item<double>(), 0.0);
  EXPECT_LE(u.entropy.max().item<double>(), std::log(5.0) + 1e-12);
  EXPECT_TRUE(at::allclose(u.probabilities.sum(1), at::ones({200}, at::kDouble)));
}

TEST(ClassificationUncertainty, ZeroProbabilitiesContributeNoEntropy) {
  auto p = at::tensor({1.0, 0.0, 0.0}, at::kDouble).view({1, 1, 3});
  auto u = predict::split_classification_uncertainty(p);
  EXPECT_EQ(u.entropy.item<double>(), 0.0);
  EXPECT_FALSE(std::isnan(u.aleatoric.item<double>()));
}

TEST(TemperatureScaling, RecoversTheTemperatureThatGeneratedTheLabels) {
  // Labels drawn from softmax(z / 2.5): the maximum-likelihood temperature is close to 2.5.
  auto gen = core::make_generator(21);
  const int64_t n = 20000;
  auto z = 4.0 * at::randn({n, 4}, gen, at::kDouble);
  auto labels = at::multinomial(at::softmax(z / 2.5, 1), 1, true, gen).squeeze(1);
  auto fit = predict::fit_temperature(z.unsqueeze(0), labels);
  EXPECT_TRUE(fit.kept);
  EXPECT_NEAR(fit.temperature, 2.5, 0.1);
  EXPECT_EQ(fit.temperature, fit.fitted_temperature);
  EXPECT_LT(fit.nll_after, fit.nll_before);
  EXPECT_GT(fit.improvement, predict::kTemperatureEvidence * fit.improvement_standard_error);
  EXPECT_NEAR(fit.nll_after, predict::tempered_negative_log_likelihood(z.unsqueeze(0), labels, fit.temperature), 1e-12);
}

TEST(TemperatureScaling, CalibratedLogitsKeepTemperatureOne) {
  // Labels drawn from softmax(z) itself: the minimiser is near 1 and its gain is within the noise
  // of these rows, so it is not applied.
  auto gen = core::make_generator(22);
  auto z = at::randn({5000, 3}, gen, at::kDouble);
  auto labels = at::multinomial(at::softmax(z, 1), 1, true, gen).squeeze(1);
  auto fit = predict::fit_temperature(z.unsqueeze(0), labels);
  EXPECT_NEAR(fit.fitted_temperature, 1.0, 0.15);
  EXPECT_NE(fit.fitted_temperature, 1.0);
  EXPECT_FALSE(fit.kept);
  EXPECT_EQ(fit.temperature, 1.0);
  EXPECT_EQ(fit.nll_after, fit.nll_before);
  EXPECT_GE(fit.improvement, 0.0);
  EXPECT_LE(fit.improvement, predict::kTemperatureEvidence * fit.improvement_standard_error);
}

TEST(TemperatureScaling, GainAndStandardErrorFromThePerRowDifferences) {
  // Two rows, logits (2, 0) with labels 0 and 1: at T the losses are log(1 + e^{-2/T}) and
  // log(1 + e^{2/T}); the gain and its standard error follow from their differences by hand.
  auto logits = at::tensor({2.0, 0.0, 2.0, 0.0}, at::kDouble).view({1, 2, 2});
  auto labels = at::tensor({0, 1}, at::kLong);
  auto fit = predict::fit_temperature(logits, labels);
  const double t = fit.fitted_temperature;
  auto loss = [](double a) { return std::log1p(std::exp(a)); };
  const double d0 = loss(-2.0) - loss(-2.0 / t), d1 = loss(2.0) - loss(2.0 / t);
  EXPECT_GT(t, 1.0);  // one right and one wrong confident answer: softer is better
  EXPECT_NEAR(fit.improvement, 0.5 * (d0 + d1), 1e-12);
  EXPECT_NEAR(fit.improvement_standard_error, std::abs(d0 - d1) / std::sqrt(2.0) / std::sqrt(2.0), 1e-12);
  EXPECT_EQ(fit.kept, fit.improvement > predict::kTemperatureEvidence * fit.improvement_standard_error);
}

TEST(TemperatureScaling, NegativeLogLikelihoodByHand) {
  // One row, logits (2, 0), label 0, T = 2: -log sigmoid(1).
  auto logits = at::tensor({2.0, 0.0}, at::kDouble).view({1, 1, 2});
  EXPECT_NEAR(predict::tempered_negative_log_likelihood(logits, at::tensor({0}, at::kLong), 2.0),
              std::log(1.0 + std::exp(-1.0)), 1e-12);
  EXPECT_THROW(predict::tempered_negative_log_likelihood(logits, at::tensor({0}, at::kLong), 0.0),
               std::invalid_argument);
}

// Categorical and noisy-logit likelihoods against values computed by hand.
#include "credence/core/rng.h"
#include "credence/inference/categorical_likelihood.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence;

TEST(CategoricalLikelihood, CrossEntropyByHand) {
  // Row 0: logits (0, log 3) -> p = (1/4, 3/4); label 1 -> -log 3/4. Row 1: (2, 2, 2), label 2 -> log 3.
  auto logits = at::tensor({0.0, std::log(3.0), 0.0, 2.0, 2.0, 2.0}, at::kDouble).view({2, 3});
  logits.index_put_({0, 2}, -1e9);
  auto nll = inference::categorical_negative_log_likelihood(logits, at::tensor({1, 2}, at::kLong));
  EXPECT_NEAR(nll[0].item<double>(), -std::log(0.75), 1e-12);
  EXPECT_NEAR(nll[1].item<double>(), std::log(3.0), 1e-12);
}

TEST(CategoricalLikelihood, NoisyLogitsWithoutNoiseAreCategorical) {
  auto gen = core::make_generator(3);
  auto mean = at::randn({5, 4}, gen, at::kDouble);
  auto outputs = at::cat({mean, at::full({5, 4}, -60.0, at::kDouble)}, 1);  // sigma = e^-30
  auto labels = at::tensor({0, 1, 2, 3, 1}, at::kLong);
  auto noisy = inference::noisy_logit_negative_log_likelihood(outputs, labels, 7, gen);
  auto plain = inference::categorical_negative_log_likelihood(mean, labels);
  EXPECT_TRUE(at::allclose(noisy, plain, 1e-9, 1e-9));
}

TEST(CategoricalLikelihood, SymmetricNoiseAveragesToOneHalf) {
  // Two classes, equal means, equal noise: by symmetry E[softmax] = (1/2, 1/2), so the loss -> log 2
  // as T grows, whereas a single draw would be biased. The Monte Carlo error of the mean is about
  // sd(p) / sqrt(T) < 0.5 / sqrt(40000), so 0.01 is > 3 standard errors on the log scale.
  auto gen = core::make_generator(5);
  auto outputs = at::tensor({0.0, 0.0, std::log(4.0), std::log(4.0)}, at::kDouble).view({1, 4});
  auto nll = inference::noisy_logit_negative_log_likelihood(outputs, at::tensor({0}, at::kLong), 40000, gen);
  EXPECT_NEAR(nll.item<double>(), std::log(2.0), 0.01);
  auto p = inference::class_probabilities(inference::ClassLikelihood::noisy_logits, outputs, 1.0, 40000, gen);
  EXPECT_NEAR(p[0][0].item<double>(), 0.5, 0.01);
  // Noise pulls a confident prediction towards uniform: logits (3, 0) with sigma 2 give less than softmax's 0.953.
  auto confident = at::tensor({3.0, 0.0, std::log(4.0), std::log(4.0)}, at::kDouble).view({1, 4});
  auto q = inference::class_probabilities(inference::ClassLikelihood::noisy_logits, confident, 1.0, 40000, gen);
  EXPECT_LT(q[0][0].item<double>(), 1.0 / (1.0 + std::exp(-3.0)) - 0.02);
  EXPECT_GT(q[0][0].item<double>(), 0.5);
}

TEST(CategoricalLikelihood, TemperatureDividesTheLogits) {
  auto logits = at::tensor({2.0, 0.0}, at::kDouble).view({1, 2});
  auto p = inference::class_probabilities(inference::ClassLikelihood::categorical, logits, 2.0);
  EXPECT_NEAR(p[0][0].item<double>(), 1.0 / (1.0 + std::exp(-1.0)), 1e-12);
}

TEST(CategoricalLikelihood, OutputWidthAndNames) {
  EXPECT_EQ(inference::class_output_width(inference::ClassLikelihood::categorical, 10), 10);
  EXPECT_EQ(inference::class_output_width(inference::ClassLikelihood::noisy_logits, 10), 20);
  EXPECT_THROW(inference::class_output_width(inference::ClassLikelihood::categorical, 1), std::invalid_argument);
  EXPECT_EQ(inference::class_likelihood_from_string("noisy-logits"), inference::ClassLikelihood::noisy_logits);
  EXPECT_THROW(inference::class_likelihood_from_string("softmax"), std::invalid_argument);
}

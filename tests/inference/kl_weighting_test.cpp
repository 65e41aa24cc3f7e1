// KL weighting schedules and the per-datum ELBO objective.
#include "credence/inference/elbo.h"
#include "credence/inference/kl_weighting.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace credence::inference;

TEST(KlWeighting, BlundellWeightsAreTheGeometricSchedule) {
  // M = 3: 2^(3-i) / (2^3 - 1) = 4/7, 2/7, 1/7.
  EXPECT_NEAR(kl_weight(KlWeighting::blundell, 0, 3), 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(kl_weight(KlWeighting::blundell, 1, 3), 2.0 / 7.0, 1e-15);
  EXPECT_NEAR(kl_weight(KlWeighting::blundell, 2, 3), 1.0 / 7.0, 1e-15);
}

TEST(KlWeighting, EveryScheduleSumsToOneEvenForManyBatches) {
  for (auto scheme : {KlWeighting::uniform, KlWeighting::blundell}) {
    for (int64_t m : {1, 2, 10, 469, 5000}) {
      double total = 0.0;
      for (int64_t i = 0; i < m; ++i) {
        const double w = kl_weight(scheme, i, m);
        ASSERT_TRUE(std::isfinite(w));
        total += w;
      }
      EXPECT_NEAR(total, 1.0, 1e-12) << "M = " << m;
    }
  }
  EXPECT_NEAR(kl_weight(KlWeighting::uniform, 3, 8), 0.125, 1e-15);
  EXPECT_THROW(kl_weight(KlWeighting::uniform, 8, 8), std::invalid_argument);
}

TEST(Elbo, LossIsMeanNllPlusWeightedKlPerDatum) {
  auto nll = at::tensor(1.5);
  auto kl = at::tensor(200.0);
  // Uniform weighting over 4 batches of a 100-row data set: 1.5 + (1/4) * 4 * 200 / 100 = 3.5.
  auto terms = elbo_loss(nll, kl, 0.25, 4, 100);
  EXPECT_NEAR(terms.loss.item<double>(), 3.5, 1e-6);
}

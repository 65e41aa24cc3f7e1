// Philox4x32-10 against the published known answers, and the normal draws against the normal
// distribution's moments, its CDF, and independence between neighbouring values.
#include "credence/core/normal_noise.h"

#include "credence/core/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace credence::core;

namespace {

// Random123's tests/kat_vectors, the three "philox4x32 10" lines (counter, key, result).
TEST(NormalNoise, PhiloxMatchesTheKnownAnswers) {
  using Words = std::array<std::uint32_t, 4>;
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}), (Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

TEST(NormalNoise, DrawsFollowTheStandardNormal) {
  const std::int64_t n = 1000003;  // not a multiple of the 256-value chunk
  std::vector<float> z(n);
  fill_standard_normal(z.data(), n, 0x0123456789abcdefULL);
  double sum = 0.0, squares = 0.0, fourth = 0.0;
  for (float v : z) {
    ASSERT_TRUE(std::isfinite(v));
    ASSERT_LE(std::abs(v), 5.9f);
    sum += v;
    squares += static_cast<double>(v) * v;
    fourth += std::pow(static_cast<double>(v), 4);
  }
  const double mean = sum / n, variance = squares / n - mean * mean;
  // Five standard errors: 1/sqrt(n), sqrt(2/n) and sqrt(96/n) for the mean, variance and fourth moment.
  EXPECT_NEAR(mean, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(variance, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(fourth / n, 3.0, 5.0 * std::sqrt(96.0 / n));
  // Kolmogorov-Smirnov distance against the normal CDF; the 0.1% critical value is 1.95 / sqrt(n).
  std::vector<float> sorted = z;
  std::sort(sorted.begin(), sorted.end());
  double distance = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double cdf = normal_cdf(sorted[i]);
    distance = std::max({distance, std::abs(cdf - static_cast<double>(i) / n), std::abs(cdf - static_cast<double>(i + 1) / n)});
  }
  EXPECT_LT(distance, 1.95 / std::sqrt(n));
  // Neighbours in memory, values 64 apart (the same word of neighbouring blocks' pairs) and 256
  // apart (neighbouring chunks) are uncorrelated, as are the two halves of one Box-Muller pair.
  for (std::int64_t lag : {1, 64, 128, 256}) {
    double product = 0.0;
    for (std::int64_t i = 0; i + lag < n; ++i) product += static_cast<double>(z[i]) * z[i + lag];
    EXPECT_NEAR(product / (n - lag), 0.0, 5.0 / std::sqrt(n)) << "lag " << lag;
  }
}

TEST(NormalNoise, ValueDependsOnlyOnKeyAndPosition) {
  std::vector<float> long_run(5000), short_run(1000), other_key(1000);
  fill_standard_normal(long_run.data(), 5000, 42);
  fill_standard_normal(short_run.data(), 1000, 42);
  fill_standard_normal(other_key.data(), 1000, 43);
  EXPECT_TRUE(std::equal(short_run.begin(), short_run.end(), long_run.begin()));
  int same = 0;
  for (int i = 0; i < 1000; ++i) same += short_run[i] == other_key[i];
  EXPECT_EQ(same, 0);
}

TEST(NormalNoise, SeededGeneratorsRepeatAndMoveOn) {
  auto a = make_generator(7), b = make_generator(7);
  const auto first = standard_normal({3, 100}, a);
  EXPECT_EQ(first.sizes(), (std::vector<int64_t>{3, 100}));
  EXPECT_EQ(first.scalar_type(), at::kFloat);
  EXPECT_TRUE(first.equal(standard_normal({3, 100}, b)));
  EXPECT_FALSE(first.equal(standard_normal({3, 100}, a)));
}

}  // namespace

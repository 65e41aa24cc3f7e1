// Row-addressed noise: a window of rows is the same whatever the chunks it is drawn in.
#include "credence/core/normal_noise.h"
#include "credence/core/row_keyed_noise.h"
#include "credence/core/rng.h"

#include <gtest/gtest.h>

#include <vector>

namespace core = credence::core;

TEST(RowKeyedNoise, AFillFromAnOffsetIsThatPartOfTheWholeStream) {
  std::vector<float> whole(1000), part(1000);
  core::fill_standard_normal(whole.data(), 1000, 42);
  // Offsets inside and on the generator's 256-value chunks, lengths that end inside and on them.
  for (auto [first, n] : {std::pair<int, int>{0, 1000}, {1, 10}, {255, 2}, {256, 256}, {300, 700}, {511, 300}, {999, 1}}) {
    core::fill_standard_normal(part.data(), n, 42, first);
    for (int i = 0; i < n; ++i) ASSERT_EQ(part[i], whole[first + i]) << "first " << first << " n " << n << " i " << i;
  }
}

TEST(RowKeyedNoise, ChunksOfRowsGetTheDrawsOfTheWholePrediction) {
  auto generator = core::make_generator(3);
  const core::RowKeyedNoise noise(generator, 4, 10);
  const auto all = noise.standard_normal(0, 10, {2, 3});  // [S, rows, 2, 3]
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{4, 10, 2, 3}));
  std::vector<at::Tensor> chunks;
  for (int64_t start = 0; start < 10; start += 3) chunks.push_back(noise.standard_normal(start, std::min<int64_t>(3, 10 - start), {2, 3}));
  EXPECT_TRUE(at::equal(at::cat(chunks, 1), all));
  // Samples and rows differ from each other, and another key gives other draws.
  EXPECT_FALSE(at::equal(all[0][0], all[1][0]));
  EXPECT_FALSE(at::equal(all[0][0], all[0][1]));
  EXPECT_FALSE(at::equal(core::RowKeyedNoise(generator, 4, 10).standard_normal(0, 10, {2, 3}), all));
  EXPECT_THROW(noise.standard_normal(8, 3, {2, 3}), std::invalid_argument);
}

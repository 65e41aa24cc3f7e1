// PNG image grids: the layout of the images and the padding, files that decode back (with the same
// library) to exactly the written pixels, grey and colour, and refused inputs.
#include "credence/core/rng.h"
#include "credence/report/image_grid.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;
using namespace credence::testing;

TEST(ImageGrid, LaysOutTheImagesRowByRowWithPadding) {
  // Three grey 2 x 3 images of values 0.2, 0.4, 0.6, two to a row, padding 1 of value 1.
  auto images = at::stack({at::full({1, 2, 3}, 0.2), at::full({1, 2, 3}, 0.4), at::full({1, 2, 3}, 0.6)});
  const auto pixels = report::grid_pixels(images, {2, 1, 1.0});
  ASSERT_EQ(pixels.sizes().vec(), (std::vector<int64_t>{2 * 3 + 1, 2 * 4 + 1, 1}));
  auto at_pixel = [&](int64_t y, int64_t x) { return static_cast<int>(pixels[y][x][0].item<uint8_t>()); };
  EXPECT_EQ(at_pixel(0, 0), 255);             // padding
  EXPECT_EQ(at_pixel(1, 1), 51);              // image 0 (0.2 * 255 = 51)
  EXPECT_EQ(at_pixel(2, 3), 51);
  EXPECT_EQ(at_pixel(1, 4), 255);             // the padding between images 0 and 1
  EXPECT_EQ(at_pixel(1, 5), 102);             // image 1
  EXPECT_EQ(at_pixel(4, 1), 153);             // image 2, second row
  EXPECT_EQ(at_pixel(4, 5), 255);             // no fourth image: padding colour
}

TEST(ImageGrid, PngFilesDecodeToTheWrittenPixels) {
  TemporaryDirectory dir;
  auto g = core::make_generator(2);
  for (const int64_t channels : {1, 3}) {
    SCOPED_TRACE(channels);
    const auto images = at::rand({10, channels, 7, 5}, g, at::kDouble);
    const std::string path = dir.path("grid" + std::to_string(channels) + ".png");
    report::write_png_grid(path, images, {4, 2, 0.0});
    const auto decoded = report::read_png(path);
    const auto expected = report::grid_pixels(images, {4, 2, 0.0});
    ASSERT_EQ(decoded.sizes().vec(), expected.sizes().vec());
    EXPECT_TRUE(at::equal(decoded, expected));
    // And the pixels are the images' values to within the 8-bit rounding.
    const auto first = decoded.slice(0, 2, 9).slice(1, 2, 7).to(at::kDouble).div(255.0).permute({2, 0, 1});
    EXPECT_LE((first - images[0]).abs().max().item<double>(), 0.5 / 255.0 + 1e-12);
  }
}

TEST(ImageGrid, BadImagesAreRefusedAndNothingIsWritten) {
  TemporaryDirectory dir;
  EXPECT_EQ(error_message_of([] { report::grid_pixels(at::rand({2, 2, 4, 4})); }),
            "image grid: expected images [N, 1 or 3, height, width], got 4 dimensions");
  EXPECT_EQ(error_message_of([] { report::grid_pixels(at::full({1, 1, 2, 2}, std::nan(""))); }), "image grid: a pixel is NaN");
  EXPECT_EQ(error_message_of([] { report::grid_pixels(at::full({1, 1, 2, 2}, 1.5)); }),
            "image grid: pixels must lie in [0, 1], got values from 1.500000 to 1.500000");
  const std::string path = dir.path("bad.png");
  EXPECT_THROW(report::write_png_grid(path, at::full({1, 1, 2, 2}, -0.5)), std::invalid_argument);
  EXPECT_FALSE(file_exists(path));
  write_text(dir.path("not.png"), "hello");
  EXPECT_NE(error_message_of([&] { report::read_png(dir.path("not.png")); }).find("not a PNG image"), std::string::npos);
}

// The IDX reader and writer: round trips, image/label folders, every malformed file, and real MNIST.
#include "credence/data/idx_file.h"
#include "support/test_support.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace credence;
using credence::testing::crc32_of;
using credence::testing::read_text;
using credence::testing::TemporaryDirectory;
using credence::testing::write_text;
using data::read_idx;
using data::read_idx_images;
using data::write_idx;

namespace {

using credence::testing::error_message_of;

// The bytes of a 32-bit big-endian number.
std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>(v & 0xff)};
}

// An IDX header of unsigned bytes with the given dims.
std::string header(const std::vector<uint32_t>& dims) {
  std::string h{'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (auto d : dims) h += be32(d);
  return h;
}

std::string le32(uint32_t v) {
  return {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>(v >> 24)};
}

// `bytes` as a gzip file made of stored (uncompressed) deflate blocks: any content, malformed IDX
// included, without depending on the library's own writer.
std::string gzip_stored(const std::string& bytes) {
  std::string out{'\x1f', '\x8b', '\x08', '\0', '\0', '\0', '\0', '\0', '\0', '\xff'};
  size_t at = 0;
  do {
    const size_t n = std::min<size_t>(bytes.size() - at, 65535);
    const bool last = at + n == bytes.size();
    out += static_cast<char>(last ? 1 : 0);
    out += {static_cast<char>(n & 0xff), static_cast<char>(n >> 8), static_cast<char>(~n & 0xff),
            static_cast<char>((~n >> 8) & 0xff)};
    out += bytes.substr(at, n);
    at += n;
  } while (at < bytes.size());
  return out + le32(crc32_of(bytes)) + le32(static_cast<uint32_t>(bytes.size()));
}

at::Tensor bytes_tensor(const std::vector<int>& values, std::vector<int64_t> shape) {
  return at::tensor(values, at::kInt).to(at::kByte).view(shape);
}

void expect_error(const std::function<void()>& action, const std::vector<std::string>& parts) {
  const std::string message = error_message_of(action);
  for (const auto& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "message: " << message << "\nexpected: " << part;
  }
}

// A folder with PREFIX-images (3 images of 2x3) and PREFIX-labels, gzip or plain names.
void write_image_folder(const TemporaryDirectory& dir, const std::string& prefix, bool gzip_images, bool gzip_labels,
                        const std::vector<int>& labels = {7, 0, 9}) {
  const auto images = bytes_tensor({255, 0, 126, 51, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, {3, 2, 3});
  write_idx(dir.path(prefix + "-images-idx3-ubyte" + (gzip_images ? ".gz" : "")), images, gzip_images);
  write_idx(dir.path(prefix + "-labels-idx1-ubyte" + (gzip_labels ? ".gz" : "")),
            bytes_tensor(labels, {static_cast<int64_t>(labels.size())}), gzip_labels);
}

// `n` bytes that deflate cannot shrink much, the same on every run.
at::Tensor noise(int64_t n) {
  std::vector<int> values;
  uint32_t state = 12345;
  for (int64_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    values.push_back(static_cast<int>(state >> 24));
  }
  return bytes_tensor(values, {n});
}

}  // namespace

TEST(IdxFile, RoundTripsOneAndThreeDimensionsGzipAndPlain) {
  TemporaryDirectory dir;
  // 300 > 255 checks that sizes are written big-endian over all four bytes.
  const auto line = (at::arange(300, at::kLong) % 256).to(at::kByte);
  const auto cube = at::randint(0, 256, {5, 7, 3}, at::kByte);
  for (bool gzip : {true, false}) {
    for (const auto& values : {line, cube}) {
      const std::string path = dir.path("x" + std::to_string(values.dim()) + (gzip ? ".gz" : ""));
      write_idx(path, values, gzip);
      const auto back = read_idx(path);
      EXPECT_EQ(back.dims, values.sizes().vec());
      EXPECT_EQ(back.values.scalar_type(), at::kByte);
      EXPECT_EQ(back.values.sizes(), values.sizes());
      EXPECT_TRUE(back.values.equal(values)) << path;
      const std::string raw = read_text(path);
      if (gzip) {
        ASSERT_GE(raw.size(), 2u);
        EXPECT_EQ(raw.substr(0, 2), std::string("\x1f\x8b")) << "not gzip: " << path;
      } else {
        std::vector<uint32_t> dims(values.sizes().begin(), values.sizes().end());
        EXPECT_EQ(raw.size(), 4 + 4 * dims.size() + static_cast<size_t>(values.numel()));
        EXPECT_EQ(raw.substr(0, 4 + 4 * dims.size()), header(dims));
        EXPECT_EQ(static_cast<unsigned char>(raw.back()), values.flatten()[-1].item<uint8_t>());
      }
    }
  }
  // Only the four files: no temporary left beside them.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.root()), std::filesystem::directory_iterator()), 4);
}

TEST(IdxFile, ReadsGzipFromAnotherEncoderAndEmptyDimensions) {
  TemporaryDirectory dir;
  write_text(dir.path("a.gz"), gzip_stored(header({2, 2}) + std::string{'\x01', '\x02', '\x03', '\xfe'}));
  const auto a = read_idx(dir.path("a.gz"));
  EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(a.values.equal(bytes_tensor({1, 2, 3, 254}, {2, 2})));
  write_text(dir.path("empty"), header({0, 28, 28}));
  const auto e = read_idx(dir.path("empty"));
  EXPECT_EQ(e.dims, (std::vector<int64_t>{0, 28, 28}));
  EXPECT_EQ(e.values.numel(), 0);
}

TEST(IdxFile, ReadsFilesLargerThanTheFirstBuffer) {
  // Past 64 MiB the reader grows its buffer: the data must survive the copy.
  TemporaryDirectory dir;
  const int64_t n = (int64_t{64} << 20) + 1000;
  const auto values = at::arange(251, at::kByte).repeat({n / 251 + 1}).narrow(0, 0, n);
  write_idx(dir.path("big"), values, false);
  const auto back = read_idx(dir.path("big"));
  EXPECT_EQ(back.dims, (std::vector<int64_t>{n}));
  EXPECT_TRUE(back.values.equal(values));
}

TEST(IdxFile, ReadsImageFoldersScaledWithGzipAndPlainNames) {
  const std::vector<std::pair<bool, bool>> layouts{{true, true}, {false, false}, {true, false}, {false, true}};
  for (auto [gzip_images, gzip_labels] : layouts) {
    TemporaryDirectory dir;
    write_image_folder(dir, "t10k", gzip_images, gzip_labels);
    const auto set = read_idx_images(dir.root(), "t10k");
    EXPECT_EQ(set.rows, 2);
    EXPECT_EQ(set.cols, 3);
    EXPECT_EQ(set.images.scalar_type(), at::kFloat);
    EXPECT_EQ(set.images.sizes(), (std::vector<int64_t>{3, 6}));
    EXPECT_FLOAT_EQ(set.images[0][0].item<float>(), 1.0f);
    EXPECT_FLOAT_EQ(set.images[0][1].item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(set.images[0][3].item<float>(), 0.2f);
    EXPECT_FLOAT_EQ(set.images[2][5].item<float>(), 14.0f / 255.0f);
    EXPECT_EQ(set.labels.scalar_type(), at::kLong);
    EXPECT_TRUE(set.labels.equal(at::tensor(std::vector<int64_t>{7, 0, 9}, at::kLong)));

    const auto scaled = read_idx_images(dir.root(), "t10k", 126.0);
    EXPECT_FLOAT_EQ(scaled.images[0][0].item<float>(), static_cast<float>(255.0 / 126.0));
    EXPECT_FLOAT_EQ(scaled.images[0][2].item<float>(), 1.0f);
  }
}

TEST(IdxFile, PrefersTheGzipNameWhenBothExist) {
  TemporaryDirectory dir;
  write_image_folder(dir, "train", true, true, {1, 2, 3});
  write_image_folder(dir, "train", false, false, {4, 5, 6});
  const auto set = read_idx_images(dir.root(), "train", 1.0);
  EXPECT_TRUE(set.labels.equal(at::tensor(std::vector<int64_t>{1, 2, 3}, at::kLong)));
  EXPECT_FLOAT_EQ(set.images[0][0].item<float>(), 255.0f);
}

TEST(IdxFile, MalformedFilesNameThePathAndTheProblem) {
  TemporaryDirectory dir;
  const auto check = [&](const std::string& name, const std::string& contents, const std::vector<std::string>& parts) {
    const std::string path = dir.path(name);
    write_text(path, contents);
    auto expected = parts;
    expected.push_back(path + ": ");
    expect_error([&] { read_idx(path); }, expected);
  };
  const std::string ten(10, '\x05');
  expect_error([&] { read_idx(dir.path("absent.gz")); }, {dir.path("absent.gz") + ": cannot open"});
  check("magic", std::string{'\x01', '\0', '\x08', '\x01'} + be32(10) + ten, {"not an IDX file", "0x01000801"});
  check("magic.gz", gzip_stored(std::string{'\0', '\x02', '\x08', '\x01'} + be32(10) + ten), {"not an IDX file"});
  check("type", std::string{'\0', '\0', '\x0d', '\x01'} + be32(10) + ten, {"unsupported IDX element type 0x0d"});
  check("zero_dims", std::string{'\0', '\0', '\x08', '\0'} + ten, {"0 dimensions"});
  check("five_dims", std::string{'\0', '\0', '\x08', '\x05'} + be32(1) + be32(1) + be32(1) + be32(1) + be32(1) + ten,
        {"5 dimensions"});
  check("empty", "", {"truncated header", "holds 0 bytes"});
  check("short_magic", std::string{'\0', '\0'}, {"truncated header", "holds 2 bytes"});
  check("short_header", header({3, 2, 2}).substr(0, 10), {"truncated header", "16-byte header", "holds 10 bytes"});
  check("short_data", header({10}) + ten.substr(0, 4),
        {"truncated: header says 10 unsigned bytes (18 bytes with the header) but the file holds 12 bytes"});
  check("short_data.gz", gzip_stored(header({2, 5}) + ten.substr(0, 4)),
        {"truncated: header says 2x5 unsigned bytes (22 bytes with the header) but the file decompresses to 16 bytes"});
  // A header claiming 8 EiB fails as truncated, without trying to allocate it.
  check("huge_claim", header({0xffffffffu, 0x7fffffffu}) + ten, {"truncated", "4294967295x2147483647 unsigned bytes"});
  check("overflow", header({0xffffffffu, 0xffffffffu, 0xffffffffu}) + ten, {"more than any file can hold"});
  // Found by the fuzzer: an empty array whose other dimensions overflow (LibTorch refused the shape
  // with its own exception, which escaped as a crash of the reader).
  check("empty_overflow", header({0x15000000u, 0x80000000u, 0x20000u, 0}),
        {"352321536x2147483648x131072x0 bytes of data, more than any file can hold"});
  check("trailing", header({10}) + ten + "xy", {"trailing bytes", "(18 bytes with the header) but the file holds 20"});
  check("trailing.gz", gzip_stored(header({10}) + ten + "xyz"), {"trailing bytes", "decompresses to 21 bytes"});

  // A real deflate stream with bytes flipped in the middle, and a gzip file cut short.
  const std::string good = dir.path("good.gz");
  write_idx(good, noise(20000).view({100, 200}), true);
  const std::string compressed = read_text(good);
  ASSERT_GT(compressed.size(), 200u);
  std::string flipped = compressed;
  for (size_t i = flipped.size() / 2; i < flipped.size() / 2 + 8; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  check("flipped.gz", flipped, {"corrupt gzip stream (zlib: "});
  std::string crc = gzip_stored(header({4}) + "abcd");
  crc[crc.size() - 8] ^= 0x40;
  check("crc.gz", crc, {"corrupt gzip stream (zlib: "});
  check("cut.gz", compressed.substr(0, compressed.size() / 2),
        {"corrupt gzip stream (zlib: ", "unexpected end of file"});
}

TEST(IdxFile, ImageFolderErrorsNameTheFiles) {
  {
    TemporaryDirectory dir;
    const std::string images = dir.path("t10k-images-idx3-ubyte.gz");
    expect_error([&] { read_idx_images(dir.root(), "t10k"); }, {images + ": cannot open"});
  }
  {
    TemporaryDirectory dir;
    write_image_folder(dir, "train", true, false, {1, 2});
    expect_error([&] { read_idx_images(dir.root(), "train"); },
                 {dir.path("train-images-idx3-ubyte.gz") + " holds 3 images but " +
                  dir.path("train-labels-idx1-ubyte") + " holds 2 labels"});
  }
  {
    TemporaryDirectory dir;
    write_idx(dir.path("t10k-images-idx3-ubyte"), bytes_tensor({1, 2, 3, 4}, {2, 2}), false);
    write_idx(dir.path("t10k-labels-idx1-ubyte"), bytes_tensor({1, 2}, {2}), false);
    expect_error([&] { read_idx_images(dir.root(), "t10k"); },
                 {dir.path("t10k-images-idx3-ubyte") + ": expected 3 dimensions", "found 2 (2x2)"});
  }
  {
    TemporaryDirectory dir;
    write_image_folder(dir, "t10k", true, true);
    write_idx(dir.path("t10k-labels-idx1-ubyte.gz"), bytes_tensor({1, 2, 3, 4, 5, 6}, {3, 2}), true);
    expect_error([&] { read_idx_images(dir.root(), "t10k"); },
                 {dir.path("t10k-labels-idx1-ubyte.gz") + ": expected 1 dimension", "found 2 (3x2)"});
  }
  TemporaryDirectory dir;
  write_image_folder(dir, "t10k", true, true);
  EXPECT_THROW(read_idx_images(dir.root(), "t10k", 0.0), std::invalid_argument);
  EXPECT_THROW(read_idx_images(dir.root(), "t10k", -255.0), std::invalid_argument);
  EXPECT_THROW(read_idx_images(dir.root(), "t10k", std::nan("")), std::invalid_argument);
  EXPECT_THROW(read_idx_images(dir.root(), "t10k", 1e-300), std::invalid_argument);  // 0 in float32
  EXPECT_THROW(read_idx_images(dir.root(), "test"), std::invalid_argument);
}

TEST(IdxFile, ALabelsFileGivenAsImagesSaysSo) {
  TemporaryDirectory dir;
  // Both files hold labels: the images name has the labels' magic 0x00000801.
  write_idx(dir.path("train-images-idx3-ubyte"), bytes_tensor({1, 2, 3}, {3}), false);
  write_idx(dir.path("train-labels-idx1-ubyte"), bytes_tensor({1, 2, 3}, {3}), false);
  EXPECT_EQ(error_message_of([&] { read_idx_images(dir.root(), "train"); }),
            dir.path("train-images-idx3-ubyte") +
                ": expected 3 dimensions (images x rows x columns), found 1 (3); this is a labels file (magic "
                "0x00000801), not an images file");
  // And the other way round.
  write_idx(dir.path("t10k-images-idx3-ubyte"), bytes_tensor({1, 2, 3, 4}, {1, 2, 2}), false);
  write_idx(dir.path("t10k-labels-idx1-ubyte"), bytes_tensor({1, 2, 3, 4}, {1, 2, 2}), false);
  EXPECT_EQ(error_message_of([&] { read_idx_images(dir.root(), "t10k"); }),
            dir.path("t10k-labels-idx1-ubyte") +
                ": expected 1 dimension (labels), found 3 (1x2x2); this is an images file (magic 0x00000803), not a "
                "labels file");
  std::filesystem::create_directory(dir.path("folder"));
  EXPECT_EQ(error_message_of([&] { read_idx(dir.path("folder")); }), dir.path("folder") + ": is a directory, not a file");
}

TEST(IdxFile, WriteRejectsWhatIdxCannotHold) {
  TemporaryDirectory dir;
  EXPECT_THROW(write_idx(dir.path("f"), at::zeros({3}, at::kFloat), false), std::invalid_argument);
  EXPECT_THROW(write_idx(dir.path("s"), at::scalar_tensor(0, at::kByte), false), std::invalid_argument);
  EXPECT_THROW(write_idx(dir.path("d5"), at::zeros({1, 1, 1, 1, 1}, at::kByte), true), std::invalid_argument);
  expect_error([&] { write_idx(dir.path("no/such/dir/x.gz"), at::zeros({3}, at::kByte), true); },
               {dir.path("no/such/dir/x.gz") + ": cannot write"});
  EXPECT_TRUE(std::filesystem::is_empty(dir.root()));
}

TEST(IdxFile, ReadsTheRealMnistTestSet) {
  const std::string folder = std::string(CREDENCE_SHARED_DATA) + "/mnist";
  if (!std::filesystem::exists(CREDENCE_SHARED_DATA "/mnist/t10k-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "shared data not found at " << folder;
  }
  const auto set = read_idx_images(folder, "t10k");
  EXPECT_EQ(set.rows, 28);
  EXPECT_EQ(set.cols, 28);
  EXPECT_EQ(set.images.sizes(), (std::vector<int64_t>{10000, 784}));
  EXPECT_EQ(set.labels.sizes(), (std::vector<int64_t>{10000}));
  const auto counts = at::bincount(set.labels, {}, 10);
  EXPECT_TRUE(counts.equal(at::tensor(std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009})))
      << counts;
  EXPECT_EQ(set.images.min().item<float>(), 0.0f);
  EXPECT_EQ(set.images.max().item<float>(), 1.0f);
}

// Model files: round trips, truncation, corruption and unknown versions.
#include "credence/io/archive.h"
#include "credence/io/regression_model.h"
#include "credence/core/rng.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/regression_prediction.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace credence;
using credence::testing::read_text;
using credence::testing::TemporaryDirectory;
using credence::testing::write_text;

namespace {
std::string error_of(const std::string& path) {
  try {
    io::read_archive(path);
  } catch (const io::ArchiveError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Archive, RoundTripsTensorsAndMetadata) {
  TemporaryDirectory dir;
  io::Archive archive;
  archive.metadata_json = R"({"kind":"test","answer":42})";
  archive.add("a", at::randn({3, 4}));
  archive.add("b", at::arange(5));
  archive.add("c", at::randn({2}, at::kDouble));
  io::write_archive(dir.path("m"), archive);
  auto back = io::read_archive(dir.path("m"));
  EXPECT_TRUE(at::equal(back.get("a"), archive.get("a")));
  EXPECT_TRUE(at::equal(back.get("b"), archive.get("b")));
  EXPECT_TRUE(at::equal(back.get("c"), archive.get("c")));
  EXPECT_NE(back.metadata_json.find("\"answer\":42"), std::string::npos);
  EXPECT_NE(back.metadata_json.find("\"format_version\":2"), std::string::npos);
  EXPECT_EQ(io::archive_kind(back), "test");
  // Nothing but the file itself is left in the folder (no temporary names).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.root()), std::filesystem::directory_iterator()), 1);
}

TEST(Archive, RejectsDamagedFiles) {
  TemporaryDirectory dir;
  io::Archive archive;
  archive.metadata_json = R"({"kind":"test"})";
  archive.add("a", at::randn({100}));
  io::write_archive(dir.path("m"), archive);
  const std::string bytes = read_text(dir.path("m"));

  write_text(dir.path("truncated"), bytes.substr(0, bytes.size() / 2));
  EXPECT_NE(error_of(dir.path("truncated")).find("truncated"), std::string::npos) << error_of(dir.path("truncated"));

  std::string flipped = bytes;
  flipped[bytes.size() - 40] ^= 0x5A;
  write_text(dir.path("flipped"), flipped);
  EXPECT_NE(error_of(dir.path("flipped")).find("corrupted (checksum mismatch)"), std::string::npos);

  std::string future = bytes;
  future[8] = 7;  // the little-endian format version
  write_text(dir.path("future"), future);
  EXPECT_NE(error_of(dir.path("future")).find("format version 7; this credence"), std::string::npos) << error_of(dir.path("future"));

  write_text(dir.path("text"), "mean,std\n1,2\n");
  EXPECT_NE(error_of(dir.path("text")).find("not a credence model file"), std::string::npos);
  EXPECT_NE(error_of(dir.path("absent")).find("cannot open model file"), std::string::npos);
  EXPECT_EQ(error_of(dir.root()), dir.root() + ": is a directory, not a model file");
}

namespace {

std::string little_endian(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// A model file with these fields and a correct checksum, so that the reader gets past it.
std::string crafted(const std::string& json, const std::string& blob, std::uint64_t json_length, std::uint64_t blob_length) {
  std::string out = "CREDENCE" + little_endian(1, 4) + little_endian(json_length, 8) + json + little_endian(blob_length, 8) + blob;
  return out + little_endian(credence::testing::crc32_of(out), 4);
}

std::string crafted(const std::string& json, const std::string& blob = "") {
  return crafted(json, blob, json.size(), blob.size());
}

std::string error_of_bytes(const std::string& bytes) {
  try {
    io::parse_archive(bytes, "m");
  } catch (const io::ArchiveError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Archive, CraftedFieldsAreNamedWithoutAllocatingOrWrapping) {
  const std::string table = R"({"kind":"t","tensors":[{"name":"w","dtype":"float32","shape":[2],"offset":0}]})";
  EXPECT_EQ(io::parse_archive(crafted(table, std::string(8, '\0')), "m").get("w").numel(), 2);
  // A length field of 2^64 - 1: implausible, not "truncated" with a wrapped-around size.
  EXPECT_EQ(error_of_bytes(crafted("{}", "", ~std::uint64_t{0}, 0)),
            "m: model file is corrupted (the metadata length 18446744073709551615 is implausible: the file holds 34 bytes)");
  EXPECT_EQ(error_of_bytes(crafted("{}", "", 2, ~std::uint64_t{0})),
            "m: model file is corrupted (the tensor data length 18446744073709551615 is implausible: the file holds 34 bytes)");
  // A tensor of 2^62 elements is refused before anything is allocated.
  EXPECT_EQ(error_of_bytes(crafted(R"({"tensors":[{"name":"w","dtype":"float32","shape":[4611686018427387904],"offset":0}]})")),
            "m: model file is corrupted (tensor 'w' lies outside the data)");
  EXPECT_EQ(error_of_bytes(crafted(R"({"tensors":[{"name":"w","dtype":"float32","shape":[65536,65536,65536,65536],"offset":0}]})")),
            "m: model file is corrupted (tensor 'w' lies outside the data)");
  EXPECT_EQ(error_of_bytes(crafted(R"({"tensors":[{"name":"w","dtype":"float32","shape":[-1],"offset":0}]})")),
            "m: model file is corrupted (malformed tensor table: tensor 'w' has a negative dimension)");
  EXPECT_EQ(error_of_bytes(crafted(R"({"tensors":[{"name":"w","dtype":"float32","shape":[1],"offset":18446744073709551615}]})", "abcd")),
            "m: model file is corrupted (tensor 'w' lies outside the data)");
  EXPECT_EQ(error_of_bytes(crafted("[1,2]")), "m: model file is corrupted (metadata is not a JSON object)");
  EXPECT_EQ(error_of_bytes(crafted(R"({"tensors":{"a":1}})")), "m: model file is corrupted (malformed tensor table: not a list)");
  EXPECT_EQ(error_of_bytes(crafted(R"({"tensors":[{"name":3}]})")),
            "m: model file is corrupted (malformed tensor table: a field is missing or of the wrong type)");
}

TEST(RegressionModel, SaveLoadGivesIdenticalPredictionsForTheSameSeed) {
  TemporaryDirectory dir;
  auto generator = core::make_generator(3);
  auto x = at::randn({64, 2}, generator);
  auto y = x.select(1, 0) * 2 + 1;
  auto options = workflow::RegressionFitOptions().seed(4).training(inference::TrainOptions().epochs(3).batch_size(16));
  for (auto method : {nn::Method::bbb, nn::Method::mcdropout, nn::Method::deterministic}) {
    options.network(nn::NetworkOptions().hidden({8}).method(nn::MethodOptions().method(method)));
    auto fit = workflow::fit_regression(x, y, {"a", "b"}, "y", options);
    io::save_regression_model(dir.path("m"), fit.model);
    auto loaded = io::load_regression_model(dir.path("m"));
    EXPECT_EQ(loaded.feature_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(loaded.method(), nn::to_string(method));
    EXPECT_EQ(loaded.members.front()->spec().to_json(), fit.model.members.front()->spec().to_json());
    fit.model.members.front()->set_generator(core::make_generator(9));
    loaded.members.front()->set_generator(core::make_generator(9));
    auto before = workflow::sample_regression(fit.model, x, predict::PredictOptions().samples(10));
    auto after = workflow::sample_regression(loaded, x, predict::PredictOptions().samples(10));
    EXPECT_TRUE(at::equal(before.means, after.means)) << nn::to_string(method);
    EXPECT_TRUE(at::equal(before.variances, after.variances)) << nn::to_string(method);
  }
}

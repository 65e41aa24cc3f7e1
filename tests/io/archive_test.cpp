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

// The UCI folder reader: small synthetic folders for every error, and the real yacht folder.
#include "credence/data/uci_dataset.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

using namespace credence;
using credence::testing::TemporaryDirectory;
using credence::testing::write_text;

namespace {

// A 4-row, 3-column folder with one split; `overrides` replaces files by name.
void write_folder(const TemporaryDirectory& dir, const std::vector<std::pair<std::string, std::string>>& overrides = {}) {
  std::vector<std::pair<std::string, std::string>> files{
      {"data.txt", "1 2 3\n  4\t5 6\n\n7 8 9\n10 11 12\n\n"},
      {"index_features.txt", "0\n1\n"},
      {"index_target.txt", "2\n"},
      {"index_train_0.txt", "0\n1\n3\n"},
      {"index_test_0.txt", "2\n"},
      {"n_splits.txt", "1\n"},
      {"n_hidden.txt", "50\n"},
      {"n_epochs.txt", "40\n"}};
  for (auto& [name, text] : files) {
    for (auto& [o, replacement] : overrides) {
      if (o == name) text = replacement;
    }
    if (text != "<absent>") write_text(dir.path(name), text);
  }
}

using credence::testing::error_message_of;

}  // namespace

TEST(UciDataset, ReadsAFolderWithBlankLinesAndMixedWhitespace) {
  TemporaryDirectory dir;
  write_folder(dir);
  auto d = data::read_uci_dataset(dir.root());
  EXPECT_EQ(d.values.sizes(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(d.feature_columns, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(d.target_column, 2);
  EXPECT_EQ(d.splits, 1);
  EXPECT_EQ(d.hidden, 50);
  EXPECT_EQ(d.epochs, 40);
  EXPECT_FLOAT_EQ(d.targets()[1].item<float>(), 6.0f);
  EXPECT_FLOAT_EQ(d.inputs()[3][1].item<float>(), 11.0f);
  auto split = d.split(0);
  EXPECT_EQ(split.train_rows.numel(), 3);
  EXPECT_EQ(split.test_rows[0].item<int64_t>(), 2);
}

TEST(UciDataset, ErrorsNameTheFileAndWhatIsWrong) {
  auto check = [](const std::vector<std::pair<std::string, std::string>>& overrides, const std::string& expected,
                  bool during_split = false) {
    TemporaryDirectory dir;
    write_folder(dir, overrides);
    auto message = error_message_of([&] {
      auto d = data::read_uci_dataset(dir.root());
      if (during_split) d.split(0);
    });
    EXPECT_NE(message.find(expected), std::string::npos) << "message: " << message << "\nexpected: " << expected;
  };
  check({{"n_hidden.txt", "<absent>"}}, "n_hidden.txt: cannot open file");
  check({{"data.txt", "1 2 3\n4 5\n"}}, "data.txt:2: expected 3 numbers as on the first row, found 2");
  check({{"data.txt", "1 2 3\n4 x 6\n"}}, "data.txt:2:3: expected a finite number, found 'x'");
  check({{"index_target.txt", "3\n"}}, "index_target.txt:1:1: target column index 3 is out of range (expected an integer in 0..2)");
  check({{"index_features.txt", "0\n2\n"}}, "index_features.txt: column 2 is also the target");
  check({{"index_train_0.txt", "0\n1\n9\n"}}, "index_train_0.txt:3:1: row index 9 is out of range", true);
  check({{"index_test_0.txt", "2\n1\n"}}, "index_test_0.txt: row 1 is also in", true);
  check({{"index_test_0.txt", "<absent>"}}, "index_test_0.txt: cannot open file", true);
  check({{"n_splits.txt", "0\n"}}, "n_splits.txt: expected one positive integer");
  check({{"n_splits.txt", "1e300\n"}}, "n_splits.txt: expected one positive integer (at most 1000000000)");
  check({{"data.txt", "1 2 3\n4 1e39 6\n"}},
        "data.txt:2:3: 1e39 is beyond the float32 range that the networks compute in (magnitude at most 3.4e38)");
  check({{"data.txt", "1 2 3\n4 +-5 6\n"}}, "data.txt:2:3: expected a finite number, found '+-5'");
}

TEST(UciDataset, AFileIsNotAFolder) {
  TemporaryDirectory dir;
  write_text(dir.path("data.txt"), "1 2\n");
  EXPECT_EQ(error_message_of([&] { data::read_uci_dataset(dir.path("data.txt")); }),
            dir.path("data.txt") + ": not a directory (a UCI data set is a folder holding data.txt, index_features.txt, "
                                   "index_target.txt, index_train_K.txt, ...)");
}

TEST(UciDataset, ReadsTheRealYachtFolderWithItsTwentySplits) {
  const std::string folder = std::string(CREDENCE_SHARED_DATA) + "/uci/yacht";
  if (!std::filesystem::exists(folder + "/data.txt")) GTEST_SKIP() << "shared data not found at " << folder;
  auto d = data::read_uci_dataset(folder);
  EXPECT_EQ(d.values.sizes(), (std::vector<int64_t>{308, 7}));
  EXPECT_EQ(d.feature_columns.size(), 6u);
  EXPECT_EQ(d.target_column, 6);
  EXPECT_EQ(d.splits, 20);
  EXPECT_EQ(d.hidden, 50);
  for (int64_t k = 0; k < d.splits; ++k) {
    auto s = d.split(k);
    EXPECT_EQ(s.test_rows.numel(), 31) << "split " << k;
    // Train and test cover every row exactly once.
    auto all = std::get<0>(at::cat({s.train_rows, s.test_rows}).sort());
    EXPECT_TRUE(all.equal(at::arange(308))) << "split " << k;
  }
}

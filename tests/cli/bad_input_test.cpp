// Every bad input through the command: one line on stderr naming what and where, a
// non-zero exit, and no output file.
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence::testing;


class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "x,y\n";
    for (int i = 0; i < 60; ++i) csv += std::to_string(i * 0.1) + "," + std::to_string(i * 0.2) + "\n";
    write_text(dir.path("good.csv"), csv);
  }

  void expect_failure(const std::string& args, const std::string& message, const std::string& out) {
    expect_cli_failure(args, message, out);
  }

  void expect_train_failure(const std::string& data_text, const std::string& message, const std::string& options = "") {
    write_text(dir.path("bad.csv"), data_text);
    expect_failure("train --data " + dir.path("bad.csv") + " --target y --epochs 1 --quiet --out " + dir.path("m") + " " + options,
                   message, dir.path("m"));
  }

  std::string trained_model() {
    auto result = run_cli("train --data " + dir.path("good.csv") + " --target y --hidden 4 --epochs 2 --quiet --out " + dir.path("model"));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return dir.path("model");
  }

  TemporaryDirectory dir;
};

TEST_F(BadInput, DataFiles) {
  expect_failure("train --data " + dir.path("nope.csv") + " --target y --out " + dir.path("m"), "nope.csv: cannot open CSV file",
                 dir.path("m"));
  expect_train_failure("", "bad.csv: the file is empty");
  expect_train_failure("x,y\n1,2\n3\n", "bad.csv:3: expected 2 fields as in the header, found 1");
  expect_train_failure("x,y\n1,2\n3,abc\n", "bad.csv:3:3: expected a number, found 'abc' in column 'y'");
  expect_train_failure("x,y\n1,NaN\n", "bad.csv:2:3: NaN is not allowed in column 'y'");
  expect_train_failure("x,y\ninf,2\n", "bad.csv:2:1: infinity is not allowed in column 'x'");
  expect_train_failure("x,z\n1,2\n", "bad.csv: no column named 'y' (columns: x, z)");
}

TEST_F(BadInput, NonsenseOptions) {
  const std::string base = "train --data " + dir.path("good.csv") + " --target y --quiet --out " + dir.path("m") + " ";
  expect_failure(base + "--epochs -3", "--epochs", dir.path("m"));
  expect_failure(base + "--epochs 0", "--epochs: expected a positive number of epochs", dir.path("m"));
  expect_failure(base + "--batch-size 0", "--batch-size", dir.path("m"));
  expect_failure(base + "--samples 0", "--samples: expected a positive number of samples", dir.path("m"));
  expect_failure(base + "--method magic", "--method: unknown method 'magic'", dir.path("m"));
  expect_failure(base + "--hidden 10,x", "--hidden: expected positive layer sizes", dir.path("m"));
  expect_failure(base + "--prior mixture --prior-pi 1.5", "--prior: prior pi must lie in (0, 1)", dir.path("m"));
  expect_failure(base + "--lr -1", "--lr", dir.path("m"));
  expect_failure(base + "--dropout 1", "--dropout", dir.path("m"));
  expect_failure(base + "--likelihood weird", "--likelihood: unknown likelihood 'weird'", dir.path("m"));
  const auto model = trained_model();
  const std::string predict = "predict --model " + model + " --data " + dir.path("good.csv") + " --out " + dir.path("p.csv") + " ";
  expect_failure(predict + "--samples 0", "--samples: expected a positive number of samples", dir.path("p.csv"));
  expect_failure(predict + "--level 1.5", "--level: expected a probability in (0, 1)", dir.path("p.csv"));
  expect_failure(predict + "--level 0", "--level", dir.path("p.csv"));
  expect_failure("evaluate --model " + model + " --data " + dir.path("good.csv") + " --level -1", "--level", dir.path("p.csv"));
}

TEST_F(BadInput, PredictFileWithoutTheModelsFeatures) {
  const auto model = trained_model();
  write_text(dir.path("other.csv"), "u,y\n1,2\n");
  expect_failure("predict --model " + model + " --data " + dir.path("other.csv") + " --out " + dir.path("p.csv"),
                 "other.csv:1: missing column 'x' that the model was trained on", dir.path("p.csv"));
  write_text(dir.path("features_only.csv"), "x\n1\n");
  expect_failure("evaluate --model " + model + " --data " + dir.path("features_only.csv"), "no column named 'y'",
                 dir.path("p.csv"));
}

TEST_F(BadInput, DamagedModelFiles) {
  const auto model = trained_model();
  const std::string bytes = read_text(model);
  const std::string predict_tail = " --data " + dir.path("good.csv") + " --out " + dir.path("p.csv");

  write_text(dir.path("truncated"), bytes.substr(0, bytes.size() - 100));
  expect_failure("predict --model " + dir.path("truncated") + predict_tail, "truncated: model file is truncated", dir.path("p.csv"));

  std::string corrupted = bytes;
  corrupted[bytes.size() / 2] ^= 0x11;
  write_text(dir.path("corrupted"), corrupted);
  expect_failure("predict --model " + dir.path("corrupted") + predict_tail, "corrupted: model file is corrupted", dir.path("p.csv"));

  std::string future = bytes;
  future[8] = 9;
  write_text(dir.path("future"), future);
  expect_failure("predict --model " + dir.path("future") + predict_tail, "model file has format version 9", dir.path("p.csv"));
  expect_failure("inspect --model " + dir.path("future"), "format version 9", dir.path("p.csv"));

  expect_failure("predict --model " + dir.path("good.csv") + predict_tail, "not a credence model file", dir.path("p.csv"));
  expect_failure("evaluate --model " + dir.path("absent") + " --data " + dir.path("good.csv"), "absent: cannot open model file",
                 dir.path("p.csv"));
}

TEST_F(BadInput, MissingRequiredOption) {
  expect_failure("train --data " + dir.path("good.csv") + " --out " + dir.path("m"), "--target is required", dir.path("m"));
  expect_failure("predict --model x --data y --out " + dir.path("p.csv") + " --bogus", "--bogus", dir.path("p.csv"));
}

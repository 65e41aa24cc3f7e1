// Issue 17 through the command: real CSV files, outputs that must not destroy anything, the
// command line's manners and the messages of damaged inputs. Each case checks the message, the exit
// code, that no file is left behind and that the inputs are untouched.
#include "credence/data/idx_file.h"
#include "support/test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace credence::testing;
namespace data = credence::data;

namespace {

std::string good_csv() {
  std::string csv = "x,y\n";
  for (int i = 0; i < 60; ++i) csv += std::to_string(i * 0.1) + "," + std::to_string(i * 0.2) + "\n";
  return csv;
}

class Reliability : public ::testing::Test {
 protected:
  void SetUp() override { write_text(dir.path("good.csv"), good_csv()); }

  std::string train_model(const std::string& name = "model") {
    const auto r = run_cli("train --data " + dir.path("good.csv") + " --target y --hidden 4 --epochs 2 --quiet --out " +
                           dir.path(name));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir.path(name);
  }

  // Nothing but these names in the test folder: no output, no temporary file.
  void expect_folder(const std::vector<std::string>& names) { EXPECT_EQ(folder_listing(dir.root()), names); }

  TemporaryDirectory dir;
};

// Two image sets of 4x4 pixels with the given labels (images of label k light up row k % 4).
void write_images(const std::string& folder, const std::string& prefix, const std::vector<int>& labels) {
  std::filesystem::create_directories(folder);
  const auto n = static_cast<int64_t>(labels.size());
  auto images = at::zeros({n, 4, 4}, at::kByte);
  for (int64_t i = 0; i < n; ++i) images[i][labels[static_cast<size_t>(i)] % 4].fill_(200);
  data::write_idx(folder + "/" + prefix + "-images-idx3-ubyte", images, false);
  data::write_idx(folder + "/" + prefix + "-labels-idx1-ubyte", at::tensor(labels, at::kInt).to(at::kByte), false);
}

}  // namespace

TEST_F(Reliability, RealCsvFilesWithQuotesTextColumnsCrlfAndAByteOrderMark) {
  std::string csv = "\xEF\xBB\xBF\"id\",\"x\",\"note\",\"y\"\r\n";
  for (int i = 0; i < 40; ++i) {
    csv += "\"r" + std::to_string(i) + "\",\"" + std::to_string(i * 0.1) + "\",\"fine, \"\"thanks\"\"\"," +
           std::to_string(i * 0.2) + "\r\n";
  }
  write_text(dir.path("real.csv"), csv);
  const std::string data = " --data " + dir.path("real.csv");
  auto r = run_cli("train" + data + " --target y --features x --hidden 4 --epochs 2 --quiet --out " + dir.path("m"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("predict --model " + dir.path("m") + data + " --out " + dir.path("p.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(read_text(dir.path("p.csv"))), 41);
  r = run_cli("evaluate --model " + dir.path("m") + data + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out).at("rmse").is_number());
  // Without --features every other column is a feature, and the text column says so.
  expect_cli_error("train" + data + " --target y --epochs 1 --quiet --out " + dir.path("m2"),
                   dir.path("real.csv") + ":2:1: expected a number, found 'r0' in column 'id'", 1, dir.path("m2"));
  EXPECT_EQ(read_text(dir.path("real.csv")), csv);
  expect_folder({"good.csv", "m", "p.csv", "real.csv"});
}

TEST_F(Reliability, QuotedClassLabelsLoseTheirQuotesAndDashIsStandardOutput) {
  std::string csv = "\"size\",\"species\"\n";
  for (int i = 0; i < 40; ++i) csv += std::to_string(i % 2 ? 1.0 + i * 0.01 : -1.0 - i * 0.01) + (i % 2 ? ",\"setosa\"\n" : ",\"vir, ginica\"\n");
  write_text(dir.path("iris.csv"), csv);
  auto r = run_cli("train --task classification --data " + dir.path("iris.csv") +
                   " --target species --hidden 4 --epochs 3 --quiet --out " + dir.path("c"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("predict --model " + dir.path("c") + " --data " + dir.path("iris.csv") + " --out -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Standard error holds the summary line alone.
  EXPECT_EQ(r.err.rfind("predicted 40 rows, 100 samples each, in ", 0), 0u) << r.err;
  const std::string where = " s: standard output\n";
  EXPECT_EQ(r.err.substr(r.err.size() - where.size()), where) << r.err;
  EXPECT_EQ(r.out.rfind("class,confidence,entropy,aleatoric,epistemic,p_setosa,\"p_vir, ginica\"\n", 0), 0u) << r.out;
  EXPECT_EQ(count_lines(r.out), 41);
  EXPECT_TRUE(r.out.find("\nsetosa,") != std::string::npos || r.out.find("\n\"vir, ginica\",") != std::string::npos);
  // A standard output that cannot take the predictions is an error, not a silent loss.
  r = run_command("{ ('" CREDENCE_CLI "' predict --model " + dir.path("c") + " --data " + dir.path("iris.csv") +
                  " --out - > /dev/full) 2>&1; echo $?; }");
  EXPECT_EQ(r.out, "credence: error: standard output: write failed (No space left on device)\n1\n");
  expect_folder({"c", "good.csv", "iris.csv"});
}

TEST_F(Reliability, CsvFilesThatAreRefused) {
  write_text(dir.path("dup.csv"), "x,y,x\n1,2,3\n");
  expect_cli_error("train --data " + dir.path("dup.csv") + " --target y --quiet --out " + dir.path("m"),
                   dir.path("dup.csv") + ":1:5: column name 'x' appears twice in the header (fields 1 and 3)", 1, dir.path("m"));
  const std::string overflow = "x,y\n1,2\n1e39,3\n";
  write_text(dir.path("big.csv"), overflow);
  const std::string beyond = dir.path("big.csv") + ":3:1: 1e39 in column 'x' is beyond the float32 range that the "
                                                   "networks compute in (magnitude at most 3.4e38)";
  expect_cli_error("train --data " + dir.path("big.csv") + " --target y --quiet --out " + dir.path("m"), beyond, 1, dir.path("m"));
  const auto model = train_model();
  expect_cli_error("predict --model " + model + " --data " + dir.path("big.csv") + " --out " + dir.path("p.csv"), beyond, 1,
                   dir.path("p.csv"));
  expect_cli_error("train --data " + dir.root() + " --target y --quiet --out " + dir.path("m"),
                   dir.root() + ": is a directory, not a CSV file", 1, dir.path("m"));
  expect_cli_error("train --task classification --data " + dir.root() + " --target y --quiet --out " + dir.path("m"),
                   dir.root() + ": is a directory, not a CSV file (an IDX image folder is given as idx:" + dir.root() + ")",
                   1, dir.path("m"));
  EXPECT_EQ(read_text(dir.path("big.csv")), overflow);
  expect_folder({"big.csv", "dup.csv", "good.csv", "model"});
}

TEST_F(Reliability, AnOutputNeverDestroysAnInput) {
  const auto model = train_model();
  const std::string good = dir.path("good.csv");
  const std::string model_bytes = read_text(model);
  ::symlink(good.c_str(), dir.path("link.csv").c_str());
  ::link(good.c_str(), dir.path("hard.csv").c_str());
  const std::string predict = "predict --model " + model + " --data " + good + " --out ";
  const std::string destroys = "; writing it would destroy the input (choose another output name)";
  expect_cli_error(predict + good, "--out: " + good + " is the file that --data reads" + destroys);
  expect_cli_error(predict + model, "--out: " + model + " is the file that --model reads" + destroys);
  expect_cli_error(predict + dir.path("link.csv"), "--out: " + dir.path("link.csv") + " is the file that --data reads" + destroys);
  expect_cli_error(predict + dir.path("hard.csv"), "--out: " + dir.path("hard.csv") + " is the file that --data reads" + destroys);
  expect_cli_error("train --data " + good + " --target y --quiet --out " + good,
                   "--out: " + good + " is the file that --data reads" + destroys);
  expect_cli_error("train --data " + good + " --target y --quiet --init-from " + model + " --out " + model,
                   "--out: " + model + " is the file that --init-from reads" + destroys);
  expect_cli_error("fit blr --data " + good + " --target y --out " + good, "--out: " + good + " is the file that --data reads" + destroys);
  expect_cli_error("prune --model " + model + " --fraction 0.5 --out " + model,
                   "--out: " + model + " is the file that --model reads" + destroys);
  expect_cli_error("evaluate --model " + model + " --data " + good + " --reliability-plot " + good,
                   "--reliability-plot: " + good + " is the file that --data reads" + destroys);
  EXPECT_EQ(read_text(good), good_csv());
  EXPECT_EQ(read_text(model), model_bytes);
  expect_folder({"good.csv", "hard.csv", "link.csv", "model"});
}

TEST_F(Reliability, OutputsThatAreNotRegularFilesAreRefused) {
  const auto model = train_model();
  const std::string predict = "predict --model " + model + " --data " + dir.path("good.csv") + " --out ";
  ASSERT_EQ(::mkfifo(dir.path("fifo").c_str(), 0600), 0);
  std::filesystem::create_directory(dir.path("folder"));
  expect_cli_error(predict + dir.path("folder"), "--out: " + dir.path("folder") + ": is a directory, not a file");
  expect_cli_error(predict + dir.path("fifo"), "--out: " + dir.path("fifo") +
                                                   ": is a named pipe (FIFO), not a regular file (give - to write to standard output)");
  expect_cli_error("train --data " + dir.path("good.csv") + " --target y --quiet --out /dev/null",
                   "--out: /dev/null: is a device, not a regular file");
  expect_cli_error("train --data " + dir.path("good.csv") + " --target y --quiet --out -",
                   "--out: '-' (standard output) is only for CSV outputs; give a file name");
  expect_cli_error("train --data " + dir.path("good.csv") + " --target y --quiet --out " + dir.path("no/m"),
                   "--out: " + dir.path("no/m") + ": cannot write: the directory " + dir.path("no") + " does not exist");
  expect_cli_error("demo --out-dir " + dir.path("good.csv"), "--out-dir: " + dir.path("good.csv") + " exists and is not a directory");
  // A folder input protects every file in it.
  write_images(dir.path("images"), "t10k", {0, 1});
  expect_cli_error("evaluate --model " + model + " --data idx:" + dir.path("images") + " --reliability-plot " +
                       dir.path("images/t10k-labels-idx1-ubyte"),
                   "--reliability-plot: " + dir.path("images/t10k-labels-idx1-ubyte") + " is a file of the folder that "
                   "--data reads (idx:" + dir.path("images") + "); writing it would destroy the input (choose another output name)");
  struct stat info {};
  ASSERT_EQ(::stat(dir.path("fifo").c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
  expect_folder({"fifo", "folder", "good.csv", "images", "model"});
}

TEST_F(Reliability, ALinkIsWrittenThroughToItsTarget) {
  const auto model = train_model();
  ::symlink("target.csv", dir.path("link.csv").c_str());
  const auto r = run_cli("predict --model " + model + " --data " + dir.path("good.csv") + " --out " + dir.path("link.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(dir.path("link.csv")));
  EXPECT_EQ(read_text(dir.path("target.csv")).rfind("mean,std,aleatoric_std,epistemic_std,lower,upper\n", 0), 0u);
  expect_folder({"good.csv", "link.csv", "model", "target.csv"});
}

TEST_F(Reliability, SigtermDuringTrainingLeavesNoFile) {
  const auto r = run_command("'" CREDENCE_CLI "' train --data " + dir.path("good.csv") +
                             " --target y --epochs 1000000 --quiet --out " + dir.path("m") +
                             " & pid=$!; sleep 2; kill -TERM $pid; wait $pid; echo $?");
  EXPECT_EQ(r.out, "143\n") << r.err;
  expect_folder({"good.csv"});
}

TEST(CommandLine, VersionUsageAndSuggestions) {
  auto r = run_cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("credence 0.1.0 (LibTorch ", 0), 0u) << r.out;
  EXPECT_EQ(count_lines(r.out), 1);
  const std::string version = r.out.substr(0, r.out.size() - 1);
  r = run_cli("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.rfind(version + ": Bayesian deep learning", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("Usage: credence [OPTIONS] SUBCOMMAND"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  predict "), std::string::npos) << r.out;
  r = run_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind(version + ": ", 0), 0u) << r.out;
  const std::string all = " (sub-commands: train, predict, evaluate, inspect, demo, fit, bench, prune, laplace, forecast, sample)";
  expect_cli_error("trian --data x", "unknown sub-command 'trian'; did you mean 'train'?" + all, 2);
  expect_cli_error("evalute", "unknown sub-command 'evalute'; did you mean 'evaluate'?" + all, 2);
  expect_cli_error("pred", "unknown sub-command 'pred'; did you mean 'predict'?" + all, 2);
  expect_cli_error("frobnicate", "unknown sub-command 'frobnicate'" + all, 2);
  expect_cli_error("bench ucii", "unknown sub-command 'ucii' of 'credence bench'; did you mean 'uci'? (sub-commands: uci)", 2);
}

TEST_F(Reliability, OptionsThatMakeNoSense) {
  const std::string train = "train --data " + dir.path("good.csv") + " --target y --quiet --out " + dir.path("m") + " ";
  const std::string layers = "--hidden: expected positive layer sizes separated by commas (e.g. 50,50), or none for no hidden layer, got ";
  expect_cli_error(train + "--hidden ''", layers + "''", 1, dir.path("m"));
  expect_cli_error(train + "--hidden 50,,50", layers + "'50,,50'", 1, dir.path("m"));
  expect_cli_error(train + "--hidden 50,0", layers + "'50,0'", 1, dir.path("m"));
  expect_cli_error(train + "--hidden 99999999999", "--hidden: a layer of at most 1000000 units, got 99999999999", 1, dir.path("m"));
  expect_cli_error(train + "--seed -1", "--seed: expected a whole number from 0 to 18446744073709551615, got '-1'", 2, dir.path("m"));
  expect_cli_error("predict --model m --data d --out o --seed 18446744073709551616",
                   "--seed: expected a whole number from 0 to 18446744073709551615, got '18446744073709551616'", 2);
  expect_cli_error(train + "--epochs 99999999999", "--epochs: at most 1000000 epochs, got 99999999999", 2, dir.path("m"));
  expect_cli_error(train + "--threads -1", "--threads: expected 0 (one thread per core) or a positive number of threads, got '-1'", 2,
                   dir.path("m"));
  // Too many threads are capped, with a warning.
  const auto r = run_cli(train + "--hidden 4 --epochs 1 --threads 100000");
  EXPECT_EQ(r.exit_code, 0);
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  EXPECT_EQ(r.err, "credence: warning: --threads 100000 is more than 4 per core on this machine (" + std::to_string(cores) +
                       (cores == 1 ? " core" : " cores") + "); using " + std::to_string(4 * cores) + "\n");
  expect_folder({"good.csv", "m"});
}

TEST_F(Reliability, AFailedAllocationIsOneLineWithTheSize) {
  expect_cli_failure("train --data " + dir.path("good.csv") + " --target y --quiet --hidden 1000000,1000000 --out " + dir.path("m"),
                     "out of memory: could not allocate 3.6 TiB (4000000000000 bytes) for one tensor", dir.path("m"));
  expect_folder({"good.csv"});
}

TEST_F(Reliability, DamagedModelAndImageFilesSayWhatIsWrong) {
  // A length field of 2^64 - 1, with a correct checksum.
  std::string crafted = "CREDENCE";
  crafted += std::string{'\x01', '\0', '\0', '\0'} + std::string(8, '\xff') + "{}" + std::string(8, '\0');
  const uint32_t crc = crc32_of(crafted);
  for (int i = 0; i < 4; ++i) crafted += static_cast<char>((crc >> (8 * i)) & 0xff);
  write_text(dir.path("crafted"), crafted);
  expect_cli_error("predict --model " + dir.path("crafted") + " --data " + dir.path("good.csv") + " --out " + dir.path("p.csv"),
                   dir.path("crafted") + ": model file is corrupted (the metadata length 18446744073709551615 is implausible: "
                                         "the file holds 34 bytes)", 1, dir.path("p.csv"));
  // An images file holding labels.
  write_images(dir.path("swapped"), "train", {0, 1});
  std::filesystem::copy_file(dir.path("swapped/train-labels-idx1-ubyte"), dir.path("swapped/train-images-idx3-ubyte"),
                             std::filesystem::copy_options::overwrite_existing);
  expect_cli_error("train --task classification --data idx:" + dir.path("swapped") + " --quiet --out " + dir.path("m"),
                   dir.path("swapped/train-images-idx3-ubyte") + ": expected 3 dimensions (images x rows x columns), found 1 "
                   "(2); this is a labels file (magic 0x00000801), not an images file", 1, dir.path("m"));
  expect_folder({"crafted", "good.csv", "swapped"});
}

TEST_F(Reliability, ImageClassesAreTheLabelsPresent) {
  // A stray label 255 makes one more class, not 256 classes.
  std::vector<int> labels;
  for (int i = 0; i < 30; ++i) labels.push_back(i % 3 == 2 ? 255 : i % 3);
  write_images(dir.path("images"), "train", labels);
  write_images(dir.path("images"), "t10k", {0, 1, 255, 7});
  auto r = run_cli("train --task classification --data idx:" + dir.path("images") +
                   " --method deterministic --hidden 4 --epochs 2 --quiet --out " + dir.path("c"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("inspect --model " + dir.path("c") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("classes"), nlohmann::json::parse(R"(["0","1","255"])"));
  expect_cli_error("evaluate --model " + dir.path("c") + " --data idx:" + dir.path("images"),
                   dir.path("images") + " (t10k labels): data row 4: label '7' is not one of the classes the model knows (0, 1, 255)");
  // An empty evaluation set says so, in the user's terms.
  write_images(dir.path("empty"), "t10k", {});
  expect_cli_error("evaluate --model " + dir.path("c") + " --data idx:" + dir.path("empty"),
                   dir.path("empty") + ": the t10k-* IDX files hold no images");
  expect_folder({"c", "empty", "good.csv", "images"});
}

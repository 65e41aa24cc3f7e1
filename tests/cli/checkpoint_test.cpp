// `credence train --checkpoint` killed with SIGKILL at random moments and resumed with `--resume`
// writes the model file of an uninterrupted run, tensor for tensor; checkpoints that do not fit the
// run are refused with one line.
#include "credence/io/archive.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <sstream>
#include <thread>
#include <tuple>

extern char** environ;

using namespace credence::testing;

namespace {

// Starts `credence ARGS` in the background (output discarded) and returns its process id.
pid_t spawn_cli(const std::string& args) {
  const std::string command = std::string("exec '") + CREDENCE_CLI + "' " + args + " > /dev/null 2>&1";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0) return -1;
  return pid;
}

void expect_same_tensors(const std::string& a, const std::string& b) {
  const auto x = credence::io::read_archive(a), y = credence::io::read_archive(b);
  ASSERT_EQ(x.tensors.size(), y.tensors.size());
  for (size_t i = 0; i < x.tensors.size(); ++i) {
    EXPECT_EQ(x.tensors[i].first, y.tensors[i].first);
    EXPECT_TRUE(at::equal(x.tensors[i].second, y.tensors[i].second)) << x.tensors[i].first;
  }
}

}  // namespace

class Checkpoints : public ::testing::Test {
 protected:
  void SetUp() override { write_sine_csv(dir.path("train.csv"), 1500, 7); }
  std::string train_args(const std::string& out, const std::string& extra) const {
    return "train --data " + dir.path("train.csv") +
           " --target y --method bbb --hidden 32,32 --epochs 40 --batch-size 16 --lr 0.01 --validation-fraction 0.2"
           " --seed 3 --threads 1 --quiet --out " +
           out + " " + extra;
  }
  TemporaryDirectory dir;
};

TEST_F(Checkpoints, KilledAtRandomMomentsAndResumedGivesTheUninterruptedTensors) {
  auto full = run_cli(train_args(dir.path("full.model"), ""));
  ASSERT_EQ(full.exit_code, 0) << full.err;

  // Kill points drawn afresh on every run (printed, for a rerun by hand): after a random number of
  // the 39 checkpoints (each one replaces the file), then a random part of an epoch.
  std::random_device entropy;
  std::mt19937 rng(entropy());
  std::uniform_int_distribution<int> checkpoints_before_kill(1, 36);
  std::uniform_int_distribution<int> extra_microseconds(0, 20000);
  for (int k = 0; k < 5; ++k) {
    const auto checkpoint = dir.path("run" + std::to_string(k) + ".ck");
    const auto out = dir.path("run" + std::to_string(k) + ".model");
    const int target = checkpoints_before_kill(rng);
    const int extra = extra_microseconds(rng);
    SCOPED_TRACE("kill " + std::to_string(k) + " after checkpoint " + std::to_string(target) + " and " +
                 std::to_string(extra) + " us");
    const pid_t pid = spawn_cli(train_args(out, "--checkpoint " + checkpoint + " --checkpoint-every 1"));
    ASSERT_GT(pid, 0);
    // A checkpoint is a new file (inode) with a new modification time; either changes per write.
    std::tuple<ino_t, time_t, long> last{};
    int seen = 0, status = 0;
    bool exited = false;
    const auto spawned = std::chrono::steady_clock::now();
    while (seen < target && std::chrono::steady_clock::now() - spawned < std::chrono::seconds(120)) {
      struct stat info {};
      if (::stat(checkpoint.c_str(), &info) == 0) {
        const std::tuple<ino_t, time_t, long> now{info.st_ino, info.st_mtim.tv_sec, info.st_mtim.tv_nsec};
        if (now != last) {
          last = now;
          ++seen;
        }
      }
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::microseconds(extra));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before its kill point";
    ASSERT_TRUE(file_exists(checkpoint));
    EXPECT_FALSE(file_exists(out));
    auto resumed = run_cli(train_args(out, "--resume " + checkpoint));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(resumed.err, "");
    expect_same_tensors(out, dir.path("full.model"));
  }
}

TEST_F(Checkpoints, CheckpointsThatDoNotFitAreRefusedWithOneLine) {
  const auto checkpoint = dir.path("ck");
  auto first = run_cli("train --data " + dir.path("train.csv") +
                       " --target y --hidden 8 --epochs 3 --threads 1 --quiet --checkpoint " + checkpoint + " --out " +
                       dir.path("m"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_TRUE(file_exists(checkpoint));
  const auto base = "train --data " + dir.path("train.csv") + " --target y --threads 1 --quiet --out " + dir.path("m2");
  expect_cli_failure(base + " --hidden 8 --epochs 3 --lr 0.01 --resume " + checkpoint,
                     "was written by a training with other data or settings: settings.learning_rate is 0.001 in the "
                     "checkpoint and 0.01 here",
                     dir.path("m2"));
  expect_cli_failure(base + " --hidden 9 --epochs 3 --resume " + checkpoint,
                     "network.layers[0].out_features is 8 in the checkpoint and 9 here", dir.path("m2"));
  expect_cli_failure(base + " --hidden 8 --epochs 3 --resume " + dir.path("m"), "not a training checkpoint", dir.path("m2"));
  expect_cli_failure(base + " --hidden 8 --epochs 3 --resume " + dir.path("absent"), dir.path("absent"), dir.path("m2"));
  expect_cli_failure(base + " --hidden 8 --epochs 3 --checkpoint-every 0 --checkpoint " + dir.path("c2"),
                     "--checkpoint-every: expected a positive number of epochs, got 0", dir.path("m2"));
  expect_cli_failure(base + " --hidden 8 --epochs 3 --checkpoint " + dir.path("m2"), "--checkpoint: " + dir.path("m2") +
                     " is also the model file --out writes", dir.path("m2"));
  expect_cli_failure(base + " --hidden 8 --epochs 3 --checkpoint " + dir.path("train.csv"), "--checkpoint: ", dir.path("m2"));
  expect_cli_failure(base + " --hidden 8 --epochs 3 --method laplace --checkpoint " + dir.path("c3"), "not by --method laplace",
                     dir.path("c3"));
  // The data is what it was: the refusals touched nothing.
  auto again = run_cli(base + " --hidden 8 --epochs 3 --resume " + checkpoint);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  expect_same_tensors(dir.path("m"), dir.path("m2"));
}

// `credence train --nproc 2`: the model file of two data-parallel ranks against one process, the
// same bits when repeated, a rank killed mid-training, ranks started with different options, and
// methods that do not train data-parallel.
#include "credence/distributed/local_ranks.h"
#include "credence/io/archive.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

using namespace credence::testing;

namespace {

// The largest absolute difference between two model files' tensors (same names and shapes).
double largest_difference(const std::string& a, const std::string& b) {
  const auto x = credence::io::read_archive(a), y = credence::io::read_archive(b);
  EXPECT_EQ(x.tensors.size(), y.tensors.size());
  double largest = 0.0;
  for (size_t i = 0; i < std::min(x.tensors.size(), y.tensors.size()); ++i) {
    EXPECT_EQ(x.tensors[i].first, y.tensors[i].first);
    const auto& p = x.tensors[i].second;
    const auto& q = y.tensors[i].second;
    if (!p.is_floating_point()) continue;
    largest = std::max(largest, (p.to(at::kDouble) - q.to(at::kDouble)).abs().max().item<double>());
  }
  return largest;
}

// The child processes of `pid` (from /proc), e.g. the ranks that `--nproc` started.
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  for (pid_t child; in >> child;) out.push_back(child);
  return out;
}

}  // namespace

class DistributedCli : public ::testing::Test {
 protected:
  void SetUp() override { write_sine_csv(dir.path("train.csv"), 640, 11); }
  std::string train_args(const std::string& out, const std::string& extra) const {
    return "train --data " + dir.path("train.csv") + " --target y --hidden 32,32 --batch-size 32 --lr 0.01 --seed 4 --quiet"
           " --out " + out + " " + extra;
  }
  TemporaryDirectory dir;
};

// One epoch of 20 steps, bbb (the fused step): the two ranks draw what one process draws; float32
// sums in a different order move a gradient by about 1e-7 of its size, and Adam's steps of at most
// lr = 0.01 keep the parameters within 1e-4 of one process's.
TEST_F(DistributedCli, TwoRanksGiveOneProcesssParametersAndTheSameBitsWhenRepeated) {
  for (const std::string method : {"bbb", "deterministic --autograd"}) {
    SCOPED_TRACE(method);
    const auto one = run_cli(train_args(dir.path("one.model"), "--epochs 1 --threads 2 --method " + method));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const auto two = run_cli(train_args(dir.path("two.model"), "--epochs 1 --nproc 2 --method " + method));
    ASSERT_EQ(two.exit_code, 0) << two.err;
    EXPECT_EQ(two.err, "");
    EXPECT_LT(largest_difference(dir.path("one.model"), dir.path("two.model")), 1e-4);
    const auto again = run_cli(train_args(dir.path("again.model"), "--epochs 1 --nproc 2 --method " + method));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(largest_difference(dir.path("two.model"), dir.path("again.model")), 0.0);
  }
}

// Ensemble members train whole, one per rank in turn (members 1 and 3 on rank 0, 2 on rank 1),
// and are exchanged: each is the network one process trains from the member's seed, to the bit
// on the same thread count; regression and classification alike.
TEST_F(DistributedCli, EnsembleMembersSpreadOverTheRanksAreOneProcesssMembers) {
  const std::string extra = "--epochs 2 --method ensemble --members 3 --validation-fraction 0.2";
  const auto one = run_cli(train_args(dir.path("one.model"), extra + " --threads 1"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto two = run_cli(train_args(dir.path("two.model"), extra + " --nproc 2"));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(largest_difference(dir.path("one.model"), dir.path("two.model")), 0.0);
  std::ostringstream labels;
  labels << "a,b,label\n";
  std::mt19937 rng(3);
  std::normal_distribution<double> normal;
  for (int i = 0; i < 300; ++i) {
    const int k = i % 3;
    labels << k + 0.7 * normal(rng) << "," << (k == 1 ? 1.0 : -1.0) + 0.7 * normal(rng) << ",c" << k << "\n";
  }
  write_text(dir.path("classes.csv"), labels.str());
  const std::string classify = "train --task classification --data " + dir.path("classes.csv") +
                               " --target label --hidden 16 --method ensemble --members 3 --epochs 3 --seed 2 --quiet --out ";
  ASSERT_EQ(run_cli(classify + dir.path("c1.model") + " --threads 1").exit_code, 0);
  ASSERT_EQ(run_cli(classify + dir.path("c2.model") + " --nproc 2").exit_code, 0);
  EXPECT_EQ(largest_difference(dir.path("c1.model"), dir.path("c2.model")), 0.0);
}

TEST_F(DistributedCli, AKilledRankStopsTheJobWithinTheTimeoutAndNoModelIsWritten) {
  const std::string out = dir.path("killed.model"), errors = dir.path("errors.txt"), checkpoint = dir.path("ck");
  const std::string command = std::string("exec '") + CREDENCE_CLI + "' " +
                              train_args(out, "--epochs 100000 --nproc 2 --rank-timeout 20 --checkpoint " + checkpoint) +
                              " 2> " + errors;
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t launcher = 0;
  ASSERT_EQ(posix_spawn(&launcher, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ), 0);
  // Wait for the two ranks and for rank 0's first checkpoint: both are then inside training.
  std::vector<pid_t> ranks;
  const auto start = std::chrono::steady_clock::now();
  while ((ranks.size() < 2 || !file_exists(checkpoint)) && std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ranks = children_of(launcher);
  }
  ASSERT_EQ(ranks.size(), 2u);
  ASSERT_TRUE(file_exists(checkpoint));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(ranks[1], SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  int status = 0;
  ASSERT_EQ(::waitpid(launcher, &status, 0), launcher);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  EXPECT_LT(seconds, 20.0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_FALSE(file_exists(out));
  // One line from the rank that lost its peer, one from the launcher naming the killed rank.
  const auto text = read_text(errors);
  EXPECT_EQ(count_lines(text), 2) << text;
  EXPECT_NE(text.find("credence: error: rank 0 of 2: lost rank 1 during"), std::string::npos) << text;
  EXPECT_NE(text.find("credence: error: --nproc: rank 1 was killed by signal 9"), std::string::npos) << text;
}

TEST_F(DistributedCli, RanksStartedWithDifferentOptionsAreRefused) {
  const int port = credence::distributed::free_local_port();
  auto rank = [&](int r, const std::string& epochs) {
    return "RANK=" + std::to_string(r) + " WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " '" +
           CREDENCE_CLI + "' " + train_args(dir.path("m.model"), "--rank-timeout 10 --epochs " + epochs) + " 2> " +
           dir.path("rank" + std::to_string(r) + ".txt");
  };
  const auto result = run_command("(" + rank(0, "2") + "; echo $? > " + dir.path("rc0") + ") & " + rank(1, "3") +
                                  "; echo $? > " + dir.path("rc1") + "; wait");
  for (int r = 0; r < 2; ++r) {
    const auto text = read_text(dir.path("rank" + std::to_string(r) + ".txt"));
    EXPECT_EQ(text, "credence: error: rank " + std::to_string(r) +
                        " of 2: rank 1 was started with different options from rank 0 (every rank needs the same "
                        "command line)\n");
    EXPECT_EQ(read_text(dir.path("rc" + std::to_string(r))), "1\n");
  }
  EXPECT_FALSE(file_exists(dir.path("m.model")));
}

// torchrun starts the ranks itself and serves the rendezvous from its agent (Debian 12's torchrun
// needs --redirects 1 --tee 1, or it stops at start on Python 3.11). Where torchrun is not
// installed (python3-torch), there is nothing to run.
TEST_F(DistributedCli, TorchrunsRanksTrainWhatNprocTrains) {
  if (run_command("command -v torchrun").exit_code != 0) GTEST_SKIP() << "torchrun is not installed (python3-torch)";
  const std::string args = "--epochs 1 --method bbb";
  ASSERT_EQ(run_cli(train_args(dir.path("nproc.model"), args + " --nproc 2")).exit_code, 0);
  const int port = credence::distributed::free_local_port();
  const auto run = run_command("OMP_NUM_THREADS=1 torchrun --nproc_per_node 2 --master_port " + std::to_string(port) +
                               " --redirects 1 --tee 1 --no_python '" + CREDENCE_CLI + "' " +
                               train_args(dir.path("torchrun.model"), args));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(largest_difference(dir.path("nproc.model"), dir.path("torchrun.model")), 0.0);
}

TEST_F(DistributedCli, MethodsOutsideTheMinibatchTrainerAreRefused) {
  expect_cli_error(train_args(dir.path("h.model"), "--nproc 2 --method hmc"),
                   "--method: data-parallel training (--nproc, torchrun) covers bbb, mcdropout, deterministic and "
                   "ensemble; 'hmc' trains in one process");
  expect_cli_error(train_args(dir.path("h.model"), "--nproc 0"), "--nproc: expected 1 to 256 processes, got 0");
}

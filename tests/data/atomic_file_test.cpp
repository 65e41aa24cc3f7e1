// Atomic writes: the destination checks, links written through, permissions kept, and the
// temporary file removed on every error path and on SIGINT and SIGTERM.
#include "credence/data/atomic_file.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

using namespace credence;
using credence::testing::folder_listing;
using credence::testing::read_text;
using credence::testing::TemporaryDirectory;
using credence::testing::write_text;

namespace {

using credence::testing::error_message_of;

}  // namespace

TEST(AtomicFile, WritesReplacesAndKeepsThePermissions) {
  TemporaryDirectory dir;
  const auto path = dir.path("out.txt");
  data::write_file_atomically(path, "first");
  EXPECT_EQ(read_text(path), "first");
  ::chmod(path.c_str(), 0640);
  data::write_file_atomically(path, "second");
  EXPECT_EQ(read_text(path), "second");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  EXPECT_EQ(folder_listing(dir.root()), (std::vector<std::string>{"out.txt"}));
}

TEST(AtomicFile, TheTemporaryFileLivesBesideTheTargetAndGoesWithoutCommit) {
  TemporaryDirectory dir;
  write_text(dir.path("model"), "old");
  {
    data::AtomicFile file(dir.path("model"));
    EXPECT_EQ(file.temporary_path().rfind(dir.path(".model.credence-tmp-"), 0), 0u) << file.temporary_path();
    EXPECT_EQ(file.temporary_path().size(), dir.path(".model.credence-tmp-XXXXXX").size());
    file.write("new", 3);
    EXPECT_TRUE(std::filesystem::exists(file.temporary_path()));
  }  // an exception between creation and commit ends here
  EXPECT_EQ(folder_listing(dir.root()), (std::vector<std::string>{"model"}));
  EXPECT_EQ(read_text(dir.path("model")), "old");
}

TEST(AtomicFile, RefusesWhatIsNotARegularFile) {
  TemporaryDirectory dir;
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically(dir.root(), "x"); }), dir.root() + ": is a directory, not a file");
  ASSERT_EQ(::mkfifo(dir.path("fifo").c_str(), 0600), 0);
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically(dir.path("fifo"), "x"); }),
            dir.path("fifo") + ": is a named pipe (FIFO), not a regular file");
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically("/dev/null", "x"); }), "/dev/null: is a device, not a regular file");
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically(dir.path("no/such/file"), "x"); }),
            dir.path("no/such/file") + ": cannot write: the directory " + dir.path("no/such") + " does not exist");
  write_text(dir.path("plain"), "p");
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically(dir.path("plain/child"), "x"); }),
            dir.path("plain/child") + ": cannot write: " + dir.path("plain") + " is not a directory");
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically("", "x"); }), "the output path is empty");
  if (::geteuid() != 0) {  // root writes anyway
    ::chmod(dir.path("plain").c_str(), 0444);
    EXPECT_NE(error_message_of([&] { data::write_file_atomically(dir.path("plain"), "x"); }).find("the file is not writable"),
              std::string::npos);
  }
  ::symlink("loop", dir.path("loop").c_str());
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically(dir.path("loop"), "x"); }),
            dir.path("loop") + ": too many levels of symbolic links");
  ::symlink("fifo", dir.path("to_fifo").c_str());
  EXPECT_EQ(error_message_of([&] { data::write_file_atomically(dir.path("to_fifo"), "x"); }),
            dir.path("to_fifo") + " (a symbolic link to " + dir.path("fifo") + "): is a named pipe (FIFO), not a regular file");
  EXPECT_EQ(folder_listing(dir.root()), (std::vector<std::string>{"fifo", "loop", "plain", "to_fifo"}));
}

TEST(AtomicFile, WritesThroughSymbolicLinks) {
  TemporaryDirectory dir;
  std::filesystem::create_directory(dir.path("real"));
  write_text(dir.path("real/target"), "old");
  ::symlink("real/target", dir.path("link").c_str());
  data::write_file_atomically(dir.path("link"), "new");
  EXPECT_TRUE(std::filesystem::is_symlink(dir.path("link")));
  EXPECT_EQ(read_text(dir.path("real/target")), "new");
  // A dangling link creates its target, as a shell's > does.
  ::symlink("real/created", dir.path("dangling").c_str());
  data::write_file_atomically(dir.path("dangling"), "made");
  EXPECT_EQ(read_text(dir.path("real/created")), "made");
  EXPECT_EQ(folder_listing(dir.path("real")), (std::vector<std::string>{"created", "target"}));
}

TEST(AtomicFile, DashIsStandardOutputOnlyForWriteOutput) {
  TemporaryDirectory dir;
  ::testing::internal::CaptureStdout();
  data::write_output("-", "to stdout\n");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "to stdout\n");
  ASSERT_EQ(::chdir(dir.root().c_str()), 0);
  data::write_file_atomically("-", "a file named -");
  EXPECT_EQ(read_text(dir.path("-")), "a file named -");
  ASSERT_EQ(::chdir("/"), 0);
}

// A signal while the temporary file exists removes it, and the process still dies of the signal.
class AtomicFileSignal : public ::testing::TestWithParam<int> {};

TEST_P(AtomicFileSignal, RemovesTheTemporaryFile) {
  TemporaryDirectory dir;
  const int signal_number = GetParam();
  EXPECT_EXIT(
      {
        data::AtomicFile file(dir.path("model"));
        file.write("half", 4);
        if (!std::filesystem::exists(file.temporary_path())) std::_Exit(3);  // nothing to remove: the test would prove nothing
        ::raise(signal_number);
      },
      ::testing::KilledBySignal(signal_number), "");
  EXPECT_TRUE(folder_listing(dir.root()).empty());
}

INSTANTIATE_TEST_SUITE_P(InterruptAndTerminate, AtomicFileSignal, ::testing::Values(SIGINT, SIGTERM, SIGHUP));

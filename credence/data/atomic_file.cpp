// Temporary-name-then-rename file writes, the checks on a destination, and the registry of
// temporary files that a signal handler removes.
#include "credence/data/atomic_file.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits.h>
#include <mutex>
#include <random>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace credence::data {

namespace {

// ---- The registry of temporary files, readable from a signal handler -------------------------
//
// A slot is claimed (kClaimed) while its path is copied in and becomes visible to the handler
// only when complete (kReady): the handler reads nothing half-written. Only lock-free atomics,
// unlink() and sigaction() are used on the handler's side, all async-signal-safe.

constexpr int kSlots = 64;
constexpr int kFree = 0, kClaimed = 1, kReady = 2;

struct Slot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
};

Slot slots[kSlots];
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

constexpr int kCleanedSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction previous_actions[NSIG];

void remove_temporary_files() {
  for (auto& slot : slots) {
    if (slot.state.load(std::memory_order_acquire) == kReady) ::unlink(slot.path);
  }
}

void on_signal(int signal_number, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  remove_temporary_files();
  const struct sigaction& previous = previous_actions[signal_number];
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(signal_number, info, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal_number);
  } else {
    // Die of the signal as the process would have without us: the default action, raised again
    // (it is delivered when this handler returns, the signal being blocked until then).
    ::sigaction(signal_number, &previous, nullptr);
    ::raise(signal_number);
  }
  errno = saved_errno;
}

// Installed once, on the first temporary file. A signal that the process ignores stays ignored
// (nohup); a handler that the program installed runs after the cleanup.
void install_signal_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int signal_number : kCleanedSignals) {
      struct sigaction current {};
      if (::sigaction(signal_number, nullptr, &current) != 0) continue;
      if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;
      previous_actions[signal_number] = current;
      struct sigaction action {};
      action.sa_sigaction = on_signal;
      action.sa_flags = SA_SIGINFO | SA_RESTART;
      sigemptyset(&action.sa_mask);
      ::sigaction(signal_number, &action, nullptr);
    }
  });
}

// Claims a slot for `path`; -1 when the path is too long or every slot is taken (the file is then
// still removed on every error path, only not on a signal).
int register_temporary(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  install_signal_handlers();
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (slots[i].state.compare_exchange_strong(expected, kClaimed, std::memory_order_acq_rel)) {
      std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
      slots[i].state.store(kReady, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void unregister_temporary(int slot) {
  if (slot >= 0) slots[slot].state.store(kFree, std::memory_order_release);
}

// ---- Paths ------------------------------------------------------------------------------------

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string error_text(int error) { return std::strerror(error); }

// Follows symbolic links to the file they name (which need not exist).
std::string follow_links(const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat info {};
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) return current;
    std::string target(static_cast<size_t>(info.st_size > 0 ? info.st_size : PATH_MAX) + 1, '\0');
    const ssize_t length = ::readlink(current.c_str(), target.data(), target.size());
    if (length < 0) throw std::runtime_error(path + ": cannot read the symbolic link (" + error_text(errno) + ")");
    target.resize(static_cast<size_t>(length));
    current = (!target.empty() && target[0] == '/') ? target : directory_of(current) + "/" + target;
  }
  throw std::runtime_error(path + ": too many levels of symbolic links");
}

std::string random_suffix() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 generator(std::random_device{}() ^
                                         static_cast<std::uint64_t>(::getpid()) << 32 ^
                                         static_cast<std::uint64_t>(
                                             std::chrono::steady_clock::now().time_since_epoch().count()));
  std::string suffix(6, 'X');
  for (auto& c : suffix) c = kAlphabet[generator() % (sizeof kAlphabet - 1)];
  return suffix;
}

}  // namespace

std::string check_output_file(const std::string& path) {
  if (path.empty()) throw std::runtime_error("the output path is empty");
  const std::string target = follow_links(path);
  const std::string shown = target == path ? path : path + " (a symbolic link to " + target + ")";
  struct stat info {};
  if (::stat(target.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw std::runtime_error(shown + ": is a directory, not a file");
    if (S_ISFIFO(info.st_mode)) throw std::runtime_error(shown + ": is a named pipe (FIFO), not a regular file");
    if (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) {
      throw std::runtime_error(shown + ": is a device, not a regular file");
    }
    if (S_ISSOCK(info.st_mode)) throw std::runtime_error(shown + ": is a socket, not a regular file");
    if (::access(target.c_str(), W_OK) != 0) {
      throw std::runtime_error(shown + ": the file is not writable (" + error_text(errno) + ")");
    }
    return target;
  }
  if (errno != ENOENT && errno != ENOTDIR) throw std::runtime_error(shown + ": cannot write (" + error_text(errno) + ")");
  const std::string directory = directory_of(target);
  struct stat directory_info {};
  if (::stat(directory.c_str(), &directory_info) != 0) {
    if (errno == ENOENT) throw std::runtime_error(shown + ": cannot write: the directory " + directory + " does not exist");
    throw std::runtime_error(shown + ": cannot write in " + directory + " (" + error_text(errno) + ")");
  }
  if (!S_ISDIR(directory_info.st_mode)) {
    throw std::runtime_error(shown + ": cannot write: " + directory + " is not a directory");
  }
  return target;
}

AtomicFile::AtomicFile(const std::string& path) : path_(path), destination_(check_output_file(path)) {
  // NAME is shortened so that the temporary name stays within the 255 bytes a file name may have.
  const std::string prefix = directory_of(destination_) + "/." + name_of(destination_).substr(0, 200) + ".credence-tmp-";
  for (int attempt = 0; attempt < 100; ++attempt) {
    temporary_ = prefix + random_suffix();
    slot_ = register_temporary(temporary_);
    // 0666 and the umask give the permissions a new file would have had.
    descriptor_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (descriptor_ >= 0) return;
    const int error = errno;
    unregister_temporary(slot_);
    slot_ = -1;
    if (error != EEXIST) {
      throw std::runtime_error(path_ + ": cannot create a temporary file in " + directory_of(destination_) + " (" +
                               error_text(error) + ")");
    }
  }
  throw std::runtime_error(path_ + ": cannot find a free temporary file name in " + directory_of(destination_));
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (descriptor_ >= 0) ::close(descriptor_);
  descriptor_ = -1;
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
  unregister_temporary(slot_);
  slot_ = -1;
}

void AtomicFile::write(const void* bytes, size_t size) {
  if (descriptor_ < 0) throw std::logic_error(path_ + ": AtomicFile::write after commit");
  const auto* p = static_cast<const char*>(bytes);
  while (size > 0) {
    const ssize_t written = ::write(descriptor_, p, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      discard();
      throw std::runtime_error(path_ + ": write failed (" + error_text(error) + ")");
    }
    p += written;
    size -= static_cast<size_t>(written);
  }
}

void AtomicFile::commit() {
  if (descriptor_ < 0) throw std::logic_error(path_ + ": AtomicFile::commit twice or after a failure");
  auto fail = [&](const std::string& what, int error) {
    discard();
    throw std::runtime_error(path_ + ": " + what + " (" + error_text(error) + ")");
  };
  struct stat replaced {};
  if (::stat(destination_.c_str(), &replaced) == 0 && ::fchmod(descriptor_, replaced.st_mode & 07777) != 0) {
    fail("cannot keep the permissions of the file it replaces", errno);
  }
  if (::fsync(descriptor_) != 0 && errno != EINVAL) fail("write failed", errno);
  const int descriptor = descriptor_;
  descriptor_ = -1;
  if (::close(descriptor) != 0) fail("write failed", errno);
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) fail("cannot rename into place", errno);
  committed_ = true;
  unregister_temporary(slot_);
  slot_ = -1;
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  AtomicFile file(path);
  file.write(contents.data(), contents.size());
  file.commit();
}

void write_output(const std::string& path, const std::string& contents) {
  if (path != kStandardOutput) {
    write_file_atomically(path, contents);
    return;
  }
  std::fflush(stdout);
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    const ssize_t written = ::write(STDOUT_FILENO, p, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("standard output: write failed (" + error_text(errno) + ")");
    }
    p += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace credence::data

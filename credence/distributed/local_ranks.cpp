// Local ranks: fork and exec per rank, then a wait loop that notices the first failure.
#include "credence/distributed/local_ranks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <thread>

namespace credence::distributed {

namespace {

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    const char* name = strsignal(signal);
    return "was killed by signal " + std::to_string(signal) + " (" + (name ? name : "unknown") + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

int exit_code(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

}  // namespace

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("cannot open a socket to find a free port: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1: " + reason);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

int run_local_ranks(const std::string& program, const std::vector<std::string>& arguments,
                    const LocalRanksOptions& options, std::ostream& errors) {
  if (options.ranks < 1) throw std::invalid_argument("--nproc: expected at least 1 rank, got " + std::to_string(options.ranks));
  const int port = options.port > 0 ? options.port : free_local_port();
  std::vector<std::string> argv_text;
  argv_text.push_back(program);
  argv_text.insert(argv_text.end(), arguments.begin(), arguments.end());
  std::vector<pid_t> children;
  for (int rank = 0; rank < options.ranks; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      for (pid_t child : children) ::kill(child, SIGKILL);
      for (pid_t child : children) ::waitpid(child, nullptr, 0);
      throw std::runtime_error(std::string("--nproc: cannot start rank ") + std::to_string(rank) + ": " + std::strerror(errno));
    }
    if (pid == 0) {
      // The child: torchrun's variables, then this program again.
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(options.ranks).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(options.ranks).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : argv_text) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      const std::string message = "credence: error: --nproc: cannot start rank " + std::to_string(rank) + ": " +
                                  std::strerror(errno) + "\n";
      (void)!::write(STDERR_FILENO, message.data(), message.size());
      ::_exit(127);
    }
    children.push_back(pid);
  }
  // Every failure, in the order seen (ranks this loop killed left out); the one reported is the
  // first rank killed by a signal (the others then fail because they lost it), else the first
  // that exited non-zero.
  std::vector<std::pair<size_t, int>> failures;
  auto deadline = std::chrono::steady_clock::time_point::max();
  size_t running = children.size();
  std::vector<bool> done(children.size(), false), killed(children.size(), false);
  while (running > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, failures.empty() ? 0 : WNOHANG);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pid == 0) {
      // After a failure: the others get the grace period to stop by themselves, then a SIGKILL.
      if (std::chrono::steady_clock::now() > deadline) {
        for (size_t r = 0; r < children.size(); ++r) {
          if (!done[r]) killed[r] = ::kill(children[r], SIGKILL) == 0;
        }
        deadline = std::chrono::steady_clock::time_point::max();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    size_t rank = 0;
    while (rank < children.size() && children[rank] != pid) ++rank;
    if (rank == children.size()) continue;
    done[rank] = true;
    --running;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    if (failures.empty()) deadline = std::chrono::steady_clock::now() + options.grace;
    if (!killed[rank]) failures.emplace_back(rank, status);
  }
  if (failures.empty()) return 0;
  auto reported = failures.front();
  for (const auto& f : failures) {
    if (WIFSIGNALED(f.second)) {
      reported = f;
      break;
    }
  }
  errors << "credence: error: --nproc: rank " << reported.first << " " << how_it_ended(reported.second);
  if (options.ranks > 1) errors << "; the job stopped";
  errors << "\n" << std::flush;
  return exit_code(reported.second);
}

}  // namespace credence::distributed

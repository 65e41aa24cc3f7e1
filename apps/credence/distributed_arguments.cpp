// --nproc, --rank-timeout and joining a torchrun job.
#include "distributed_arguments.h"

#include "cli_support.h"

#include "credence/distributed/local_ranks.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace credence::cli {

namespace {

// The command line without its program name and without --nproc (the ranks' own command line).
std::vector<std::string> rank_arguments() {
  const auto& words = command_line();
  std::vector<std::string> out;
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i] == "--nproc") {
      ++i;  // and its value
      continue;
    }
    if (words[i].rfind("--nproc=", 0) == 0) continue;
    out.push_back(words[i]);
  }
  return out;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += w + '\0';
  return out;
}

}  // namespace

void add_distributed_options(CLI::App* command, DistributedArguments& arguments) {
  const std::string group = "Several processes (also under torchrun --no_python)";
  command->add_option("--nproc", arguments.nproc,
                      "Run as this many processes of this machine (c10d with Gloo on 127.0.0.1): train data-parallel "
                      "(bench uci: the splits spread over them)")
      ->group(group);
  command->add_option("--rank-timeout", arguments.rank_timeout,
                      "Seconds a rank waits for the others (rendezvous, every gradient sum) before it stops")
      ->capture_default_str()
      ->group(group);
}

std::shared_ptr<distributed::ProcessGroup> join_job(const DistributedArguments& arguments) {
  require(arguments.rank_timeout > 0.0 && std::isfinite(arguments.rank_timeout) && arguments.rank_timeout <= 86400.0,
          "--rank-timeout", "expected a positive number of seconds (at most a day)");
  const auto environment = distributed::launch_settings_from_environment();
  if (arguments.nproc != -1 && !environment) {
    require(arguments.nproc >= 1 && arguments.nproc <= 256, "--nproc",
            "expected 1 to 256 processes, got " + std::to_string(arguments.nproc));
    distributed::LocalRanksOptions options;
    options.ranks = arguments.nproc;
    if (const char* port = std::getenv("MASTER_PORT"); port && *port) options.port = std::atoi(port);
    options.grace = std::min(options.grace, std::chrono::milliseconds(static_cast<int64_t>(arguments.rank_timeout * 1000.0)));
    const int status = distributed::run_local_ranks(command_line().front(), rank_arguments(), options, std::cerr);
    throw ExitStatus(status);
  }
  if (!environment || environment->world_size == 1) return nullptr;
  auto settings = *environment;
  settings.timeout = std::chrono::milliseconds(static_cast<int64_t>(arguments.rank_timeout * 1000.0));
  auto group = std::make_shared<distributed::ProcessGroup>(settings);
  group->check_same("options", joined(rank_arguments()));
  return group;
}

void apply_rank_threads(const distributed::ProcessGroup* group, int threads) {
  if (!group || threads > 0) return;
  const int hardware = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const char* local = std::getenv("LOCAL_WORLD_SIZE");
  const int ranks_here = local && *local ? std::max(1, std::atoi(local)) : 1;
  at::set_num_threads(std::max(1, hardware / ranks_here));
}

}  // namespace credence::cli

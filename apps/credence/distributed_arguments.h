// The command-line side of data-parallel training: --nproc and --rank-timeout, and the job a
// process belongs to (started by torchrun, or by --nproc here).
#pragma once

#include "credence/distributed/process_group.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace credence::cli {

struct DistributedArguments {
  int nproc = -1;  // -1: not given
  double rank_timeout = 60.0;
};

void add_distributed_options(CLI::App* command, DistributedArguments& arguments);

// The job this process is a rank of, or null when it trains alone. Under torchrun (WORLD_SIZE set)
// it joins the job and checks that every rank has the same command line. With --nproc N it
// starts N ranks of this command line and throws ExitStatus with the job's status (it never
// returns a group in the process that started them).
std::shared_ptr<distributed::ProcessGroup> join_job(const DistributedArguments& arguments);

// Sets the threads of a rank when --threads is not given: the machine's cores shared by its ranks.
void apply_rank_threads(const distributed::ProcessGroup* group, int threads);

}  // namespace credence::cli

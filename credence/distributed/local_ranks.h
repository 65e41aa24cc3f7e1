// Local ranks: `credence train --nproc N`, the single-machine shorthand for torchrun. Starts N
// copies of this program as ranks 0..N-1 of one job on 127.0.0.1 (with the variables torchrun
// would set), waits for them, and stops the others when one fails.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace credence::distributed {

struct LocalRanksOptions {
  int ranks = 2;
  // MASTER_PORT for the job; 0: a port that is free now.
  int port = 0;
  // After the first rank fails, how long the others have to stop by themselves before they are
  // killed: they notice a lost rank at once, but one that waits at the rendezvous for a rank
  // that never came would wait out its whole timeout.
  std::chrono::milliseconds grace{std::chrono::seconds(5)};
};

// Runs `program` with `arguments` as every rank and returns the job's exit status: 0 when every
// rank exits 0, else the first failing rank's status (128 + signal for a rank killed by one).
// The first failure is one line on `errors` naming the rank and how it ended.
int run_local_ranks(const std::string& program, const std::vector<std::string>& arguments,
                    const LocalRanksOptions& options, std::ostream& errors);

// A TCP port on 127.0.0.1 that nothing listens on now.
int free_local_port();

}  // namespace credence::distributed

// Shared pieces of the benchmark programs: the median timing and the --threads/--repeats arguments.
#pragma once

#include "credence/core/allocator_tuning.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

namespace credence::bench {

// The median wall time of `repeats` runs of `work`, after one warm-up run (allocator, thread pool, caches).
inline double median_seconds(const std::function<void()>& work, int repeats) {
  std::vector<double> times;
  work();
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    work();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Two pieces of work timed in alternation, so that a machine whose speed drifts (a shared VM)
// slows both alike: the median time of each and the median of the per-round ratios first / second.
struct PairedTimes {
  double first = 0.0, second = 0.0, ratio = 0.0;
};

inline PairedTimes paired_median_seconds(const std::function<void()>& first, const std::function<void()>& second,
                                         int repeats) {
  auto seconds = [](const std::function<void()>& work) {
    auto start = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  first();
  second();
  std::vector<double> a, b, ratios;
  for (int r = 0; r < repeats; ++r) {
    a.push_back(seconds(first));
    b.push_back(seconds(second));
    ratios.push_back(a.back() / b.back());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {median(a), median(b), median(ratios)};
}

// Reads [--threads T] [--repeats R], sets LibTorch's thread count and prints the settings.
inline int setup(int argc, char** argv, int default_repeats) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  int repeats = default_repeats;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
  }
  at::set_num_threads(threads);
  // As the command-line tool does.
  core::keep_freed_memory_for_reuse();
  std::printf("threads %d, repeats %d (median reported)\n\n", threads, repeats);
  return repeats;
}

}  // namespace credence::bench

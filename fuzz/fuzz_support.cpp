// Shared by the libFuzzer targets.
#include "fuzz_support.h"

#include <ATen/Parallel.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace credence::fuzz {

namespace {

std::string make_scratch_directory() {
  std::error_code error;
  const std::string base = std::filesystem::is_directory("/dev/shm", error) ? "/dev/shm" : "/tmp";
  std::string pattern = base + "/credence-fuzz-XXXXXX";
  if (!::mkdtemp(pattern.data())) std::abort();
  static std::string removed_at_exit;
  removed_at_exit = pattern;
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(removed_at_exit, ignored);
  });
  return pattern;
}

}  // namespace

const std::string& scratch_directory() {
  static const std::string directory = make_scratch_directory();
  return directory;
}

void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
}

void expect_only_refusals(const std::function<void()>& read) {
  try {
    read();
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace credence::fuzz

// Called once by libFuzzer before the first input: one tensor thread, so that a fuzzer uses one
// core and its runs are reproducible.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

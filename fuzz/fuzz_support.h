// Shared by the libFuzzer targets: a scratch folder for readers that take paths, and the exceptions
// that count as a reader's documented refusals (anything else escaping is a finding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace credence::fuzz {

// A folder of this process (under /dev/shm when it exists), removed at exit.
const std::string& scratch_directory();

// Writes `size` bytes to `path` (replacing it).
void write_bytes(const std::string& path, const uint8_t* data, size_t size);

// Runs `read`; std::runtime_error and std::invalid_argument (ArchiveError included) are the
// readers' refusals of bad input and are swallowed. Any other exception escapes, so that libFuzzer
// reports it (an uncaught exception aborts).
void expect_only_refusals(const std::function<void()>& read);

}  // namespace credence::fuzz

// Writing a file so that readers see either the old file or the whole new one, never half.
#pragma once

#include <string>

namespace credence::data {

// Writes `contents` to a temporary file beside `path`, then renames it over `path`.
// Throws std::runtime_error naming the path when the directory is not writable.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace credence::data

// Reading an input file whole, with the messages a user needs when the path is not a file.
#pragma once

#include <string>
#include <string_view>

namespace credence::data {

// The bytes of `path` (a regular file, or a pipe such as <(zcat x.gz)). Throws std::runtime_error
// "PATH: cannot open WHAT (reason)" when it cannot be opened and "PATH: is a directory, not a WHAT"
// for a directory; `what` names the expected content ("file", "model file").
std::string read_input_file(const std::string& path, const std::string& what = "file");

// Throws "PATH: is a directory, not a WHAT" when `path` is a directory (for readers that open the
// file themselves).
void refuse_directory(const std::string& path, const std::string& what = "file");

// A cell or a name as an error message shows it: at most 40 characters, control characters
// escaped (\x0a), so that the message stays one line.
std::string shown_text(std::string_view text);

}  // namespace credence::data

// Helpers shared by the tests: temporary directories and running the credence command.
#pragma once

#include <string>

namespace credence::testing {

// A fresh empty directory under the system temporary directory, removed at destruction.
class TemporaryDirectory {
 public:
  TemporaryDirectory();
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  std::string path(const std::string& name) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

struct CommandResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs `credence ARGS` through the shell, capturing stdout and stderr.
CommandResult run_cli(const std::string& args);
// Runs any shell command line, capturing stdout and stderr.
CommandResult run_command(const std::string& command_line);

void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
bool file_exists(const std::string& path);
// Number of newline characters in text.
int count_lines(const std::string& text);

}  // namespace credence::testing

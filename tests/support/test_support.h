// Helpers shared by the tests: temporary directories and running the credence command.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

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

// Runs `credence ARGS` and expects a failure: a non-zero exit, exactly one line on stderr that
// starts with "credence: error: " and contains `message`, and no file at `absent` (when given).
void expect_cli_failure(const std::string& args, const std::string& message, const std::string& absent = "");
// The same with the whole line: stderr is exactly "credence: error: MESSAGE\n", the exit code `exit_code`.
void expect_cli_error(const std::string& args, const std::string& message, int exit_code = 1,
                      const std::string& absent = "");

void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
bool file_exists(const std::string& path);
// Number of newline characters in text.
int count_lines(const std::string& text);
// The message of the exception that `action` throws, "no error" when it throws none.
std::string error_message_of(const std::function<void()>& action);
// The CRC-32 of zlib and gzip, computed bit by bit (independent of the library's own).
uint32_t crc32_of(const std::string& bytes);
// The names in a folder, sorted (hidden ones included).
std::vector<std::string> folder_listing(const std::string& folder);

}  // namespace credence::testing

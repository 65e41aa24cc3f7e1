// Shared pieces of the sub-commands: thread settings, messages, option rules, output files.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace credence::cli {

// "credence 0.1.0 (LibTorch 1.13.0)".
std::string version_text();

// The first line of an exception message (LibTorch appends stack traces to its own), with a failed
// allocation said in words: "out of memory: could not allocate 372.5 GiB (400000000000 bytes)".
std::string one_line(const std::string& message);

// Adds --threads to a sub-command (a whole number; 0: one per core); apply_threads() sets
// LibTorch's intra-op thread count, capped at kThreadsPerCore per hardware core with a warning.
inline constexpr int kThreadsPerCore = 4;
void add_threads_option(CLI::App* command, int& threads);
void apply_threads(int threads);

// --memory-budget MB for the commands that predict: a bound on the Monte Carlo working memory, in
// MiB (2^20 bytes), default kDefaultMemoryBudgetMb; memory_budget_bytes() refuses 0, a negative or
// more than kMaxMemoryBudgetMb, naming the option.
inline constexpr int64_t kDefaultMemoryBudgetMb = 1024;
inline constexpr int64_t kMaxMemoryBudgetMb = int64_t{1} << 30;
void add_memory_budget_option(CLI::App* command, int64_t& megabytes);
int64_t memory_budget_bytes(int64_t megabytes);

// The command line as main() got it, for a command that starts itself again (train --nproc).
void remember_command_line(int argc, const char* const* argv);
const std::vector<std::string>& command_line();

// Thrown by a command whose failure has been said already (one line on stderr): main() exits
// with this status and prints nothing more.
class ExitStatus : public std::exception {
 public:
  explicit ExitStatus(int status) : status_(status) {}
  int status() const { return status_; }
  const char* what() const noexcept override { return "exit status"; }

 private:
  int status_;
};

// Whether standard error is a terminal: progress is then a bar redrawn in place, else plain lines.
bool stderr_is_terminal();

// Rules for the options that several sub-commands share by name, added to every sub-command of
// `app` that has them: --seed is a whole number in [0, 2^64 - 1] (no wrap-around of -1); --epochs
// and --retrain-epochs are at most kMaxEpochs (each entry of a list).
inline constexpr int64_t kMaxEpochs = 1000000;
void apply_shared_option_rules(CLI::App& app);

// Before parsing: a word that is not a sub-command where one is required is refused with the
// closest sub-command suggested ("unknown sub-command 'trian'; did you mean 'train'?"), and a
// missing sub-command prints that level's help. Returns -1 to go on parsing, else the exit code.
int check_sub_command(CLI::App& app, int argc, const char* const* argv);

// Throws std::invalid_argument("--NAME: ...") unless the condition holds.
void require(bool condition, const std::string& option, const std::string& expectation);

// "a,b , c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text);

// Hidden layer sizes: "50,50" -> {50, 50}; "none" -> {} (no hidden layer). An empty text, an empty
// entry ("50,,50"), a non-integer, zero or more than kMaxLayerUnits is refused naming the option.
inline constexpr int64_t kMaxLayerUnits = 1000000;
std::vector<int64_t> parse_layer_sizes(const std::string& option, const std::string& text);

// An input that a command reads, for check_output: the option and its value (a file, a folder,
// or idx:DIR).
struct Input {
  std::string option, path;
};

// Refuses, before any work is done, an output that would destroy an input or cannot be written:
// the same file as an input (by any name: links and hard links included; for a folder input, any
// file directly in it), a directory, a named pipe, a device, a read-only file, a missing folder
// (data::check_output_file), and "-" unless `standard_output` (CSV outputs: "-" writes them to
// standard output).
void check_output(const std::string& option, const std::string& path, const std::vector<Input>& inputs,
                  bool standard_output = false);

// Whether two paths name the same file: the same inode when both exist, else the same absolute path.
bool same_path(const std::string& a, const std::string& b);

// An output folder (demo --out-dir): "-" and an existing path that is not a directory are refused.
void check_output_directory(const std::string& option, const std::string& path);

// Parses a named choice with `parse`, prefixing its error with the option name.
template <typename Parse>
auto parse_choice(const std::string& option, const std::string& value, Parse parse) -> decltype(parse(value)) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(option + ": " + e.what());
  }
}

}  // namespace credence::cli

// Shared pieces of the sub-commands: thread settings, messages, output files.
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace credence::cli {

// The first line of an exception message (LibTorch appends stack traces to its own).
std::string one_line(const std::string& message);

// Adds --threads to a sub-command; apply_threads() sets LibTorch's intra-op thread count
// (0: one per hardware core).
void add_threads_option(CLI::App* command, int& threads);
void apply_threads(int threads);

// Throws std::invalid_argument("--NAME: ...") unless the condition holds.
void require(bool condition, const std::string& option, const std::string& expectation);

// "a,b , c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text);

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

// Shared pieces of the sub-commands.
#include "cli_support.h"

#include <ATen/Parallel.h>

#include <stdexcept>
#include <thread>

namespace credence::cli {

std::string one_line(const std::string& message) {
  auto end = message.find('\n');
  std::string line = end == std::string::npos ? message : message.substr(0, end);
  // LibTorch's c10::Error appends " (Exception raised from ...)"; keep the user-facing part.
  auto raised = line.find(" (Exception raised from");
  if (raised != std::string::npos) line = line.substr(0, raised);
  return line;
}

void add_threads_option(CLI::App* command, int& threads) {
  command->add_option("--threads", threads, "Threads for tensor operations (0: one per core)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0);
}

void apply_threads(int threads) {
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(threads > 0 ? threads : (hardware > 0 ? hardware : 1));
}

void require(bool condition, const std::string& option, const std::string& expectation) {
  if (!condition) throw std::invalid_argument(option + ": " + expectation);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t comma = text.find(',', begin);
    size_t end = comma == std::string::npos ? text.size() : comma;
    std::string part = text.substr(begin, end - begin);
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return parts;
}

}  // namespace credence::cli

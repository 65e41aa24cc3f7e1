// Shared pieces of the sub-commands.
#include "cli_support.h"

#include "credence/predict/output_samples.h"

#include "credence/data/atomic_file.h"
#include "credence/io/archive.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>

namespace credence::cli {

namespace {

// A whole number in [0, largest], written in decimal digits (a leading '+' allowed); false for
// anything else, "-1" included.
bool parse_whole_number(const std::string& text, std::uint64_t largest, std::uint64_t& value) {
  size_t i = !text.empty() && text[0] == '+' ? 1 : 0;
  if (i >= text.size()) return false;
  value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (largest - digit) / 10) return false;
    value = value * 10 + digit;
  }
  return true;
}

// Decimal digits with an optional leading sign: a number, even if out of range.
bool is_integer_text(const std::string& text) {
  const size_t first = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
  return first < text.size() && std::all_of(text.begin() + static_cast<std::ptrdiff_t>(first), text.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
}

std::string bytes_in_words(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 6) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

// Optimal string alignment distance: edits, with a swap of neighbours counted as one ("trian").
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::vector<CLI::App*> sub_commands(CLI::App& app) {
  return app.get_subcommands([](CLI::App*) { return true; });
}

struct FileIdentity {
  dev_t device;
  ino_t inode;
};

bool identity_of(const std::string& path, FileIdentity& identity) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  identity = {info.st_dev, info.st_ino};
  return true;
}

}  // namespace

std::string version_text() {
  return "credence " + io::library_version() + " (LibTorch " + std::to_string(TORCH_VERSION_MAJOR) + "." +
         std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH) + ")";
}

std::string one_line(const std::string& message) {
  auto end = message.find('\n');
  std::string line = end == std::string::npos ? message : message.substr(0, end);
  // LibTorch's c10::Error appends " (Exception raised from ...)"; keep the user-facing part.
  auto raised = line.find(" (Exception raised from");
  if (raised != std::string::npos) line = line.substr(0, raised);
  // LibTorch's allocator: "DefaultCPUAllocator: can't allocate memory: you tried to allocate N bytes. ..."
  const std::string tried = "you tried to allocate ";
  const auto at = line.find(tried);
  if (line.find("can't allocate memory") != std::string::npos && at != std::string::npos) {
    const double bytes = std::strtod(line.c_str() + at + tried.size(), nullptr);
    char exact[32];
    std::snprintf(exact, sizeof exact, "%.0f", bytes);
    return "out of memory: could not allocate " + bytes_in_words(bytes) + " (" + exact +
           " bytes) for one tensor; use smaller layers, batches or data";
  }
  if (line == "std::bad_alloc") return "out of memory: a memory allocation failed (std::bad_alloc)";
  return line;
}

void add_threads_option(CLI::App* command, int& threads) {
  command->add_option("--threads", threads, "Threads for tensor operations (0: one per core)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            std::uint64_t value = 0;
            if (parse_whole_number(text, INT_MAX, value)) return "";
            return "expected 0 (one thread per core) or a positive number of threads, got '" + text + "'";
          },
          "THREADS"))
      ->default_val(0);
}

void apply_threads(int threads) {
  const int hardware = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int cap = kThreadsPerCore * hardware;
  if (threads > cap) {
    std::cerr << "credence: warning: --threads " << threads << " is more than " << kThreadsPerCore
              << " per core on this machine (" << hardware << (hardware == 1 ? " core" : " cores") << "); using " << cap
              << "\n";
    threads = cap;
  }
  at::set_num_threads(threads > 0 ? threads : hardware);
}

void apply_shared_option_rules(CLI::App& app) {
  const auto seed_rule = CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t value = 0;
        if (parse_whole_number(text, std::numeric_limits<std::uint64_t>::max(), value)) return "";
        return "expected a whole number from 0 to 18446744073709551615, got '" + text + "'";
      },
      "SEED");
  // Only an upper bound: the command says what it expects of zero, negative or malformed counts.
  const auto epochs_rule = CLI::Validator(
      [](std::string& text) -> std::string {
        for (const auto& part : split_list(text)) {
          std::uint64_t value = 0;
          if (is_integer_text(part) && part[0] != '-' &&
              !parse_whole_number(part, static_cast<std::uint64_t>(kMaxEpochs), value)) {
            return "at most " + std::to_string(kMaxEpochs) + " epochs, got " + part;
          }
        }
        return "";
      },
      "EPOCHS");
  std::vector<CLI::App*> pending{&app};
  while (!pending.empty()) {
    CLI::App* command = pending.back();
    pending.pop_back();
    for (CLI::Option* option : command->get_options()) {
      const auto& name = option->get_name();
      if (name == "--seed") option->check(seed_rule);
      if (name == "--epochs" || name == "--retrain-epochs") option->check(epochs_rule);
    }
    for (CLI::App* sub : sub_commands(*command)) pending.push_back(sub);
  }
}

int check_sub_command(CLI::App& app, int argc, const char* const* argv) {
  CLI::App* level = &app;
  for (int i = 1;; ++i) {
    if (level->get_require_subcommand_min() == 0) return -1;
    const auto subs = sub_commands(*level);
    if (i >= argc) {
      std::cout << level->help(level == &app ? "" : app.get_name());
      return 2;
    }
    const std::string word = argv[i];
    if (!word.empty() && word[0] == '-') return -1;  // --help, --version: CLI11's
    auto found = std::find_if(subs.begin(), subs.end(), [&](CLI::App* s) { return s->get_name() == word; });
    if (found != subs.end()) {
      level = *found;
      continue;
    }
    std::string names, closest;
    size_t best = std::numeric_limits<size_t>::max();
    for (CLI::App* s : subs) {
      const auto& name = s->get_name();
      names += (names.empty() ? "" : ", ") + name;
      size_t distance = edit_distance(word, name);
      if (name.compare(0, word.size(), word) == 0) distance = 1;  // a prefix: "pred"
      if (distance < best) best = distance, closest = name;
    }
    const std::string where = level == &app ? "" : " of 'credence " + level->get_name() + "'";
    std::cerr << "credence: error: unknown sub-command '" << word << "'" << where;
    if (best <= std::max<size_t>(2, word.size() / 3)) std::cerr << "; did you mean '" << closest << "'?";
    std::cerr << " (sub-commands: " << names << ")\n";
    return 2;
  }
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

std::vector<int64_t> parse_layer_sizes(const std::string& option, const std::string& text) {
  if (text == "none") return {};
  const std::string expected = "expected positive layer sizes separated by commas (e.g. 50,50), or none for no "
                               "hidden layer, got '" + text + "'";
  std::vector<int64_t> sizes;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    std::string part = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    std::uint64_t value = 0;
    require(is_integer_text(part) && part[0] != '-', option, expected);
    require(parse_whole_number(part, static_cast<std::uint64_t>(kMaxLayerUnits), value), option,
            "a layer of at most " + std::to_string(kMaxLayerUnits) + " units, got " + part);
    require(value > 0, option, expected);
    sizes.push_back(static_cast<int64_t>(value));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return sizes;
}

void check_output(const std::string& option, const std::string& path, const std::vector<Input>& inputs,
                  bool standard_output) {
  if (path == data::kStandardOutput) {
    require(standard_output, option, "'-' (standard output) is only for CSV outputs; give a file name");
    return;
  }
  try {
    data::check_output_file(path);
  } catch (const std::runtime_error& e) {
    struct stat info {};
    const bool stream = ::stat(path.c_str(), &info) == 0 && (S_ISFIFO(info.st_mode) || S_ISCHR(info.st_mode));
    throw std::invalid_argument(option + ": " + e.what() +
                                (standard_output && stream ? " (give - to write to standard output)" : ""));
  }
  FileIdentity output{};
  if (!identity_of(path, output)) return;  // a new file is none of the inputs
  for (const auto& input : inputs) {
    std::string source = input.path;
    if (source.rfind("idx:", 0) == 0) source = source.substr(4);
    if (source.empty()) continue;
    std::vector<std::string> files{source};
    std::error_code error;
    if (std::filesystem::is_directory(source, error)) {
      for (const auto& entry : std::filesystem::directory_iterator(source, error)) files.push_back(entry.path().string());
    }
    for (const auto& file : files) {
      FileIdentity identity{};
      if (identity_of(file, identity) && identity.device == output.device && identity.inode == output.inode) {
        const std::string what = file == source ? "the file that " + input.option + " reads"
                                                : "a file of the folder that " + input.option + " reads (" + input.path + ")";
        throw std::invalid_argument(option + ": " + path + " is " + what + "; writing it would destroy the input "
                                    "(choose another output name)");
      }
    }
  }
}

bool same_path(const std::string& a, const std::string& b) {
  FileIdentity x{}, y{};
  if (identity_of(a, x) && identity_of(b, y)) return x.device == y.device && x.inode == y.inode;
  std::error_code error_a, error_b;
  return std::filesystem::weakly_canonical(a, error_a) == std::filesystem::weakly_canonical(b, error_b);
}

void check_output_directory(const std::string& option, const std::string& path) {
  require(!path.empty(), option, "expected a folder name");
  require(path != data::kStandardOutput, option, "expected a folder name, got '-'");
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  require(!std::filesystem::exists(status) || std::filesystem::is_directory(status), option,
          path + " exists and is not a directory");
}

}  // namespace credence::cli

namespace credence::cli {

void add_memory_budget_option(CLI::App* command, int64_t& megabytes) {
  command
      ->add_option("--memory-budget", megabytes,
                   "Bound on the Monte Carlo working memory in MB (MiB): rows are predicted in chunks that fit, "
                   "with the same numbers whatever the budget")
      ->capture_default_str();
}

int64_t memory_budget_bytes(int64_t megabytes) {
  static_assert(kDefaultMemoryBudgetMb << 20 == predict::kDefaultMemoryBudget, "one default for the CLI and the library");
  require(megabytes > 0 && megabytes <= kMaxMemoryBudgetMb, "--memory-budget",
          "expected a positive number of megabytes (MiB) up to " + std::to_string(kMaxMemoryBudgetMb) + ", got " +
              std::to_string(megabytes));
  return megabytes << 20;
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

namespace {
std::vector<std::string>& remembered_command_line() {
  static std::vector<std::string> words;
  return words;
}
}  // namespace

void remember_command_line(int argc, const char* const* argv) {
  remembered_command_line().assign(argv, argv + argc);
}

const std::vector<std::string>& command_line() { return remembered_command_line(); }

}  // namespace credence::cli

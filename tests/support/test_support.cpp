// Test helpers: temporary directories, files and subprocesses.
#include "support/test_support.h"

#include "credence/core/rng.h"
#include "credence/data/idx_file.h"
#include "credence/nn/network_presets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>

namespace credence::testing {

TemporaryDirectory::TemporaryDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "credence-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  root_ = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::string TemporaryDirectory::path(const std::string& name) const { return root_ + "/" + name; }

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

void write_sine_csv(const std::string& path, int rows, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(-3.0, 3.0);
  std::normal_distribution<double> normal;
  std::ostringstream out;
  out << "a,b,y\n";
  for (int i = 0; i < rows; ++i) {
    const double a = uniform(rng), b = uniform(rng);
    out << a << "," << b << "," << std::sin(a) + 0.2 * b + 0.1 * normal(rng) << "\n";
  }
  write_text(path, out.str());
}

void write_half_images(const std::string& directory, int64_t side, int64_t axis, std::uint64_t seed,
                       const std::vector<std::string>& prefixes) {
  std::filesystem::create_directories(directory);
  auto g = core::make_generator(seed);
  for (const auto& prefix : prefixes) {
    auto images = at::rand({300, side, side}, g) * 60.0;
    for (int64_t i = 0; i < 300; ++i) images[i].slice(axis, (i % 2) * side / 2, (i % 2) * side / 2 + side / 2) += 190.0;
    data::write_idx(directory + "/" + prefix + "-images-idx3-ubyte.gz", images.clamp(0, 255).to(at::kByte), true);
    data::write_idx(directory + "/" + prefix + "-labels-idx1-ubyte.gz", (at::arange(300) % 2).to(at::kByte), true);
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool file_exists(const std::string& path) { return std::filesystem::exists(path); }

int count_lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

std::string error_message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

uint32_t crc32_of(const std::string& bytes) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::vector<std::string> folder_listing(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

// AddressSanitizer's runtime prints "==PID==WARNING: AddressSanitizer failed to allocate ..." when it
// refuses an allocation (allocator_may_return_null=1 makes it return null, which credence reports):
// the runtime's line, not the command's, so sanitizer runs leave it out of the captured stderr.
std::string without_sanitizer_allocation_warnings(const std::string& text) {
  std::string kept;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string::npos ? text.size() : end + 1;
    const auto line = text.substr(start, end - start);
    const bool warning = line.rfind("==", 0) == 0 && line.find("WARNING: AddressSanitizer failed to allocate") != std::string::npos;
    if (!warning) kept += line;
    start = end;
  }
  return kept;
}

}  // namespace

CommandResult run_command(const std::string& command_line) {
  TemporaryDirectory scratch;
  const std::string out_path = scratch.path("stdout");
  const std::string err_path = scratch.path("stderr");
  const std::string full = command_line + " > '" + out_path + "' 2> '" + err_path + "' < /dev/null";
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(out_path);
  result.err = without_sanitizer_allocation_warnings(read_text(err_path));
  return result;
}

CommandResult run_cli(const std::string& args) {
  return run_command(std::string("'") + CREDENCE_CLI + "' " + args);
}

void expect_cli_failure(const std::string& args, const std::string& message, const std::string& absent) {
  const auto result = run_cli(args);
  EXPECT_NE(result.exit_code, 0) << args;
  EXPECT_EQ(count_lines(result.err), 1) << result.err;
  EXPECT_EQ(result.err.rfind("credence: error: ", 0), 0u) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << "stderr: " << result.err << "expected: " << message;
  if (!absent.empty()) EXPECT_FALSE(file_exists(absent)) << absent;
}

void expect_cli_error(const std::string& args, const std::string& message, int exit_code, const std::string& absent) {
  const auto result = run_cli(args);
  EXPECT_EQ(result.exit_code, exit_code) << args << "\n" << result.err;
  EXPECT_EQ(result.err, "credence: error: " + message + "\n") << args;
  if (!absent.empty()) EXPECT_FALSE(file_exists(absent)) << absent;
}

void expect_moments(const at::Tensor& draws, const at::Tensor& exact_mean, const at::Tensor& exact_variance) {
  const double n = static_cast<double>(draws.size(0));
  auto mean = draws.mean(0);
  auto variance = draws.var(0);
  auto mean_error = ((mean - exact_mean).abs() / at::sqrt(exact_variance / n)).max().item<double>();
  auto variance_error = ((variance - exact_variance).abs() / (exact_variance * std::sqrt(2.0 / (n - 1)))).max().item<double>();
  EXPECT_LT(mean_error, 5.0);
  EXPECT_LT(variance_error, 5.0);
}

nn::Network seeded_network(const nn::NetworkSpec& spec, std::uint64_t seed) {
  nn::Network net(spec);
  net->set_generator(core::make_generator(seed));
  net->reset_parameters();
  return net;
}

nn::Network mlp_network(int64_t input, const std::vector<int64_t>& hidden, int64_t output,
                        const nn::MethodOptions& method, std::uint64_t seed, nn::ActivationKind activation) {
  return seeded_network(nn::apply_method(nn::mlp_spec(input, hidden, output, activation), method), seed);
}

nn::Network mlp_network(int64_t input, const std::vector<int64_t>& hidden, int64_t output, nn::Method method,
                        std::uint64_t seed) {
  return mlp_network(input, hidden, output, nn::MethodOptions().method(method), seed);
}

}  // namespace credence::testing

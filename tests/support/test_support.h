// Helpers shared by the tests: temporary directories and running the credence command.
#pragma once

#include "credence/nn/activation.h"
#include "credence/nn/method.h"
#include "credence/nn/network.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace credence::testing {

// Float64 tensors, for tests that compare against exact values.
inline const auto kDouble = at::TensorOptions().dtype(at::kDouble);

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
// A regression CSV "a,b,y" of `rows` rows: a, b uniform on [-3, 3], y = sin(a) + 0.2 b + N(0, 0.1^2),
// drawn from std::mt19937(seed).
void write_sine_csv(const std::string& path, int rows, unsigned seed);
// An IDX image folder of 300 images side x side per prefix ("train", "t10k"): a bright half (the
// top or bottom half for axis 0, the left or right half for axis 1, alternating: the label 0 or 1)
// on a dark noisy ground, pixels drawn from the seed.
void write_half_images(const std::string& directory, int64_t side, int64_t axis, std::uint64_t seed,
                       const std::vector<std::string>& prefixes = {"train", "t10k"});
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

// A multilayer perceptron of the method, its weights drawn from a generator seeded by `seed`.
nn::Network mlp_network(int64_t input, const std::vector<int64_t>& hidden, int64_t output,
                        const nn::MethodOptions& method, std::uint64_t seed = 0,
                        nn::ActivationKind activation = nn::ActivationKind::relu);
// The same for a method with its default settings.
nn::Network mlp_network(int64_t input, const std::vector<int64_t>& hidden, int64_t output, nn::Method method,
                        std::uint64_t seed = 0);
// A network of a complete spec, its weights drawn from a generator seeded by `seed`.
nn::Network seeded_network(const nn::NetworkSpec& spec, std::uint64_t seed);

// Checks independent draws [n, ...] against an exact mean and variance [...]: the mean within 5
// standard errors, the variance within 5 standard errors of a Gaussian sample variance
// (sd = var sqrt(2 / (n - 1))), at every element.
void expect_moments(const at::Tensor& draws, const at::Tensor& exact_mean, const at::Tensor& exact_variance);

}  // namespace credence::testing

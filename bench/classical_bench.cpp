// Times credence's classical models on data written by classical_bench.py, which times
// scikit-learn on the same data and prints the ratios. Output: one JSON object on stdout.
//
//   classical_bench DIR [--threads T] [--repeats R]
//
// DIR holds raw little-endian float64 files (numpy's tofile): gmm_x [20000, 10],
// gmm_weights [10], gmm_means [10, 10], gmm_covariances [10, 10, 10], blr_x [100000, 50],
// blr_y [100000], and shapes.json is not needed: the shapes are fixed by the script.
#include "credence/classical/bayesian_linear_regression.h"
#include "credence/classical/gaussian_mixture.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

at::Tensor read_raw(const std::string& path, std::vector<int64_t> shape) {
  int64_t count = 1;
  for (auto s : shape) count *= s;
  auto tensor = at::empty(shape, at::TensorOptions().dtype(at::kDouble));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (run classical_bench.py, which writes it)");
  in.read(static_cast<char*>(tensor.data_ptr()), count * static_cast<int64_t>(sizeof(double)));
  if (in.gcount() != count * static_cast<int64_t>(sizeof(double))) throw std::runtime_error(path + ": too short");
  return tensor;
}

template <typename F>
double median_seconds(int repeats, F&& run) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw std::invalid_argument("usage: classical_bench DIR [--threads T] [--repeats R] [--gmm-iter N]");
    const std::string dir = argv[1];
    int threads = 0;
    int repeats = 5;
    int gmm_iter = 100;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string flag = argv[i];
      if (flag == "--threads") threads = std::atoi(argv[i + 1]);
      else if (flag == "--repeats") repeats = std::atoi(argv[i + 1]);
      else if (flag == "--gmm-iter") gmm_iter = std::atoi(argv[i + 1]);
      else throw std::invalid_argument(flag + ": unknown option");
    }
    if (threads > 0) at::set_num_threads(threads);
    using namespace credence::classical;

    const auto x = read_raw(dir + "/gmm_x", {20000, 10});
    const auto start = GaussianMixture::from_parameters(read_raw(dir + "/gmm_weights", {10}), read_raw(dir + "/gmm_means", {10, 10}),
                                                        read_raw(dir + "/gmm_covariances", {10, 10, 10}), CovarianceType::full);
    // tol 0: exactly gmm_iter EM steps, as scikit-learn with max_iter=gmm_iter, tol=0.
    const auto options = GaussianMixtureOptions(10).max_iter(gmm_iter).tol(0.0);
    double gmm_score = 0.0;
    const double gmm_seconds = median_seconds(repeats, [&] { gmm_score = GaussianMixture::fit_from(x, start, options).average_log_likelihood(x); });

    const auto bx = read_raw(dir + "/blr_x", {100000, 50});
    const auto by = read_raw(dir + "/blr_y", {100000});
    BayesianLinearRegression blr;
    const double blr_seconds = median_seconds(repeats, [&] { blr = BayesianLinearRegression::fit(bx, by); });

    std::printf("{\"threads\": %d, \"gmm_seconds\": %.6f, \"gmm_score\": %.10f, \"gmm_iterations\": %d, "
                "\"blr_seconds\": %.6f, \"blr_n_iter\": %lld, \"blr_alpha\": %.10g, \"blr_beta\": %.10g}\n",
                at::get_num_threads(), gmm_seconds, gmm_score, gmm_iter, blr_seconds, static_cast<long long>(blr.n_iter), blr.alpha,
                blr.beta);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "classical_bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

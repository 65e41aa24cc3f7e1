// Times credence's classical models on data written by classical_bench.py, which times
// scikit-learn and pomegranate on the same data and prints the ratios. Output: one JSON object on stdout.
//
//   classical_bench DIR [--threads T] [--repeats R] [--gmm-iter N] [--cases gmm,blr,gp,hmm]
//                   [--gp-sizes 2000,5000] [--gp-iter N] [--hmm-iter N]
//
// DIR holds raw little-endian float64 files (numpy's tofile), shapes fixed by the script:
// gmm_x [20000, 10], gmm_weights [10], gmm_means [10, 10], gmm_covariances [10, 10, 10],
// blr_x [100000, 50], blr_y [100000]; gp_x_N [N, 3], gp_y_N [N] for each size N, gp_test [2000, 3];
// hmm_x [100000, 4] (10 sequences of 10,000), hmm_start [8], hmm_transition [8, 8], hmm_means [8, 4],
// hmm_covariances [8, 4, 4].
#include "credence/classical/bayesian_linear_regression.h"
#include "credence/classical/gaussian_mixture.h"
#include "credence/classical/gaussian_process.h"
#include "credence/classical/hidden_markov_model.h"
#include "credence/core/rng.h"

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

std::vector<int64_t> sizes_of(const std::string& text) {
  std::vector<int64_t> sizes;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    sizes.push_back(std::stoll(text.substr(begin, comma - begin)));
    begin = comma + 1;
  }
  return sizes;
}

bool has_case(const std::string& cases, const std::string& name) {
  return ("," + cases + ",").find("," + name + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw std::invalid_argument("usage: classical_bench DIR [--threads T] [--repeats R] [--gmm-iter N]");
    const std::string dir = argv[1];
    int threads = 0;
    int repeats = 5;
    int gmm_iter = 100, gp_iter = 30, hmm_iter = 10;
    std::string cases = "gmm,blr", gp_sizes = "2000,5000";
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string flag = argv[i];
      if (flag == "--threads") threads = std::atoi(argv[i + 1]);
      else if (flag == "--repeats") repeats = std::atoi(argv[i + 1]);
      else if (flag == "--gmm-iter") gmm_iter = std::atoi(argv[i + 1]);
      else if (flag == "--cases") cases = argv[i + 1];
      else if (flag == "--gp-sizes") gp_sizes = argv[i + 1];
      else if (flag == "--gp-iter") gp_iter = std::atoi(argv[i + 1]);
      else if (flag == "--hmm-iter") hmm_iter = std::atoi(argv[i + 1]);
      else throw std::invalid_argument(flag + ": unknown option");
    }
    if (threads > 0) at::set_num_threads(threads);
    using namespace credence::classical;
    std::string report = "\"threads\": " + std::to_string(at::get_num_threads());
    char buffer[512];

    if (has_case(cases, "gmm")) {
      const auto x = read_raw(dir + "/gmm_x", {20000, 10});
      const auto start = GaussianMixture::from_parameters(read_raw(dir + "/gmm_weights", {10}), read_raw(dir + "/gmm_means", {10, 10}),
                                                          read_raw(dir + "/gmm_covariances", {10, 10, 10}), CovarianceType::full);
      // tol 0: exactly gmm_iter EM steps, as scikit-learn with max_iter=gmm_iter, tol=0.
      const auto options = GaussianMixtureOptions(10).max_iter(gmm_iter).tol(0.0);
      double gmm_score = 0.0;
      const double gmm_seconds =
          median_seconds(repeats, [&] { gmm_score = GaussianMixture::fit_from(x, start, options).average_log_likelihood(x); });
      std::snprintf(buffer, sizeof buffer, ", \"gmm_seconds\": %.6f, \"gmm_score\": %.10f, \"gmm_iterations\": %d", gmm_seconds,
                    gmm_score, gmm_iter);
      report += buffer;
    }
    if (has_case(cases, "blr")) {
      const auto bx = read_raw(dir + "/blr_x", {100000, 50});
      const auto by = read_raw(dir + "/blr_y", {100000});
      BayesianLinearRegression blr;
      const double blr_seconds = median_seconds(repeats, [&] { blr = BayesianLinearRegression::fit(bx, by); });
      std::snprintf(buffer, sizeof buffer, ", \"blr_seconds\": %.6f, \"blr_n_iter\": %lld, \"blr_alpha\": %.10g, \"blr_beta\": %.10g",
                    blr_seconds, static_cast<long long>(blr.n_iter), blr.alpha, blr.beta);
      report += buffer;
    }
    if (has_case(cases, "gp")) {
      // RBF (with its variance) + white noise from all-ones, gp_iter L-BFGS iterations in
      // scikit-learn's bounds, no restarts; then the mean and standard deviation of 2000 rows.
      const auto test = read_raw(dir + "/gp_test", {2000, 3});
      const auto kernel = Kernel::parse("rbf+white");
      std::string entries;
      for (const int64_t n : sizes_of(gp_sizes)) {
        const auto x = read_raw(dir + "/gp_x_" + std::to_string(n), {n, 3});
        const auto y = read_raw(dir + "/gp_y_" + std::to_string(n), {n});
        GaussianProcessRegression model;
        const double fit_seconds = median_seconds(repeats, [&] {
          auto generator = credence::core::make_generator(0);
          model = GaussianProcessRegression::fit(x, y, kernel, GaussianProcessOptions().max_iter(gp_iter), generator);
        });
        RegressionPrediction prediction;
        const double predict_seconds = median_seconds(repeats, [&] { prediction = model.predict(test); });
        std::snprintf(buffer, sizeof buffer,
                      "%s\"%lld\": {\"fit_seconds\": %.6f, \"predict_seconds\": %.6f, \"lml\": %.10f, \"iterations\": %lld, "
                      "\"evaluations\": %lld, \"kernel\": \"%s\", \"mean_std\": %.10f}",
                      entries.empty() ? "" : ", ", static_cast<long long>(n), fit_seconds, predict_seconds, model.log_marginal_likelihood,
                      static_cast<long long>(model.n_iter), static_cast<long long>(model.n_evaluations), model.kernel.to_string().c_str(),
                      prediction.variance().sqrt().mean().item<double>());
        entries += buffer;
      }
      report += ", \"gp\": {" + entries + "}";
    }
    if (has_case(cases, "hmm")) {
      // Baum-Welch from the same start: hmm_iter steps (tol 0, no covariance floor, as pomegranate).
      const auto x = read_raw(dir + "/hmm_x", {100000, 4});
      const auto start = HiddenMarkovModel::gaussian(read_raw(dir + "/hmm_start", {8}), read_raw(dir + "/hmm_transition", {8, 8}),
                                                     read_raw(dir + "/hmm_means", {8, 4}), read_raw(dir + "/hmm_covariances", {8, 4, 4}),
                                                     CovarianceType::full);
      const std::vector<int64_t> lengths(10, 10000);
      const auto options = HiddenMarkovModelOptions(8).max_iter(hmm_iter).tol(0.0).reg_covar(0.0);
      HiddenMarkovModel fitted;
      const double seconds = median_seconds(repeats, [&] { fitted = HiddenMarkovModel::fit_from(x, lengths, start, options); });
      std::snprintf(buffer, sizeof buffer,
                    ", \"hmm_seconds\": %.6f, \"hmm_iterations\": %d, \"hmm_log_likelihood\": %.10f", seconds, hmm_iter,
                    fitted.log_likelihood(x, lengths));
      report += buffer;
    }
    std::printf("{%s}\n", report.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "classical_bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

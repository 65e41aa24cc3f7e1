// Gaussian processes on the UCI regression protocol (the fixed splits of Hernandez-Lobato &
// Adams 2015, as `credence bench uci` runs the networks): for each split, inputs and target
// standardised on the training rows, the kernel's hyper-parameters by the log marginal
// likelihood of the training rows (exact GP) or the evidence lower bound (sparse GP), and the
// test RMSE and log-likelihood in the target's units. Not a test: a timed run whose figures go
// into bench/results/uci.md.
//
//   gp_uci DATASET_DIR [--kernel 'rbf(ard)+white'] [--inducing M] [--restarts R] [--max-iter N]
//          [--splits N | --split K] [--threads T] [--seed S] [--out SPLITS.csv] [--verbose 1]
#include "credence/classical/gaussian_process.h"
#include "credence/classical/sparse_gaussian_process.h"
#include "credence/core/rng.h"
#include "credence/data/uci_dataset.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Settings {
  std::string directory, kernel = "rbf(ard)+white", out;
  int64_t inducing = 0, restarts = 0, max_iter = 200, splits = 0, only = -1;
  int threads = 1;
  std::uint64_t seed = 0;
  bool verbose = false;
};

Settings parse(int argc, char** argv) {
  if (argc < 2) throw std::invalid_argument("usage: gp_uci DATASET_DIR [--kernel K] [--inducing M] [--restarts R] [--max-iter N] [--splits N | --split K] [--threads T] [--seed S] [--out F]");
  Settings s;
  s.directory = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--kernel") s.kernel = value;
    else if (flag == "--inducing") s.inducing = std::stoll(value);
    else if (flag == "--restarts") s.restarts = std::stoll(value);
    else if (flag == "--max-iter") s.max_iter = std::stoll(value);
    else if (flag == "--splits") s.splits = std::stoll(value);
    else if (flag == "--split") s.only = std::stoll(value);
    else if (flag == "--threads") s.threads = std::stoi(value);
    else if (flag == "--seed") s.seed = std::stoull(value);
    else if (flag == "--out") s.out = value;
    else if (flag == "--verbose") s.verbose = value == "1";
    else throw std::invalid_argument(flag + ": unknown option");
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto s = parse(argc, argv);
    at::set_num_threads(s.threads);
    using namespace credence;
    const auto dataset = data::read_uci_dataset(s.directory);
    const auto kernel = classical::Kernel::parse(s.kernel);
    const auto inputs = dataset.values.index_select(1, at::tensor(dataset.feature_columns, at::TensorOptions().dtype(at::kLong)));
    const auto targets = dataset.values.select(1, dataset.target_column);
    const int64_t splits = s.only >= 0 ? dataset.splits : s.splits > 0 ? std::min(s.splits, dataset.splits) : dataset.splits;
    std::ofstream out;
    if (!s.out.empty()) {
      out.open(s.out);
      out << "split,rmse,log_likelihood,seconds,train_objective,iterations,at_bounds\n";
    }
    std::vector<double> rmses, lls;
    double total_seconds = 0.0;
    for (int64_t k = 0; k < splits; ++k) {
      if (s.only >= 0 && k != s.only) continue;
      const auto split = dataset.split(k);
      const auto x = inputs.index_select(0, split.train_rows), xt = inputs.index_select(0, split.test_rows);
      const auto y = targets.index_select(0, split.train_rows), yt = targets.index_select(0, split.test_rows);
      auto generator = core::make_generator(s.seed + static_cast<std::uint64_t>(k));
      const auto start = std::chrono::steady_clock::now();
      classical::RegressionPrediction prediction;
      double objective = 0.0;
      int64_t iterations = 0;
      classical::Kernel fitted;
      if (s.inducing > 0) {
        const auto model = classical::SparseGaussianProcessRegression::fit(
            x, y, kernel,
            classical::SparseGaussianProcessOptions(s.inducing).max_iter(s.max_iter).normalise_inputs(true).normalise_target(true),
            generator);
        prediction = model.predict(xt);
        objective = model.bound;
        iterations = model.n_iter;
        fitted = model.kernel;
      } else {
        const auto model = classical::GaussianProcessRegression::fit(
            x, y, kernel,
            classical::GaussianProcessOptions().restarts(s.restarts).max_iter(s.max_iter).normalise_inputs(true).normalise_target(true),
            generator);
        prediction = model.predict(xt);
        objective = model.log_marginal_likelihood;
        iterations = model.n_iter;
        fitted = model.kernel;
      }
      std::string at_bounds;
      for (const auto& note : classical::parameters_at_bounds(fitted, 1e-5, 1e5)) at_bounds += (at_bounds.empty() ? "" : "; ") + note;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const auto variance = prediction.variance();
      const auto error = yt - prediction.mean;
      const double rmse = error.pow(2).mean().sqrt().item<double>();
      const double ll = (-0.5 * (variance.log() + error.pow(2) / variance + std::log(2.0 * M_PI))).mean().item<double>();
      rmses.push_back(rmse);
      lls.push_back(ll);
      total_seconds += seconds;
      std::printf("split %2lld: rmse %.4f  log-likelihood %.4f  %.1f s  (train %s %.3f, %lld iterations)\n", static_cast<long long>(k), rmse,
                  ll, seconds, s.inducing > 0 ? "bound" : "LML", objective, static_cast<long long>(iterations));
      if (s.verbose) std::printf("  kernel %s%s%s\n", fitted.to_string().c_str(), at_bounds.empty() ? "" : "\n  at bounds: ", at_bounds.c_str());
      std::fflush(stdout);
      if (out) out << k << "," << rmse << "," << ll << "," << seconds << "," << objective << "," << iterations << ",\"" << at_bounds << "\"\n";
    }
    auto summary = [](const std::vector<double>& v) {
      double mean = 0.0, square = 0.0;
      for (double x : v) mean += x / static_cast<double>(v.size());
      for (double x : v) square += (x - mean) * (x - mean);
      const double sd = v.size() > 1 ? std::sqrt(square / static_cast<double>(v.size() - 1)) : 0.0;
      return std::make_pair(mean, sd / std::sqrt(static_cast<double>(v.size())));
    };
    const auto [rmse, rmse_se] = summary(rmses);
    const auto [ll, ll_se] = summary(lls);
    std::printf("%s: %zu splits, kernel %s%s, rmse %.4f +- %.4f, log-likelihood %.4f +- %.4f, %.0f s in all (%d thread%s)\n",
                s.directory.c_str(), rmses.size(), s.kernel.c_str(),
                s.inducing > 0 ? (", " + std::to_string(s.inducing) + " inducing points").c_str() : "", rmse, rmse_se, ll, ll_se,
                total_seconds, s.threads, s.threads == 1 ? "" : "s");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gp_uci: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

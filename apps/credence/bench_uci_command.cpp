// `credence bench uci`: the UCI regression protocol (Hernandez-Lobato & Adams 2015) on one data
// set: per split, choose hyper-parameters on the last 20% of the training rows, retrain on all of
// them, and score the test rows; report mean and standard error over the splits.
#include "cli_support.h"
#include "commands.h"
#include "distributed_arguments.h"
#include "network_arguments.h"

#include "credence/core/rng.h"
#include "credence/data/atomic_file.h"
#include "credence/data/uci_dataset.h"
#include "credence/metrics/summary.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/posterior_method.h"
#include "credence/workflow/regression_prediction.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

namespace credence::cli {

namespace {

struct BenchUciArguments {
  std::string dataset, method = "mcdropout", splits = "all", out, hidden, lr_schedule = "constant";
  std::string epochs = "0";
  int64_t samples = 100, batch_size = 32;
  int jobs = 1;
  double lr = 1e-3, sampler_lr = 0.0;
  std::uint64_t seed = 0;
  bool quiet = false, autograd = false;
  DistributedArguments distributed;
};

// One candidate setting of the method's hyper-parameters.
struct Candidate {
  std::string name;
  workflow::RegressionFitOptions options;
};

// Deep ensembles (Lakshminarayanan et al. 2017): deterministic members with a heteroscedastic
// Gaussian likelihood, trained independently, predicting the mixture of their Gaussians.
constexpr int64_t kEnsembleMembers = 5;

// The method's hyper-parameter grid at one epoch count.
std::vector<Candidate> method_candidates(const BenchUciArguments& a, const data::UciDataset& d, int64_t epochs) {
  const bool ensemble = a.method == "ensemble", posterior = workflow::is_posterior_method(a.method);
  const auto method =
      ensemble || posterior ? nn::Method::deterministic : parse_choice("--method", a.method, nn::method_from_string);
  std::vector<int64_t> hidden{d.hidden};
  if (!a.hidden.empty()) hidden = parse_hidden(a.hidden);
  auto network = nn::NetworkOptions().hidden(hidden).method(nn::MethodOptions().method(method));
  auto base = workflow::RegressionFitOptions()
                  .network(network)
                  .training(inference::TrainOptions()
                                .epochs(epochs)
                                .batch_size(a.batch_size)
                                .learning_rate(a.lr)
                                .learning_rate_schedule(parse_choice("--lr-schedule", a.lr_schedule,
                                                                     inference::learning_rate_schedule_from_string))
                                .fused(!a.autograd));
  auto with_method = [&](const nn::MethodOptions& m) {
    auto o = base;
    o.network(nn::NetworkOptions(network).method(m));
    return o;
  };
  std::vector<Candidate> out;
  if (posterior) {
    // One setting: the method's defaults (docs/laplace.md, docs/sampling.md), the epoch count as
    // the deterministic training before Laplace, or SWAG's pretraining (its own SGD step).
    auto o = base;
    o.posterior(a.method);
    if (a.method == "swag") o.swag(inference::SwagOptions().pretrain_epochs(epochs).batch_size(a.batch_size));
    if (a.sampler_lr > 0.0) {
      o.sg_mcmc(inference::SgMcmcOptions(o.sg_mcmc()).learning_rate(a.sampler_lr));
      o.svgd(inference::SvgdOptions(o.svgd()).learning_rate(a.sampler_lr));
    }
    out.push_back({"defaults", o});
  } else if (ensemble) {
    for (double wd : {0.0, 1e-4}) {
      auto o = base;
      o.noise(inference::NoiseModel::heteroscedastic).members(kEnsembleMembers);
      o.training(base.training().weight_decay(wd));
      out.push_back({wd == 0.0 ? "weight_decay=0" : "weight_decay=1e-4", o});
    }
  } else if (method == nn::Method::mcdropout) {
    for (double p : {0.005, 0.01, 0.05, 0.1}) {
      out.push_back({"dropout=" + std::to_string(p).substr(0, 5), with_method(network.method().dropout(p))});
    }
  } else if (method == nn::Method::bbb) {
    for (double s : {0.5, 1.0}) {
      out.push_back({"prior_sigma=" + std::to_string(s).substr(0, 3),
                     with_method(network.method().prior(core::PriorOptions().sigma(s)))});
    }
  } else {
    for (double wd : {0.0, 1e-4}) {
      auto o = base;
      o.training(base.training().weight_decay(wd));
      out.push_back({wd == 0.0 ? "weight_decay=0" : "weight_decay=1e-4", o});
    }
  }
  return out;
}

// The epoch counts to try: --epochs is one number or a comma-separated list (0: n_epochs.txt).
std::vector<int64_t> epoch_grid(const BenchUciArguments& a, const data::UciDataset& d) {
  std::vector<int64_t> out;
  for (const auto& part : split_list(a.epochs)) {
    int64_t value = -1;
    try {
      size_t used = 0;
      value = std::stoll(part, &used);
      if (used != part.size()) value = -1;
    } catch (const std::exception&) {
      value = -1;
    }
    require(value >= 0, "--epochs", "expected non-negative epoch counts separated by commas (0: the data set's n_epochs.txt), got '" + a.epochs + "'");
    out.push_back(value > 0 ? value : d.epochs);
  }
  require(!out.empty(), "--epochs", "expected at least one epoch count");
  return out;
}

std::vector<Candidate> candidates(const BenchUciArguments& a, const data::UciDataset& d) {
  const auto epochs = epoch_grid(a, d);
  std::vector<Candidate> out;
  for (int64_t e : epochs) {
    for (auto candidate : method_candidates(a, d, e)) {
      if (epochs.size() > 1) candidate.name = "epochs=" + std::to_string(e) + "," + candidate.name;
      out.push_back(candidate);
    }
  }
  return out;
}

struct SplitScore {
  double rmse = 0.0, log_likelihood = 0.0;
};

// Trains the candidate (each member from its own seed) and scores the predictive mixture of all draws.
SplitScore fit_and_score(const at::Tensor& x_train, const at::Tensor& y_train, const at::Tensor& x_test,
                         const at::Tensor& y_test, const Candidate& candidate, int64_t samples, std::uint64_t seed) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < x_train.size(1); ++i) names.push_back("x" + std::to_string(i));
  auto options = candidate.options;
  options.seed(seed);
  auto fit = workflow::fit_regression(x_train, y_train, names, "y", options);
  const auto scores = workflow::regression_scores(workflow::predict_regression(fit.model, x_test, samples, 0.95, seed + 1, y_test), y_test);
  return {scores.at("rmse").get<double>(), -scores.at("nll").get<double>()};
}

struct SplitResult {
  int64_t split = 0;
  std::string chosen;
  SplitScore test;
  double seconds = 0.0;
};

SplitResult run_split(const data::UciDataset& d, int64_t k, const std::vector<Candidate>& grid, int64_t samples,
                      std::uint64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  auto split = d.split(k);
  auto x = d.inputs(), y = d.targets();
  auto x_train = x.index_select(0, split.train_rows), y_train = y.index_select(0, split.train_rows);
  // Model selection sees only the training rows: the last 20% of them validate.
  const int64_t n = x_train.size(0);
  const int64_t fit_rows = n - std::max<int64_t>(1, n / 5);
  const std::uint64_t split_seed = seed + 1000 * static_cast<std::uint64_t>(k);
  size_t best = 0;
  double best_log_likelihood = -std::numeric_limits<double>::infinity();
  if (grid.size() > 1) {
    for (size_t c = 0; c < grid.size(); ++c) {
      auto score = fit_and_score(x_train.slice(0, 0, fit_rows), y_train.slice(0, 0, fit_rows), x_train.slice(0, fit_rows),
                                 y_train.slice(0, fit_rows), grid[c], samples, split_seed);
      if (score.log_likelihood > best_log_likelihood) best_log_likelihood = score.log_likelihood, best = c;
    }
  }
  SplitResult result;
  result.split = k;
  result.chosen = grid[best].name;
  result.test = fit_and_score(x_train, y_train, x.index_select(0, split.test_rows), y.index_select(0, split.test_rows),
                              grid[best], samples, split_seed);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void run_bench_uci(const BenchUciArguments& a) {
  if (!a.out.empty()) check_output("--out", a.out, {{"--dataset", a.dataset}});
  require(a.jobs >= 1, "--jobs", "expected at least 1");
  require(a.samples > 0, "--samples", "expected a positive number of samples");
  require(a.sampler_lr >= 0.0 && std::isfinite(a.sampler_lr), "--sampler-lr", "expected a positive step");
  if (a.method != "ensemble" && !workflow::is_posterior_method(a.method)) {
    parse_choice("--method", a.method, nn::method_from_string);
  }
  auto d = data::read_uci_dataset(a.dataset);
  int64_t count = d.splits;
  if (a.splits != "all") {
    try {
      count = std::stoll(a.splits);
    } catch (const std::exception&) {
      count = 0;
    }
    require(count >= 1 && count <= d.splits, "--splits",
            "expected all or a number in 1.." + std::to_string(d.splits) + ", got '" + a.splits + "'");
  }
  const auto grid = candidates(a, d);
  // In a job (--nproc, torchrun) rank r runs the splits k with k mod W = r; rank 0 reports.
  const auto job = join_job(a.distributed);
  const int64_t ranks = job ? job->size() : 1, rank = job ? job->rank() : 0;
  std::vector<SplitResult> results(static_cast<size_t>(count));
  std::vector<std::string> errors(static_cast<size_t>(count));
  std::atomic<int64_t> next{0}, done{0};
  std::mutex progress_mutex;
  // One intra-op thread per split, whatever --jobs is: the figures then do not depend on it.
  auto worker = [&] {
    at::set_num_threads(1);
    for (int64_t k = next++; k < count; k = next++) {
      if (k % ranks != rank) continue;
      try {
        results[static_cast<size_t>(k)] = run_split(d, k, grid, a.samples, a.seed);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(k)] = "split " + std::to_string(k) + ": " + one_line(e.what());
      }
      const int64_t finished = ++done;
      if (!a.quiet && rank == 0) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        std::cerr << "\rsplits " << finished << "/" << count << std::flush;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::min<int64_t>(a.jobs, count); ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (!a.quiet && rank == 0) std::cerr << "\n";
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
  if (job) {
    // Each split's figures from the rank that ran it (zeros from the others), summed into place.
    std::vector<double> figures;
    for (int64_t k = 0; k < count; ++k) {
      const auto& r = results[static_cast<size_t>(k)];
      size_t chosen = 0;
      while (chosen < grid.size() && grid[chosen].name != r.chosen) ++chosen;
      const bool here = k % ranks == rank;
      figures.insert(figures.end(), {here ? r.test.rmse : 0.0, here ? r.test.log_likelihood : 0.0, here ? r.seconds : 0.0,
                                     here ? static_cast<double>(chosen) : 0.0});
    }
    figures = job->sum(figures);
    for (int64_t k = 0; k < count; ++k) {
      auto& r = results[static_cast<size_t>(k)];
      const double* f = figures.data() + 4 * k;
      r.split = k;
      r.test = {f[0], f[1]};
      r.seconds = f[2];
      r.chosen = grid[static_cast<size_t>(f[3])].name;
    }
    if (rank != 0) return;
  }

  std::vector<double> rmse, log_likelihood;
  std::ostringstream csv;
  csv << "split,rmse,log_likelihood,chosen,seconds\n";
  for (const auto& r : results) {
    rmse.push_back(r.test.rmse);
    log_likelihood.push_back(r.test.log_likelihood);
    char line[256];
    std::snprintf(line, sizeof line, "%lld,%.9g,%.9g,%s,%.3f\n", static_cast<long long>(r.split), r.test.rmse,
                  r.test.log_likelihood, r.chosen.c_str(), r.seconds);
    csv << line;
  }
  if (!a.out.empty()) data::write_file_atomically(a.out, csv.str());
  auto r = metrics::mean_and_standard_error(rmse);
  auto l = metrics::mean_and_standard_error(log_likelihood);
  std::printf("%-28s %-14s %7s %18s %18s\n", "dataset", "method", "splits", "rmse", "log_likelihood");
  std::printf("%-28s %-14s %7lld %9.3f +- %5.3f %9.3f +- %5.3f\n", d.directory.substr(d.directory.find_last_of('/') + 1).c_str(),
              a.method.c_str(), static_cast<long long>(count), r.mean, r.standard_error, l.mean, l.standard_error);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Run a published benchmark protocol");
  bench->require_subcommand(1);
  auto args = std::make_shared<BenchUciArguments>();
  auto* c = bench->add_subcommand("uci", "The UCI regression protocol with its fixed splits (one data set folder)");
  c->add_option("--dataset", args->dataset, "A folder of ../shared/data/uci (data.txt, index_*.txt, n_*.txt)")->required();
  c->add_option("--method", args->method,
                "bbb | mcdropout | deterministic | ensemble (5 heteroscedastic networks) | laplace | swag | hmc | sgld | psgld | "
                "sghmc | psghmc | svgd (their defaults)")
      ->capture_default_str();
  c->add_option("--splits", args->splits, "all, or the first N splits")->capture_default_str();
  c->add_option("--jobs", args->jobs, "Splits run in parallel (one thread each; figures do not change)")->capture_default_str();
  c->add_option("--epochs", args->epochs, "Training epochs, or a comma-separated list chosen from per split like the other hyper-parameters (0: the folder's n_epochs.txt)")->capture_default_str();
  c->add_option("--hidden", args->hidden, "Hidden layer sizes (default: one layer of n_hidden.txt units)");
  c->add_option("--batch-size", args->batch_size, "Minibatch size")->capture_default_str();
  c->add_option("--lr", args->lr, "Adam learning rate")->capture_default_str();
  c->add_option("--lr-schedule", args->lr_schedule, "constant | cosine")->capture_default_str();
  c->add_option("--sampler-lr", args->sampler_lr, "sgld, psgld, sghmc, psghmc, svgd: the sampler's peak step (default: the method's own)");
  c->add_flag("--autograd", args->autograd, "Train with LibTorch autograd instead of the hand-written step");
  c->add_option("--samples", args->samples, "Monte Carlo samples per test row")->capture_default_str();
  c->add_option("--seed", args->seed, "Base seed (split k uses seed + 1000 k)")->capture_default_str();
  c->add_option("--out", args->out, "CSV with one row per split");
  c->add_flag("--quiet", args->quiet, "No progress");
  add_distributed_options(c, args->distributed);
  c->callback([args] { run_bench_uci(*args); });
}

}  // namespace credence::cli

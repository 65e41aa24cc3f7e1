// Sampled posteriors (docs/sampling.md), recorded in bench/results/sampling.md:
//   gap METHOD:  the in-between ratio on data::make_gap_regression, mean epistemic std in the gap
//                (|x| <= 0.5) over that inside the data (1 <= |x| <= 4), on a grid of 281 points in
//                [-7, 7], for seeds --seeds A-B, with the sampler's speed;
//   uci METHOD:  one split of a UCI folder (--data DIR --split K): test RMSE and NLL, and the speed;
//   svgd-cost:   SVGD with P particles against P deterministic networks trained for the same epochs
//                on the same data (one run, the ratio of wall times);
//   agreement:   one split of a UCI folder: HMC (the reference) and each method of --methods on the
//                same training rows; per method, over the test rows, the mean absolute difference of
//                predictive means in units of HMC's predictive standard deviation, and the ratio of
//                predictive standard deviations (median and mean), with test RMSE and NLL.
// Usage: sampling_bench gap|uci|svgd-cost|agreement [METHOD] [--threads T] [--seeds A-B] [--points N]
//        [--hidden H] [--warmup W] [--draws D] [--chains C] [--max-tree-depth T] [--data DIR] [--split K] [--particles P]
//        [--methods a,b,...] [--train-epochs E]
#include "bench_support.h"
#include "credence/core/rng.h"
#include "credence/data/synthetic.h"
#include "credence/data/uci_dataset.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/regression_prediction.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

using namespace credence;

namespace {

struct Arguments {
  std::string mode, method = "hmc", data = "../shared/data/uci/yacht",
                    methods = "ensemble,laplace,swag,bbb,mcdropout,sgld,psgld,sghmc,psghmc,svgd";
  int threads = 1;
  int64_t first_seed = 1, last_seed = 10, points = 200, hidden = 50, warmup = 500, draws = 500, chains = 4, split = 0,
          particles = 20, epochs = 500, max_tree_depth = 10, train_epochs = 400;
};

Arguments parse(int argc, char** argv) {
  Arguments a;
  if (argc < 2) throw std::invalid_argument("usage: sampling_bench gap|uci|svgd-cost|agreement [METHOD] [options]");
  a.mode = argv[1];
  int i = 2;
  if (i < argc && argv[i][0] != '-') a.method = argv[i++];
  for (; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") a.threads = std::stoi(v);
    else if (k == "--seeds") {
      a.first_seed = std::stoll(v.substr(0, v.find('-')));
      a.last_seed = std::stoll(v.substr(v.find('-') + 1));
    } else if (k == "--points") a.points = std::stoll(v);
    else if (k == "--hidden") a.hidden = std::stoll(v);
    else if (k == "--warmup") a.warmup = std::stoll(v);
    else if (k == "--draws") a.draws = std::stoll(v);
    else if (k == "--chains") a.chains = std::stoll(v);
    else if (k == "--data") a.data = v;
    else if (k == "--split") a.split = std::stoll(v);
    else if (k == "--particles") a.particles = std::stoll(v);
    else if (k == "--epochs") a.epochs = std::stoll(v);
    else if (k == "--max-tree-depth") a.max_tree_depth = std::stoll(v);
    else if (k == "--methods") a.methods = v;
    else if (k == "--train-epochs") a.train_epochs = std::stoll(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  return a;
}

workflow::RegressionFitOptions fit_options(const Arguments& a, std::uint64_t seed, int64_t rows) {
  auto options = workflow::RegressionFitOptions()
                     .network(nn::NetworkOptions().hidden({a.hidden}).method(nn::MethodOptions().method(nn::Method::deterministic)))
                     .posterior(a.method)
                     .seed(seed)
                     .training(inference::TrainOptions().progress(nullptr))
                     .hmc(inference::HmcOptions().chains(a.chains).nuts(inference::NutsOptions().warmup(a.warmup).draws(a.draws).max_tree_depth(a.max_tree_depth)));
  // SG-MCMC and SVGD: about the same number of epochs over the data, batches of 32.
  options.sg_mcmc(inference::SgMcmcOptions().cycles(10).epochs_per_cycle(std::max<int64_t>(20, 20000 / std::max<int64_t>(rows, 1))));
  options.svgd(inference::SvgdOptions().particles(a.particles).epochs(a.epochs));
  return options;
}

double masked_mean(const at::Tensor& values, const at::Tensor& mask) {
  return values.masked_select(mask).to(at::kDouble).mean().item<double>();
}

void run_gap(const Arguments& a) {
  int at_least_two = 0;
  for (int64_t seed = a.first_seed; seed <= a.last_seed; ++seed) {
    auto generator = core::make_generator(static_cast<std::uint64_t>(seed));
    auto problem = data::make_gap_regression(a.points, generator);
    const auto started = std::chrono::steady_clock::now();
    auto fit = workflow::fit_regression(problem.x, problem.y, {"x"}, "y", fit_options(a, static_cast<std::uint64_t>(seed), a.points));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto grid = at::linspace(-7.0, 7.0, 281).unsqueeze(1);
    auto draws = workflow::sample_regression(fit.model, grid, predict::PredictOptions().samples(1));
    auto u = predict::split_uncertainty(draws);
    auto x = grid.squeeze(1);
    auto epistemic = at::sqrt(u.epistemic_variance);
    const double gap = masked_mean(epistemic, x.abs() <= 0.5);
    const double inside = masked_mean(epistemic, (x.abs() >= 1.0).logical_and(x.abs() <= 4.0));
    if (gap / inside >= 2.0) ++at_least_two;
    std::printf("gap %s seed %lld: epistemic std gap %.4f inside %.4f ratio %.3f, %.1f s\n", a.method.c_str(),
                static_cast<long long>(seed), gap, inside, gap / inside, seconds);
    std::cout << fit.posterior_report << std::flush;
  }
  std::printf("gap %s: ratio >= 2 on %d of %lld seeds\n", a.method.c_str(), at_least_two,
              static_cast<long long>(a.last_seed - a.first_seed + 1));
}

// Split --split of the UCI folder --data, with feature names x0, x1, ...
struct UciSplit {
  at::Tensor train_x, train_y, test_x, test_y;
  std::vector<std::string> names;
};

UciSplit read_split(const Arguments& a) {
  auto set = data::read_uci_dataset(a.data);
  auto rows = set.split(a.split);
  auto inputs = set.inputs(), targets = set.targets();
  UciSplit u{inputs.index_select(0, rows.train_rows), targets.index_select(0, rows.train_rows),
             inputs.index_select(0, rows.test_rows), targets.index_select(0, rows.test_rows), {}};
  for (int64_t k = 0; k < inputs.size(1); ++k) u.names.push_back("x" + std::to_string(k));
  return u;
}

void run_uci(const Arguments& a) {
  const auto [train_x, train_y, test_x, test_y, names] = read_split(a);
  const auto started = std::chrono::steady_clock::now();
  auto fit = workflow::fit_regression(train_x, train_y, names, "y", fit_options(a, 0, train_x.size(0)));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto prediction = workflow::predict_regression(fit.model, test_x, 1, 0.95, 0, test_y);
  auto scores = workflow::regression_scores(prediction, test_y);
  std::printf("uci %s %s split %lld: rmse %.4f nll %.4f, %.1f s\n", a.data.c_str(), a.method.c_str(),
              static_cast<long long>(a.split), scores["rmse"].get<double>(), scores["nll"].get<double>(), seconds);
  std::cout << fit.posterior_report << std::flush;
}

void run_svgd_cost(const Arguments& a) {
  auto generator = core::make_generator(1);
  auto problem = data::make_gap_regression(a.points, generator);
  auto svgd = fit_options(a, 1, a.points).posterior("svgd");
  svgd.svgd(svgd.svgd().epochs(a.epochs).batch_size(32));
  auto deterministic = workflow::RegressionFitOptions()
                           .network(svgd.network())
                           .members(a.particles)
                           .seed(1)
                           .training(inference::TrainOptions().epochs(a.epochs).batch_size(32).learning_rate(1e-2).progress(nullptr));
  auto time = [&](const workflow::RegressionFitOptions& o) {
    const auto started = std::chrono::steady_clock::now();
    workflow::fit_regression(problem.x, problem.y, {"x"}, "y", o);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const double deterministic_seconds = time(deterministic);
  const double svgd_seconds = time(svgd);
  auto autograd = deterministic;
  autograd.training(autograd.training().fused(false));
  const double autograd_seconds = time(autograd);
  std::printf("svgd-cost: P = %lld, %lld epochs of %lld rows, batch 32: svgd %.2f s, %lld deterministic networks %.2f s "
              "(fused step) / %.2f s (autograd): ratio %.2f / %.2f\n",
              static_cast<long long>(a.particles), static_cast<long long>(a.epochs), static_cast<long long>(a.points), svgd_seconds,
              static_cast<long long>(a.particles), deterministic_seconds, autograd_seconds, svgd_seconds / deterministic_seconds,
              svgd_seconds / autograd_seconds);
}

// The options of one method of the agreement table on `rows` training rows: the posterior methods
// at their defaults, the trained ones (and Laplace's and SWAG's starting network) for
// --train-epochs of Adam at 0.01, batch 32.
workflow::RegressionFitOptions agreement_options(const Arguments& a, const std::string& method, int64_t rows) {
  auto o = fit_options(a, 1, rows);
  o.training(inference::TrainOptions().epochs(a.train_epochs).batch_size(32).learning_rate(1e-2).progress(nullptr));
  if (method == "ensemble") {
    o.posterior("").members(5).noise(inference::NoiseModel::heteroscedastic);
  } else if (method == "bbb" || method == "mcdropout") {
    o.posterior("").network(nn::NetworkOptions(o.network()).method(nn::MethodOptions().method(nn::method_from_string(method))));
  } else {
    o.posterior(method);
    if (method == "swag") o.swag(inference::SwagOptions().pretrain_epochs(a.train_epochs));
  }
  return o;
}

void run_agreement(const Arguments& a) {
  const auto [train_x, train_y, test_x, test_y, names] = read_split(a);
  struct Predictive {
    at::Tensor mean, sd;
    double rmse = 0.0, nll = 0.0, seconds = 0.0;
  };
  auto fit_and_predict = [&](const workflow::RegressionFitOptions& o, std::string* report) {
    const auto started = std::chrono::steady_clock::now();
    auto fit = workflow::fit_regression(train_x, train_y, names, "y", o);
    Predictive p;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto prediction = workflow::predict_regression(fit.model, test_x, 200, 0.95, 2, test_y);
    auto scores = workflow::regression_scores(prediction, test_y);
    p.mean = prediction.uncertainty.mean.to(at::kDouble);
    p.sd = at::sqrt(prediction.uncertainty.total_variance.to(at::kDouble));
    p.rmse = scores["rmse"].get<double>();
    p.nll = scores["nll"].get<double>();
    if (report) *report = fit.posterior_report;
    return p;
  };
  std::string report;
  auto reference = fit_and_predict(fit_options(a, 1, train_x.size(0)), &report);
  std::printf("agreement %s split %lld, %lld test rows; reference hmc: rmse %.4f nll %.4f, %.1f s\n", a.data.c_str(),
              static_cast<long long>(a.split), static_cast<long long>(test_x.size(0)), reference.rmse, reference.nll,
              reference.seconds);
  std::cout << report;
  std::printf("| method | mean abs. difference of means / HMC sd | sd ratio, median | sd ratio, mean | test RMSE | test NLL | fit s |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  std::printf("| hmc | 0 | 1 | 1 | %.3f | %.3f | %.0f |\n", reference.rmse, reference.nll, reference.seconds);
  std::string list = a.methods;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto method = list.substr(0, comma);
    list = comma == std::string::npos ? "" : list.substr(comma + 1);
    auto p = fit_and_predict(agreement_options(a, method, train_x.size(0)), nullptr);
    const double difference = ((p.mean - reference.mean).abs() / reference.sd).mean().item<double>();
    auto ratio = p.sd / reference.sd;
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f |\n", method.c_str(), difference, ratio.median().item<double>(),
                ratio.mean().item<double>(), p.rmse, p.nll, p.seconds);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto a = parse(argc, argv);
    at::set_num_threads(a.threads);
    if (a.mode == "gap") run_gap(a);
    else if (a.mode == "uci") run_uci(a);
    else if (a.mode == "svgd-cost") run_svgd_cost(a);
    else if (a.mode == "agreement") run_agreement(a);
    else throw std::invalid_argument("unknown mode " + a.mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sampling_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

// In-between uncertainty of every method over seeds (issue: posteriors that know the gap): the
// gap's epistemic standard deviation over the data's, on the 1-D gap and the 2-D hole problems.
//   in_between [--methods ensemble,bbb,...] [--problems 1d,2d] [--seeds 1-10] [--points 2000]
//              [--epochs 0] [--hidden 50,50] [--samples 200] [--threads 1] [--members M] [--bootstrap 1]
//              [--noise heteroscedastic|homoscedastic] [--laplace-subset auto|all|last-layer]
//              [--hessian full|diag|kfac] [--chains 4] [--warmup 500] [--draws 500] [--max-tree-depth 10]
//              [--weight-decay 0]
// (--noise replaces the recipe's heteroscedastic head; the last six set laplace's and hmc's options.)
// One line per method, problem and seed (with the predictive NLL on 'points' held-out rows of the
// same problem, drawn with seed + 5000), then per method and problem the spread and the count of
// seeds whose ratio reaches 2.
#include "credence/core/rng.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/workflow/in_between.h"
#include "credence/workflow/regression_prediction.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace credence;

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  const auto dash = text.find('-');
  if (dash != std::string::npos) {
    for (auto s = std::stoull(text.substr(0, dash)); s <= std::stoull(text.substr(dash + 1)); ++s) seeds.push_back(s);
  } else {
    for (const auto& s : split(text)) seeds.push_back(std::stoull(s));
  }
  return seeds;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string methods = "ensemble,bbb,mcdropout", problems = "1d,2d", seeds_text = "1-10", hidden_text;
  int64_t points = 2000, epochs = 0, samples = 200, members = 0;
  bool bootstrap = false;
  int threads = 1;
  std::string noise, laplace_subset, hessian;
  double weight_decay = 0.0;
  inference::HmcOptions hmc;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--methods") methods = value;
    else if (key == "--problems") problems = value;
    else if (key == "--seeds") seeds_text = value;
    else if (key == "--points") points = std::stoll(value);
    else if (key == "--epochs") epochs = std::stoll(value);
    else if (key == "--hidden") hidden_text = value;
    else if (key == "--samples") samples = std::stoll(value);
    else if (key == "--threads") threads = std::stoi(value);
    else if (key == "--members") members = std::stoll(value);
    else if (key == "--bootstrap") bootstrap = value == "1";
    else if (key == "--noise") noise = value;
    else if (key == "--weight-decay") weight_decay = std::stod(value);
    else if (key == "--laplace-subset") laplace_subset = value;
    else if (key == "--hessian") hessian = value;
    else if (key == "--chains") hmc.chains(std::stoll(value));
    else if (key == "--warmup") hmc.nuts().warmup(std::stoll(value));
    else if (key == "--draws") hmc.nuts().draws(std::stoll(value));
    else if (key == "--max-tree-depth") hmc.nuts().max_tree_depth(std::stoll(value));
    else throw std::invalid_argument("unknown option " + key);
  }
  at::set_num_threads(threads);
  std::vector<int64_t> hidden;
  for (const auto& h : split(hidden_text)) hidden.push_back(std::stoll(h));
  const auto seeds = parse_seeds(seeds_text);
  std::printf("# in_between: points %lld, epochs %lld (0: the recipe's), samples %lld, threads %d\n",
              static_cast<long long>(points), static_cast<long long>(epochs), static_cast<long long>(samples), threads);
  std::printf("%-12s %-7s %4s %8s %13s %13s %15s %9s %9s\n", "method", "problem", "seed", "ratio", "inside_epist",
              "gap_epist", "aleatoric_err", "test_nll", "seconds");
  std::vector<std::string> summary;
  for (const auto& method : split(methods)) {
    for (const auto& problem_name : split(problems)) {
      const auto problem = workflow::gap_problem_from_string(problem_name);
      const auto regions = workflow::gap_regions(problem);
      std::vector<double> ratios;
      for (const auto seed : seeds) {
        auto generator = core::make_generator(seed);
        auto data = workflow::make_gap_problem(problem, points, generator);
        std::vector<std::string> names;
        for (int64_t d = 0; d < data.x.size(1); ++d) names.push_back("x" + std::to_string(d + 1));
        const auto start = std::chrono::steady_clock::now();
        auto options = workflow::in_between_fit_options(method, hidden, epochs, seed, nullptr);
        if (members > 0) options.members(members);
        options.bootstrap(bootstrap);
        if (!noise.empty()) options.noise(inference::noise_model_from_string(noise));
        if (!laplace_subset.empty()) options.laplace().subset(inference::laplace_subset_from_string(laplace_subset));
        if (!hessian.empty()) options.laplace().hessian(inference::hessian_structure_from_string(hessian));
        options.hmc(hmc);
        options.training().weight_decay(weight_decay);
        auto fit = workflow::fit_regression(data.x, data.y, names, "y", options);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!fit.posterior_report.empty()) std::fprintf(stderr, "%s", fit.posterior_report.c_str());
        auto report = workflow::measure_in_between(fit.model, regions, samples, seed + 1000);
        ratios.push_back(report.ratio());
        // The fit on its own merits: the predictive mixture's NLL on held-out rows of the same problem.
        auto test_generator = core::make_generator(seed + 5000);
        auto test = workflow::make_gap_problem(problem, points, test_generator);
        auto draws = workflow::sample_regression(fit.model, test.x, predict::PredictOptions().samples(samples));
        const double test_nll = metrics::mixture_negative_log_likelihood(draws.means, draws.variances, test.y.reshape({-1}));
        std::printf("%-12s %-7s %4llu %8.3f %13.4f %13.4f %15.3f %9.4f %9.2f\n", method.c_str(), problem_name.c_str(),
                    static_cast<unsigned long long>(seed), report.ratio(), report.inside.epistemic_std,
                    report.gap.epistemic_std, report.aleatoric_relative_error, test_nll, seconds);
        std::fflush(stdout);
      }
      auto sorted = ratios;
      std::sort(sorted.begin(), sorted.end());
      const auto reached = std::count_if(ratios.begin(), ratios.end(), [](double r) { return r >= 2.0; });
      char line[256];
      std::snprintf(line, sizeof line, "%-12s %-7s ratio min %.2f median %.2f max %.2f; >= 2 on %lld of %zu seeds",
                    method.c_str(), problem_name.c_str(), sorted.front(), sorted[sorted.size() / 2], sorted.back(),
                    static_cast<long long>(reached), ratios.size());
      summary.push_back(line);
    }
  }
  std::printf("\n");
  for (const auto& s : summary) std::printf("%s\n", s.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "in_between: %s\n", e.what());
  return 1;
}

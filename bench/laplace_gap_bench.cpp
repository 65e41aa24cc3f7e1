// The in-between uncertainty of linearised Laplace (Foong et al. 2019) on the 1-D gap problem of
// `credence demo` (data::make_gap_regression: data in [-4,-1] and [1,4]): per seed, the mean
// epistemic std on the grid points of the gap |x| <= 0.5 over its mean inside 1 <= |x| <= 4.
// Usage: laplace_gap_bench [FIRST_SEED LAST_SEED [HIDDEN [NOISE [HESSIAN [ACTIVATION]]]]]
//   defaults: 1 10 50,50 heteroscedastic full relu. One thread. Prints one line per seed and a summary.
#include "credence/core/rng.h"
#include "credence/data/synthetic.h"
#include "credence/predict/uncertainty.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/regression_prediction.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

using namespace credence;

int main(int argc, char** argv) {
  const std::uint64_t first = argc > 1 ? std::stoull(argv[1]) : 1, last = argc > 2 ? std::stoull(argv[2]) : 10;
  std::vector<int64_t> hidden;
  {
    std::stringstream s(argc > 3 ? argv[3] : "50,50");
    std::string part;
    while (std::getline(s, part, ',')) hidden.push_back(std::stoll(part));
  }
  const auto noise = inference::noise_model_from_string(argc > 4 ? argv[4] : "heteroscedastic");
  const auto hessian = inference::hessian_structure_from_string(argc > 5 ? argv[5] : "full");
  const auto activation = nn::activation_kind_from_string(argc > 6 ? argv[6] : "relu");
  torch::set_num_threads(1);
  int reached = 0;
  double smallest = 1e300;
  for (auto seed = first; seed <= last; ++seed) {
    auto generator = core::make_generator(seed);
    auto problem = data::make_gap_regression(2000, generator);
    auto options = workflow::RegressionFitOptions()
                       .network(nn::NetworkOptions().hidden(hidden).activation(activation).method(
                           nn::MethodOptions().method(nn::Method::deterministic)))
                       .noise(noise)
                       .posterior("laplace")
                       .laplace(inference::LaplaceOptions().subset(inference::LaplaceSubset::all).hessian(hessian))
                       .seed(seed)
                       .training(inference::TrainOptions().epochs(150).batch_size(100).learning_rate(1e-2));
    const auto start = std::chrono::steady_clock::now();
    auto fit = workflow::fit_regression(problem.x, problem.y, {"x"}, "y", options);
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double train_seconds = fit.histories.front().seconds;
    auto grid = at::linspace(-7.0, 7.0, 281).unsqueeze(1);
    auto p = workflow::predict_regression(fit.model, grid, 100, 0.95, seed + 1);
    auto x = grid.squeeze(1);
    auto epistemic_std = at::sqrt(p.uncertainty.epistemic_variance);
    auto inside = (x.abs() >= 1.0).logical_and(x.abs() <= 4.0);
    auto gap = x.abs() <= 0.5;
    const double gap_std = epistemic_std.masked_select(gap).mean().item<double>();
    const double inside_std = epistemic_std.masked_select(inside).mean().item<double>();
    const double ratio = gap_std / inside_std;
    reached += ratio >= 2.0;
    smallest = std::min(smallest, ratio);
    const auto& l = *fit.model.laplace;
    std::printf("seed %llu: ratio %.3f (gap %.4f, inside %.4f), prior precision %.4g, %lld weights, "
                "train %.1f s, Laplace %.1f s\n",
                static_cast<unsigned long long>(seed), ratio, gap_std, inside_std, l.prior_precision,
                static_cast<long long>(l.parameter_count), train_seconds, fit_seconds - train_seconds);
    std::fflush(stdout);
  }
  std::printf("ratio >= 2 on %d of %llu seeds; smallest %.3f\n", reached, static_cast<unsigned long long>(last - first + 1),
              smallest);
  return 0;
}

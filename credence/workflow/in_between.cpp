// The gap problems' grids and regions, the in-between measurement and each method's recipe.
#include "credence/workflow/in_between.h"

#include "credence/core/rng.h"
#include "credence/workflow/posterior_method.h"
#include "credence/workflow/regression_prediction.h"

#include <stdexcept>

namespace credence::workflow {

GapProblem gap_problem_from_string(const std::string& name) {
  if (name == "1d") return GapProblem::one_dimensional;
  if (name == "2d") return GapProblem::two_dimensional;
  throw std::invalid_argument("--problem: expected 1d or 2d, got '" + name + "'");
}

std::string to_string(GapProblem problem) { return problem == GapProblem::one_dimensional ? "1d" : "2d"; }

data::GapRegression make_gap_problem(GapProblem problem, int64_t points, at::Generator& generator) {
  return problem == GapProblem::one_dimensional ? data::make_gap_regression(points, generator)
                                                : data::make_hole_regression(points, generator);
}

GapRegions gap_regions(GapProblem problem) {
  GapRegions r;
  if (problem == GapProblem::one_dimensional) {
    r.grid = at::linspace(-7.0, 7.0, 281).unsqueeze(1);
    auto x = r.grid.squeeze(1).abs();
    r.inside = x.ge(1.0).logical_and(x.le(4.0));
    r.gap = x.le(0.5);
    r.outside = x.ge(5.5);
    r.true_mean = data::gap_regression_mean(r.grid.squeeze(1));
    r.true_noise_std = data::gap_regression_noise_std(r.grid.squeeze(1));
    return r;
  }
  auto axis = at::linspace(-4.5, 4.5, 61);
  auto x1 = axis.repeat_interleave(61), x2 = axis.repeat({61});
  r.grid = at::stack({x1, x2}, 1);
  auto radius = r.grid.square().sum(1).sqrt();
  auto largest = r.grid.abs().amax(1);
  r.inside = radius.ge(2.0).logical_and(largest.le(3.0));
  r.gap = radius.le(0.75);
  r.outside = largest.ge(4.0);
  r.true_mean = data::hole_regression_mean(r.grid);
  r.true_noise_std = data::hole_regression_noise_std(r.grid);
  return r;
}

namespace {

double masked_mean(const at::Tensor& values, const at::Tensor& mask) {
  return values.masked_select(mask).to(at::kDouble).mean().item<double>();
}

RegionUncertainty region(const predict::RegressionUncertainty& u, const at::Tensor& true_noise, const at::Tensor& mask) {
  return {masked_mean(u.aleatoric_variance.sqrt(), mask), masked_mean(u.epistemic_variance.sqrt(), mask),
          masked_mean(true_noise, mask)};
}

}  // namespace

InBetweenReport measure_in_between(const io::RegressionModel& model, const GapRegions& regions, int64_t samples,
                                   std::uint64_t seed) {
  for (size_t m = 0; m < model.members.size(); ++m) {
    nn::Network member = model.members[m];  // a handle on the same module
    member->set_generator(core::make_generator(seed + m));
  }
  auto draws = sample_regression(model, regions.grid, predict::PredictOptions().samples(samples));
  InBetweenReport report;
  report.on_grid = predict::split_uncertainty(draws);
  const auto& u = report.on_grid;
  report.inside = region(u, regions.true_noise_std, regions.inside);
  report.gap = region(u, regions.true_noise_std, regions.gap);
  report.outside = region(u, regions.true_noise_std, regions.outside);
  auto relative_error = (u.aleatoric_variance.sqrt() - regions.true_noise_std).abs() / regions.true_noise_std;
  report.aleatoric_relative_error = masked_mean(relative_error, regions.inside);
  return report;
}

std::vector<std::string> in_between_method_names() {
  std::vector<std::string> names{"ensemble", "bbb", "mcdropout", "deterministic"};
  for (const auto& p : posterior_method_names()) names.push_back(p);
  return names;
}

RegressionFitOptions in_between_fit_options(const std::string& method, std::vector<int64_t> hidden, int64_t epochs,
                                            std::uint64_t seed, std::ostream* progress) {
  const bool known = method == "ensemble" || method == "bbb" || method == "mcdropout" || method == "deterministic" ||
                     is_posterior_method(method);
  if (!known) {
    std::string names;
    for (const auto& n : in_between_method_names()) names += (names.empty() ? "" : ", ") + n;
    throw std::invalid_argument("--method: expected one of " + names + ", got '" + method + "'");
  }
  if (hidden.empty()) hidden = {50, 50, 50};
  auto network_method = nn::MethodOptions().method(nn::Method::deterministic);
  if (method == "bbb") network_method = nn::MethodOptions().method(nn::Method::bbb).initial_sigma(1e-3);
  if (method == "mcdropout") network_method = nn::MethodOptions().method(nn::Method::mcdropout);
  RegressionFitOptions options;
  options.network(nn::NetworkOptions().hidden(hidden).method(network_method))
      .members(method == "ensemble" ? kInBetweenEnsembleMembers : 1)
      .posterior(is_posterior_method(method) ? method : std::string())
      .noise(inference::NoiseModel::heteroscedastic)
      .seed(seed)
      .training(inference::TrainOptions()
                    .epochs(epochs > 0 ? epochs : 150)
                    .batch_size(100)
                    .learning_rate(1e-2)
                    .progress(progress));
  return options;
}

}  // namespace credence::workflow

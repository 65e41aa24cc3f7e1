// The demo's fit, its region table and its plot.
#include "credence/workflow/gap_demo.h"

#include "credence/core/rng.h"
#include "credence/core/tensor_values.h"
#include "credence/report/svg_plot.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace credence::workflow {

namespace {

nlohmann::json to_json(const RegionUncertainty& r) {
  return {{"aleatoric_std", r.aleatoric_std}, {"epistemic_std", r.epistemic_std}, {"true_noise_std", r.true_noise_std}};
}

}  // namespace

GapDemo run_gap_demo(const GapDemoOptions& options) {
  if (options.points() < 20) throw std::invalid_argument("--points: expected at least 20 points");
  if (options.samples() < 2) throw std::invalid_argument("--samples: expected at least 2 samples");
  if (options.epochs() < 0) throw std::invalid_argument("--epochs: expected a positive number of epochs");
  GapDemo demo;
  auto generator = core::make_generator(options.seed());
  demo.data = make_gap_problem(GapProblem::one_dimensional, options.points(), generator);
  auto fit_options = in_between_fit_options(options.method(), {}, options.epochs(), options.seed(), options.progress());
  fit_options.training().progress_as_lines(options.progress_as_lines());
  demo.model = fit_regression(demo.data.x, demo.data.y, {"x"}, "y", fit_options).model;
  const auto regions = gap_regions(GapProblem::one_dimensional);
  demo.report = measure_in_between(demo.model, regions, options.samples(), options.seed() + 1);

  const auto& r = demo.report;
  demo.summary = {{"method", options.method()},
                  {"inside", to_json(r.inside)},
                  {"gap", to_json(r.gap)},
                  {"outside", to_json(r.outside)},
                  {"gap_to_inside_epistemic_ratio", r.ratio()}};
  demo.summary["inside"]["aleatoric_relative_error"] = r.aleatoric_relative_error;

  const auto& u = r.on_grid;
  auto x = regions.grid.squeeze(1);
  auto total_std = u.total_variance.sqrt(), epistemic_std = u.epistemic_variance.sqrt();
  report::SvgPlot plot("credence demo: " + options.method() + ", heteroscedastic, data in [-4,-1] and [1,4]", "x", "y");
  plot.add_band(core::to_double_vector(x), core::to_double_vector(u.mean - 2 * total_std), core::to_double_vector(u.mean + 2 * total_std), "#1f77b4", 0.18,
                "total +/- 2 std");
  plot.add_band(core::to_double_vector(x), core::to_double_vector(u.mean - 2 * epistemic_std), core::to_double_vector(u.mean + 2 * epistemic_std), "#d62728",
                0.35, "epistemic +/- 2 std");
  plot.add_points(core::to_double_vector(demo.data.x.squeeze(1)), core::to_double_vector(demo.data.y), "#333333", "training data");
  plot.add_line(core::to_double_vector(x), core::to_double_vector(regions.true_mean), "#2ca02c", "true mean");
  plot.add_line(core::to_double_vector(x), core::to_double_vector(u.mean), "#1f77b4", "predictive mean");
  // The range holds the data, the true and the predictive mean, with room for bands of a few
  // times the data's spread; wider bands are cut at the edge (and the legend says so).
  auto low = std::min({demo.data.y.min().item<double>(), regions.true_mean.min().item<double>(), u.mean.min().item<double>()});
  auto high = std::max({demo.data.y.max().item<double>(), regions.true_mean.max().item<double>(), u.mean.max().item<double>()});
  const double margin = 0.5 * (high - low);
  plot.set_y_range(low - margin, high + margin);
  demo.plot_clipped = plot.clipped();
  if (demo.plot_clipped) plot.add_line({}, {}, "#ffffff", "(bands cut at the plot's edge)");
  demo.plot_svg = plot.render();
  return demo;
}

}  // namespace credence::workflow

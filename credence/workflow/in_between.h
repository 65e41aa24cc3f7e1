// In-between uncertainty (Foong et al. 2019): a regression model's epistemic uncertainty in a gap
// between data clusters against its uncertainty inside the data, on two generated problems
// (data/synthetic.h): the 1-D gap of the demo and a 2-D square with a hole. The demo and the
// benchmark of every method share the problems, the regions, the measurement and each method's
// recipe here.
#pragma once

#include "credence/data/synthetic.h"
#include "credence/io/regression_model.h"
#include "credence/predict/uncertainty.h"
#include "credence/workflow/fit_regression.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace credence::workflow {

enum class GapProblem { one_dimensional, two_dimensional };
GapProblem gap_problem_from_string(const std::string& name);  // "1d" | "2d"
std::string to_string(GapProblem problem);

data::GapRegression make_gap_problem(GapProblem problem, int64_t points, at::Generator& generator);

// The evaluation grid and its regions. 1-D: 281 points on [-7, 7]; inside |x| in [1, 4] (the data),
// gap |x| <= 0.5, outside |x| >= 5.5. 2-D: a 61 x 61 grid on [-4.5, 4.5]^2; inside 2 <= |x| with
// both coordinates in [-3, 3], gap |x| <= 0.75, outside a coordinate beyond 4.
struct GapRegions {
  at::Tensor grid;  // [N, d]
  at::Tensor inside, gap, outside;  // [N] masks
  at::Tensor true_mean, true_noise_std;  // [N]
};
GapRegions gap_regions(GapProblem problem);

struct RegionUncertainty {
  double aleatoric_std = 0.0, epistemic_std = 0.0, true_noise_std = 0.0;  // region means
};

struct InBetweenReport {
  RegionUncertainty inside, gap, outside;
  double aleatoric_relative_error = 0.0;  // inside the data: mean |aleatoric std - true| / true
  // The figure of merit: the gap's epistemic standard deviation over the data's.
  double ratio() const { return gap.epistemic_std / inside.epistemic_std; }
  predict::RegressionUncertainty on_grid;  // the prediction on the regions' grid
};

// The model's prediction on the grid with `samples` draws (its generators seeded by `seed`).
InBetweenReport measure_in_between(const io::RegressionModel& model, const GapRegions& regions, int64_t samples,
                                   std::uint64_t seed);

// The methods the in-between measurement knows a recipe for: ensemble, bbb, mcdropout,
// deterministic, then the posterior methods (workflow/posterior_method.h).
std::vector<std::string> in_between_method_names();

// The recipe's ensemble size: with 5 members of 50-50 units the gap/inside ratio fell below 2 on 2
// of 3 seeds; 10 members of 50-50-50 units are measured in bench/results/in_between.md.
inline constexpr int64_t kInBetweenEnsembleMembers = 10;

// The training recipe of `method` on a gap problem: a heteroscedastic MLP with `hidden` layers
// (empty: three of 50 units), `epochs` (0: 150), minibatches of 100, Adam at 1e-2, `seed`; bbb
// starts at sigma 1e-3 (the 1e-2 default drowns the noise head at this learning rate), an ensemble
// has kInBetweenEnsembleMembers networks.
RegressionFitOptions in_between_fit_options(const std::string& method, std::vector<int64_t> hidden, int64_t epochs,
                                            std::uint64_t seed, std::ostream* progress);

}  // namespace credence::workflow

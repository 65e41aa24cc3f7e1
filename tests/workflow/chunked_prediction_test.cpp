// predict_regression within a memory budget: the summaries (and the log density of the targets)
// reduced chunk by chunk are those of all the draws at once, for every kind of regression model.
#include "credence/core/rng.h"
#include "credence/data/synthetic.h"
#include "credence/metrics/regression_metrics.h"
#include "credence/predict/uncertainty.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/regression_prediction.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;

namespace {

workflow::RegressionFitOptions small_fit(const std::string& kind) {
  auto method = nn::MethodOptions().method(kind == "mcdropout" ? nn::Method::mcdropout : kind == "bbb" ? nn::Method::bbb
                                                                                                       : nn::Method::deterministic);
  auto options = workflow::RegressionFitOptions()
                     .network(nn::NetworkOptions().hidden({48}).method(method))
                     .seed(2)
                     .training(inference::TrainOptions().epochs(3).batch_size(16).learning_rate(1e-2));
  if (kind == "laplace glm" || kind == "laplace mc") {
    options.posterior("laplace").laplace(inference::LaplaceOptions().predictive(
        kind == "laplace glm" ? inference::LaplacePredictive::glm : inference::LaplacePredictive::mc));
  }
  if (kind == "ensemble") options.members(3);
  return options;
}

void expect_close(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double scale = b.to(at::kDouble).abs().max().item<double>();
  EXPECT_LE((a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>(), 1e-5 * scale + 1e-9) << what;
}

}  // namespace

TEST(ChunkedRegressionPrediction, SummariesWithinATinyBudgetEqualThoseOfAllDraws) {
  auto generator = core::make_generator(4);
  auto data = data::make_gap_regression(60, generator);
  const auto x = at::linspace(-4.0, 4.0, 37).unsqueeze(1);
  const auto y = at::sin(x.squeeze(1));
  for (const std::string kind : {"bbb", "mcdropout", "ensemble", "laplace glm", "laplace mc"}) {
    SCOPED_TRACE(kind);
    auto fit = workflow::fit_regression(data.x, data.y, {"x"}, "y", small_fit(kind));
    const int64_t samples = 30;
    // The reference: all draws at once, split and scored.
    for (auto member : fit.model.members) member->set_generator(core::make_generator(11));
    const auto draws = workflow::sample_regression(fit.model, x, predict::PredictOptions().samples(samples));
    const auto all = predict::split_uncertainty(draws);
    const auto log_density = metrics::mixture_log_density(draws.means, draws.variances, y);
    // A budget of a few rows' draws (30 draws, or one per ensemble member, of 48 values at 64 bytes
    // each) beside the held weight samples.
    int64_t chunks = 0;
    const int64_t budget = kind == "ensemble" ? int64_t{32} << 10 : int64_t{1} << 20;
    const auto tiny = predict::PredictOptions().samples(samples).memory_budget(budget).progress([&](int64_t, int64_t) { ++chunks; });
    const auto p = workflow::predict_regression(fit.model, x, tiny, 0.9, 11, y);
    EXPECT_GT(chunks, 3);
    expect_close(p.uncertainty.mean, all.mean, "mean");
    expect_close(p.uncertainty.aleatoric_variance, all.aleatoric_variance, "aleatoric");
    expect_close(p.uncertainty.epistemic_variance, all.epistemic_variance, "epistemic");
    expect_close(p.log_density, log_density, "log density");
    // The default budget (one chunk) gives the same numbers.
    const auto q = workflow::predict_regression(fit.model, x, samples, 0.9, 11, y);
    expect_close(q.uncertainty.total_variance, p.uncertainty.total_variance, "total at the default budget");
    expect_close(q.interval.upper, p.interval.upper, "upper at the default budget");
    EXPECT_NEAR(workflow::regression_scores(q, y).at("nll").get<double>(), -log_density.mean().item<double>(), 1e-6);
  }
}

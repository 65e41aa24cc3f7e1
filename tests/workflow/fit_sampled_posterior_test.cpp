// The sampled posteriors through fit_regression / fit_classification: members, method, settings and
// the model file's round trip.
#include "credence/core/rng.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"
#include "credence/workflow/fit_classification.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/regression_prediction.h"
#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

using namespace credence;

namespace {

struct Rows {
  at::Tensor x, y;
};

Rows linear_rows(int64_t n, std::uint64_t seed) {
  auto generator = core::make_generator(seed);
  auto x = at::randn({n, 2}, generator);
  auto y = 2.0 * x.select(1, 0) - x.select(1, 1) + 0.1 * at::randn({n}, generator);
  return {x, y};
}

workflow::RegressionFitOptions small_options(const std::string& method) {
  return workflow::RegressionFitOptions()
      .network(nn::NetworkOptions().hidden({4}).method(nn::MethodOptions().method(nn::Method::deterministic)))
      .posterior(method)
      .seed(3)
      .hmc(inference::HmcOptions()
               .chains(2)
               .initial_training_steps(200)
               .stored_samples(20)
               .nuts(inference::NutsOptions().warmup(30).draws(20).max_tree_depth(4)))
      .sg_mcmc(inference::SgMcmcOptions().cycles(3).epochs_per_cycle(100).samples_per_cycle(2))
      .svgd(inference::SvgdOptions().particles(5).epochs(300));
}

}  // namespace

TEST(FitSampledPosterior, RegressionSamplesBecomeMembersOfAModelFile) {
  auto rows = linear_rows(40, 1);
  credence::testing::TemporaryDirectory dir;
  struct Case {
    std::string method;
    size_t members;
  };
  for (auto c : {Case{"hmc", 20}, Case{"sgld", 6}, Case{"psgld", 6}, Case{"sghmc", 6}, Case{"psghmc", 6},
                 Case{"svgd", 5}}) {
    SCOPED_TRACE(c.method);
    auto options = small_options(c.method);
    // The test's three short cycles are 600 steps; psgld's default peak step (3e-3 in the weights'
    // units) moves a fresh network too little in them, so it gets psghmc's default (1e-2).
    if (c.method == "psgld") options.sg_mcmc(inference::SgMcmcOptions(options.sg_mcmc()).learning_rate(1e-2));
    auto fit = workflow::fit_regression(rows.x, rows.y, {"a", "b"}, "y", options);
    ASSERT_EQ(fit.model.members.size(), c.members);
    ASSERT_EQ(fit.model.likelihoods.size(), c.members);
    EXPECT_EQ(fit.model.method(), c.method);
    EXPECT_FALSE(fit.posterior_report.empty());
    // Members are different networks, each with its own sampled noise.
    EXPECT_FALSE(at::equal(fit.model.members[0]->parameters()[0], fit.model.members[1]->parameters()[0]));
    EXPECT_NE(fit.model.likelihoods[0]->log_noise_variance.item<double>(), fit.model.likelihoods[1]->log_noise_variance.item<double>());
    auto settings = nlohmann::json::parse(fit.model.training_json);
    EXPECT_EQ(settings.at("sampler").at("method"), c.method);
    EXPECT_EQ(settings.at("sampler").at("prior_sigma"), 1.0);
    if (c.method == "psgld" || c.method == "psghmc") EXPECT_EQ(settings.at("sampler").at("rms_decay"), 0.99);
    if (c.method == "sghmc" || c.method == "psghmc") EXPECT_EQ(settings.at("sampler").at("friction"), 0.1);

    const auto path = dir.path(c.method + ".model");
    io::save_regression_model(path, fit.model);
    auto loaded = io::load_regression_model(path);
    EXPECT_EQ(loaded.method(), c.method);
    ASSERT_EQ(loaded.members.size(), c.members);
    // The prediction is the members' mixture and fits the line (the targets' sd is about 2.2).
    auto prediction = workflow::predict_regression(loaded, rows.x, 1, 0.9, 0);
    EXPECT_LT(at::sqrt((prediction.uncertainty.mean - rows.y).pow(2).mean()).item<double>(), 1.0) << c.method;
    EXPECT_GT(prediction.uncertainty.epistemic_variance.mean().item<double>(), 0.0);
  }
}

TEST(FitSampledPosterior, HmcReportsDiagnosticsPerParameterGroup) {
  auto rows = linear_rows(40, 2);
  auto fit = workflow::fit_regression(rows.x, rows.y, {"a", "b"}, "y", small_options("hmc"));
  for (const std::string group : {"layers[0].weight", "layers[0].bias", "layers[2].weight", "log_noise_variance", "outputs (function space)"}) {
    EXPECT_NE(fit.posterior_report.find(group), std::string::npos) << group << "\n" << fit.posterior_report;
  }
  EXPECT_NE(fit.posterior_report.find("R-hat"), std::string::npos);
}

TEST(FitSampledPosterior, RefusesANetworkAboveTheParameterLimit) {
  auto rows = linear_rows(20, 3);
  auto options = small_options("hmc");
  options.hmc(options.hmc().max_parameters(100));
  options.network(options.network().hidden({40}));  // 2*40 + 40 + 40 + 1 weights and the noise: 162
  const auto message = credence::testing::error_message_of([&] { workflow::fit_regression(rows.x, rows.y, {"a", "b"}, "y", options); });
  EXPECT_NE(message.find("162"), std::string::npos) << message;
  EXPECT_NE(message.find("100"), std::string::npos) << message;
}

TEST(FitSampledPosterior, ClassifierSamplesBecomeMembers) {
  auto generator = core::make_generator(4);
  auto x = at::randn({60, 2}, generator);
  auto labels = (x.select(1, 0) + x.select(1, 1) > 0).to(at::kLong);
  io::InputLayout layout;
  layout.kind = "table";
  layout.features = {"a", "b"};
  for (const std::string method : {"hmc", "svgd"}) {
    SCOPED_TRACE(method);
    auto r = small_options(method);
    auto options = workflow::ClassificationFitOptions().network(r.network()).posterior(method).seed(1).hmc(r.hmc()).svgd(r.svgd());
    auto fit = workflow::fit_classification(x, labels, layout, {"no", "yes"}, "label", options);
    EXPECT_EQ(fit.model.method(), method);
    EXPECT_EQ(fit.model.members.size(), method == "hmc" ? 20u : 5u);
  }
}

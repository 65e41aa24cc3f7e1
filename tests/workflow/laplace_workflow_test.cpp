// Laplace through the fit and predict workflows: `posterior "laplace"` trains a deterministic network
// and fits the posterior on the training rows; the model file keeps it; the prediction path gives
// the usual split with the epistemic part exactly the linearised J Sigma J^T.
#include "credence/core/rng.h"
#include "credence/data/synthetic.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"
#include "credence/predict/laplace_predictive.h"
#include "credence/workflow/classification_prediction.h"
#include "credence/workflow/fit_classification.h"
#include "credence/workflow/fit_laplace.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/regression_prediction.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;

namespace {

double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }

workflow::RegressionFitOptions small_regression(inference::HessianStructure hessian) {
  return workflow::RegressionFitOptions()
      .network(nn::NetworkOptions().hidden({8}).method(nn::MethodOptions().method(nn::Method::deterministic)))
      .posterior("laplace")
      .laplace(inference::LaplaceOptions().hessian(hessian))
      .validation_fraction(0.2)
      .seed(3)
      .training(inference::TrainOptions().epochs(5).batch_size(16).learning_rate(1e-2));
}

}  // namespace

TEST(LaplaceWorkflow, RegressionFitStoresThePosteriorAndPredictsTheLinearisedSplit) {
  auto gen = core::make_generator(1);
  auto data = data::make_gap_regression(80, gen);
  for (auto hessian : {inference::HessianStructure::full, inference::HessianStructure::kfac}) {
    SCOPED_TRACE(inference::to_string(hessian));
    auto fit = workflow::fit_regression(data.x, data.y, {"x"}, "y", small_regression(hessian));
    ASSERT_TRUE(fit.model.laplace.has_value());
    EXPECT_EQ(fit.model.method(), "laplace");
    const auto& posterior = *fit.model.laplace;
    EXPECT_EQ(posterior.rows, 64);  // 80 rows less the 20% validation split
    EXPECT_EQ(posterior.subset, inference::LaplaceSubset::all);  // 8 hidden units: 16 + 9 weights, under the limit
    EXPECT_EQ(posterior.parameter_count, 25);
    EXPECT_TRUE(posterior.prior_precision_fitted);

    auto grid = at::linspace(-6.0, 6.0, 13).unsqueeze(1);
    auto p = workflow::predict_regression(fit.model, grid, 40, 0.9, 7);
    // Epistemic variance in target units: the target scale squared times J Sigma J^T of the standardised network.
    auto net = fit.model.members.front();
    auto linearised = predict::linearised_outputs(net, posterior, fit.model.input_scaler.transform(grid));
    const double scale = fit.model.target_scaler.std.item<double>();
    auto expected = linearised.covariance.select(1, 0).select(1, 0) * scale * scale;
    EXPECT_LT(max_abs(p.uncertainty.epistemic_variance.to(at::kDouble) - expected), 1e-4 * max_abs(expected));
    EXPECT_TRUE((p.uncertainty.epistemic_variance > 0).all().item<bool>());

    // The file keeps the posterior: the reloaded model predicts the same numbers.
    credence::testing::TemporaryDirectory dir;
    io::save_regression_model(dir.path("m"), fit.model);
    auto loaded = io::load_regression_model(dir.path("m"));
    ASSERT_TRUE(loaded.laplace.has_value());
    EXPECT_EQ(loaded.method(), "laplace");
    EXPECT_EQ(loaded.laplace->hessian, hessian);
    EXPECT_DOUBLE_EQ(loaded.laplace->prior_precision, posterior.prior_precision);
    auto q = workflow::predict_regression(loaded, grid, 40, 0.9, 7);
    EXPECT_TRUE(at::equal(p.uncertainty.epistemic_variance, q.uncertainty.epistemic_variance));
    EXPECT_TRUE(at::equal(p.uncertainty.mean, q.uncertainty.mean));
  }
}

TEST(LaplaceWorkflow, AnEnsembleOrABayesianNetworkIsRefused) {
  auto gen = core::make_generator(2);
  auto data = data::make_gap_regression(40, gen);
  auto options = small_regression(inference::HessianStructure::full).members(2);
  EXPECT_NE(credence::testing::error_message_of([&] { workflow::fit_regression(data.x, data.y, {"x"}, "y", options); }).find("one network"),
            std::string::npos);
  auto bbb = workflow::fit_regression(
      data.x, data.y, {"x"}, "y",
      workflow::RegressionFitOptions().network(nn::NetworkOptions().hidden({4})).training(inference::TrainOptions().epochs(1)));
  auto message = credence::testing::error_message_of([&] { workflow::add_laplace(bbb.model, data.x, data.y, {}); });
  EXPECT_NE(message.find("a bbb model"), std::string::npos) << message;
}

TEST(LaplaceWorkflow, ClassifierWithLastLayerKfacPredictsProbabilitiesWithMutualInformation) {
  // Two Gaussian blobs in 2-D; last-layer KFAC on a 2-16-2 network.
  auto gen = core::make_generator(4);
  auto labels = (at::rand({120}, gen) < 0.5).to(at::kLong);
  auto inputs = at::randn({120, 2}, gen) + (2.0 * labels.to(at::kFloat) - 1.0).unsqueeze(1) * 1.5;
  io::InputLayout layout;
  layout.features = {"a", "b"};
  auto options = workflow::ClassificationFitOptions()
                     .network(nn::NetworkOptions().hidden({16}).method(nn::MethodOptions().method(nn::Method::deterministic)))
                     .posterior("laplace")
                     .laplace(inference::LaplaceOptions()
                                  .subset(inference::LaplaceSubset::last_layer)
                                  .hessian(inference::HessianStructure::kfac))
                     .seed(1)
                     .training(inference::TrainOptions().epochs(10).batch_size(16).learning_rate(1e-2));
  auto fit = workflow::fit_classification(inputs, labels, layout, {"0", "1"}, "label", options);
  ASSERT_TRUE(fit.model.laplace.has_value());
  EXPECT_EQ(fit.model.laplace->layers, std::vector<int64_t>{2});
  EXPECT_EQ(fit.model.laplace->factors.size(), 1u);
  auto far = at::tensor({30.0f, -30.0f, 0.0f, 0.0f}).view({2, 2});
  auto u = workflow::predict_classes(fit.model, far, 200, 5);
  EXPECT_TRUE(at::allclose(u.probabilities.sum(1), at::ones({2}, at::kDouble), 1e-5, 1e-5));
  EXPECT_TRUE((u.epistemic > 0).all().item<bool>());

  credence::testing::TemporaryDirectory dir;
  io::save_classification_model(dir.path("m"), fit.model);
  auto loaded = io::load_classification_model(dir.path("m"));
  ASSERT_TRUE(loaded.laplace.has_value());
  auto v = workflow::predict_classes(loaded, far, 200, 5);
  EXPECT_TRUE(at::allclose(u.probabilities, v.probabilities, 1e-6, 1e-6));
}

// Classifier model files: the round trip keeps every member, the head, the layout and the classes.
#include "credence/core/rng.h"
#include "credence/io/classification_model.h"
#include "credence/workflow/classification_prediction.h"
#include "credence/workflow/fit_classification.h"

#include "support/test_support.h"

#include <gtest/gtest.h>

using namespace credence;

namespace {

// Three Gaussian blobs in 2-D.
std::pair<at::Tensor, at::Tensor> blobs(int64_t n, uint64_t seed) {
  auto gen = core::make_generator(seed);
  auto labels = at::randint(0, 3, {n}, gen, at::kLong);
  auto centres = at::tensor({0.0f, 3.0f, 3.0f, 0.0f, -3.0f, -3.0f}).view({3, 2});
  auto x = centres.index_select(0, labels) + at::randn({n, 2}, gen);
  return {x * 10.0 + 50.0, labels};
}

}  // namespace

TEST(ClassificationModel, EnsembleRoundTripPredictsIdentically) {
  auto [x, y] = blobs(600, 1);
  io::InputLayout layout;
  layout.features = {"a", "b"};
  auto options = workflow::ClassificationFitOptions()
                     .network(nn::NetworkOptions().hidden({16}).method(
                         nn::MethodOptions().method(nn::Method::mcdropout).dropout(0.2)))
                     .members(3)
                     .temperature_scaling(true)
                     .validation_fraction(0.2)
                     .training(inference::TrainOptions().epochs(15).learning_rate(1e-2));
  auto fit = workflow::fit_classification(x, y, layout, {"red", "green", "blue"}, "colour", options);
  ASSERT_EQ(fit.model.members.size(), 3u);
  EXPECT_EQ(fit.histories.size(), 3u);
  EXPECT_EQ(fit.model.method(), "ensemble");
  EXPECT_LE(fit.model.validation_nll_after_temperature, fit.model.validation_nll_before_temperature);

  credence::testing::TemporaryDirectory dir;
  io::save_classification_model(dir.path("m.credence"), fit.model);
  auto loaded = io::load_classification_model(dir.path("m.credence"));
  EXPECT_EQ(loaded.class_names, fit.model.class_names);
  EXPECT_EQ(loaded.input.features, layout.features);
  EXPECT_EQ(loaded.target_name, "colour");
  EXPECT_DOUBLE_EQ(loaded.head.temperature, fit.model.head.temperature);
  EXPECT_DOUBLE_EQ(loaded.fitted_temperature, fit.model.fitted_temperature);
  ASSERT_EQ(loaded.members.size(), 3u);

  auto [x_test, y_test] = blobs(200, 2);
  auto predict_with = [&](io::ClassificationModel& m) {
    auto gen = core::make_generator(9);
    for (auto& member : m.members) member->set_generator(gen);
    return workflow::sample_class_probabilities(m, x_test, predict::PredictOptions().samples(30), gen);
  };
  auto p_original = predict_with(fit.model);
  auto p_loaded = predict_with(loaded);
  EXPECT_EQ(p_original.size(0), 30);  // 3 members x 10 draws
  EXPECT_TRUE(at::equal(p_original, p_loaded));
  // The blobs are well separated: accuracy far above chance (1/3).
  auto accuracy = (p_loaded.mean(0).argmax(1) == y_test).to(at::kDouble).mean().item<double>();
  EXPECT_GT(accuracy, 0.9);
}

TEST(ClassificationModel, DeterministicNetworkHasNoEpistemicSpread) {
  auto [x, y] = blobs(300, 3);
  io::InputLayout layout;
  layout.features = {"a", "b"};
  auto fit = workflow::fit_classification(x, y, layout, {"0", "1", "2"}, "label",
                                          workflow::ClassificationFitOptions()
                                              .network(nn::NetworkOptions().hidden({8}).method(
                                                  nn::MethodOptions().method(nn::Method::deterministic)))
                                              .training(inference::TrainOptions().epochs(5)));
  auto p = workflow::sample_class_probabilities(fit.model, x, predict::PredictOptions().samples(50));
  EXPECT_EQ(p.size(0), 1);  // one draw: every sample would be the same
}

TEST(ClassificationModel, BadArgumentsAreRefused) {
  auto [x, y] = blobs(50, 4);
  io::InputLayout layout;
  layout.features = {"a", "b"};
  auto options = workflow::ClassificationFitOptions().training(inference::TrainOptions().epochs(1));
  EXPECT_THROW(workflow::fit_classification(x, y, layout, {"only"}, "t", options), std::invalid_argument);
  EXPECT_THROW(workflow::fit_classification(x, y, layout, {"a", "b"}, "t", options), std::invalid_argument);  // label 2
  EXPECT_THROW(workflow::fit_classification(x, y, layout, {"0", "1", "2"}, "t",
                                            workflow::ClassificationFitOptions().temperature_scaling(true)),
               std::invalid_argument);  // no validation rows
}

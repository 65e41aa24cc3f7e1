// Resumable fits: an ensemble resumed from its last checkpoint file ends with the tensors of the
// uninterrupted fit; a checkpoint from other data or other settings is refused naming the difference.
#include "credence/core/rng.h"
#include "credence/io/training_checkpoint.h"
#include "credence/workflow/fit_regression.h"
#include "credence/workflow/resumable_training.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

namespace credence {
namespace {

struct Data {
  at::Tensor x, y;
};

Data linear_data() {
  auto generator = core::make_generator(21);
  Data d;
  d.x = at::randn({120, 2}, generator);
  d.y = 2.0 * d.x.select(1, 0) - d.x.select(1, 1) + 0.1 * at::randn({120}, generator);
  return d;
}

workflow::RegressionFitOptions ensemble_options(const std::string& checkpoint, const std::string& resume) {
  workflow::RegressionFitOptions options;
  options.network(nn::NetworkOptions().hidden({8}).method(nn::MethodOptions().method(nn::Method::deterministic)));
  options.members(3);
  options.bootstrap(true);
  options.validation_fraction(0.2);
  options.seed(4);
  options.training(inference::TrainOptions().epochs(5).batch_size(16).learning_rate(0.01));
  workflow::CheckpointSettings settings;
  settings.path = checkpoint;
  settings.every = 2;
  settings.resume = resume;
  options.checkpoint(settings);
  return options;
}

std::vector<at::Tensor> member_tensors(workflow::RegressionFit& fit) {
  std::vector<at::Tensor> out;
  for (size_t m = 0; m < fit.model.members.size(); ++m) {
    for (auto& t : inference::training_tensors(fit.model.members[m], fit.model.likelihoods[m].ptr().get())) out.push_back(t);
  }
  return out;
}

TEST(ResumableTraining, AnEnsembleResumedFromItsLastCheckpointEndsWithTheSameTensors) {
  testing::TemporaryDirectory dir;
  const auto data = linear_data();
  auto full = workflow::fit_regression(data.x, data.y, {"a", "b"}, "y", ensemble_options(dir.path("ck"), ""));
  // The last checkpoint: member 3 after epoch 4, with members 1 and 2 finished.
  const auto checkpoint = io::load_training_checkpoint(dir.path("ck"));
  ASSERT_EQ(checkpoint.completed.size(), 2u);
  EXPECT_EQ(checkpoint.current.epochs_done, 4);
  auto resumed = workflow::fit_regression(data.x, data.y, {"a", "b"}, "y", ensemble_options("", dir.path("ck")));
  const auto a = member_tensors(full), b = member_tensors(resumed);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i], b[i])) << "tensor " << i;
  ASSERT_EQ(resumed.histories.size(), 3u);
  EXPECT_EQ(resumed.histories[0].best_epoch, full.histories[0].best_epoch);
  EXPECT_EQ(resumed.histories[2].epochs.back().loss, full.histories[2].epochs.back().loss);
  EXPECT_TRUE(resumed.warnings.empty());
}

TEST(ResumableTraining, OtherDataOrSettingsAreRefusedNamingTheDifference) {
  testing::TemporaryDirectory dir;
  auto data = linear_data();
  workflow::fit_regression(data.x, data.y, {"a", "b"}, "y", ensemble_options(dir.path("ck"), ""));

  auto options = ensemble_options("", dir.path("ck"));
  options.training(options.training().learning_rate(0.02));
  auto message = testing::error_message_of([&] { workflow::fit_regression(data.x, data.y, {"a", "b"}, "y", options); });
  EXPECT_NE(message.find("settings.learning_rate is 0.01 in the checkpoint and 0.02 here"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.path("ck")), std::string::npos) << message;

  auto changed = data.y.clone();
  changed[7] += 1.0;
  message = testing::error_message_of(
      [&] { workflow::fit_regression(data.x, changed, {"a", "b"}, "y", ensemble_options("", dir.path("ck"))); });
  EXPECT_NE(message.find("targets is 120 Float, crc32"), std::string::npos) << message;

  message = testing::error_message_of(
      [&] { workflow::fit_regression(data.x, data.y, {"b", "a"}, "y", ensemble_options("", dir.path("ck"))); });
  EXPECT_NE(message.find("features"), std::string::npos) << message;

  auto laplace = ensemble_options(dir.path("other"), "");
  laplace.members(1);
  laplace.bootstrap(false);
  laplace.posterior("laplace");
  message = testing::error_message_of([&] { workflow::fit_regression(data.x, data.y, {"a", "b"}, "y", laplace); });
  EXPECT_NE(message.find("not by --method laplace"), std::string::npos) << message;
}

TEST(ResumableTraining, FingerprintDifferenceNamesTheFirstChangedField) {
  const nlohmann::json saved = {{"seed", 1}, {"settings", {{"epochs", 10}, {"batch_size", 32}}}, {"threads", 2}};
  auto here = saved;
  EXPECT_EQ(workflow::fingerprint_difference(saved, here), "");
  here["threads"] = 4;  // threads only warn
  EXPECT_EQ(workflow::fingerprint_difference(saved, here), "");
  here["settings"]["batch_size"] = 64;
  EXPECT_EQ(workflow::fingerprint_difference(saved, here), "settings.batch_size is 32 in the checkpoint and 64 here");
  here = saved;
  here["settings"].erase("epochs");
  EXPECT_EQ(workflow::fingerprint_difference(saved, here), "settings.epochs is 10 in the checkpoint and absent here");
}

}  // namespace
}  // namespace credence

// The checkpoint file keeps every field: undefined optimiser moments, NaN validation records, the
// generator's bytes, the finished members; a model file is refused as a checkpoint.
#include "credence/core/rng.h"
#include "credence/io/archive.h"
#include "credence/io/training_checkpoint.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace credence {
namespace {

io::TrainingCheckpoint example_checkpoint() {
  io::TrainingCheckpoint checkpoint;
  checkpoint.fingerprint_json = R"({"inputs":"10x2 Float, crc32 01234567","seed":3})";
  io::CompletedMember member;
  member.tensors = {at::arange(6, at::kFloat).reshape({2, 3}), at::tensor({1.5})};
  member.history.epochs = {{1, 2.0, 1.5, 0.5, 0.25}, {2, 1.0, 0.75, 0.25, 0.125}};
  member.history.best_epoch = 2;
  member.history.stopped_early = true;
  member.history.seconds = 0.5;
  checkpoint.completed.push_back(member);
  auto& state = checkpoint.current;
  state.epochs_done = 1;
  state.records = {{1, 3.0, 2.0, 1.0, std::nan("")}};
  state.best_score = 0.7;
  state.best_epoch = 1;
  state.epochs_since_best = 0;
  state.tensors = {at::ones({3, 2}), at::Tensor(), at::full({4}, 2.0, at::kDouble)};
  state.best_tensors = {};
  state.optimizer = {at::tensor(std::vector<int64_t>{12}), at::Tensor(), at::zeros({2})};
  auto generator = core::make_generator(9);
  state.generator_state = generator.get_state();
  return checkpoint;
}

TEST(TrainingCheckpoint, AFileRoundTripKeepsEveryField) {
  testing::TemporaryDirectory dir;
  const auto original = example_checkpoint();
  io::save_training_checkpoint(dir.path("ck"), original);
  const auto read = io::load_training_checkpoint(dir.path("ck"));
  EXPECT_EQ(nlohmann::json::parse(read.fingerprint_json), nlohmann::json::parse(original.fingerprint_json));
  ASSERT_EQ(read.completed.size(), 1u);
  EXPECT_TRUE(at::equal(read.completed[0].tensors[0], original.completed[0].tensors[0]));
  EXPECT_EQ(read.completed[0].history.epochs[1].validation_nll, 0.125);
  EXPECT_EQ(read.completed[0].history.best_epoch, 2);
  EXPECT_TRUE(read.completed[0].history.stopped_early);
  const auto& state = read.current;
  EXPECT_EQ(state.epochs_done, 1);
  EXPECT_TRUE(std::isnan(state.records[0].validation_nll));
  EXPECT_EQ(state.records[0].kl, 1.0);
  EXPECT_EQ(state.best_score, 0.7);
  ASSERT_EQ(state.tensors.size(), 3u);
  EXPECT_FALSE(state.tensors[1].defined());
  EXPECT_TRUE(at::equal(state.tensors[2], original.current.tensors[2]));
  EXPECT_EQ(state.tensors[2].scalar_type(), at::kDouble);
  EXPECT_TRUE(state.best_tensors.empty());
  ASSERT_EQ(state.optimizer.size(), 3u);
  EXPECT_EQ(state.optimizer[0].item<int64_t>(), 12);
  EXPECT_FALSE(state.optimizer[1].defined());
  // The generator continues with the same draws.
  auto a = core::make_generator(1), b = core::make_generator(2);
  a.set_state(original.current.generator_state);
  b.set_state(state.generator_state);
  EXPECT_TRUE(at::equal(at::randn({5}, a), at::randn({5}, b)));
}

TEST(TrainingCheckpoint, AnotherKindOfFileIsRefused) {
  testing::TemporaryDirectory dir;
  io::Archive archive;
  archive.metadata_json = R"({"kind":"regression_network"})";
  io::write_archive(dir.path("model"), archive);
  const auto message = testing::error_message_of([&] { io::load_training_checkpoint(dir.path("model")); });
  EXPECT_NE(message.find("not a training checkpoint"), std::string::npos) << message;
  EXPECT_NE(message.find(dir.path("model")), std::string::npos) << message;
}

}  // namespace
}  // namespace credence

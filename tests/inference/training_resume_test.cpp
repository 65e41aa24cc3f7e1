// Resuming a training from a checkpointed state gives the same tensors as a training that never
// stopped: for both steps (fused and autograd), every method, a learned noise variance, and with a
// validation score whose best epoch is restored at the end.
#include "credence/core/rng.h"
#include "credence/inference/trainer.h"
#include "credence/nn/method.h"
#include "credence/nn/network_spec.h"
#include "credence/nn/network_presets.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace credence {
namespace {

struct Problem {
  at::Tensor x, y, x_validation, y_validation;
};

Problem sine_problem() {
  auto generator = core::make_generator(11);
  Problem p;
  p.x = at::rand({96, 2}, generator) * 4.0 - 2.0;
  p.y = at::sin(p.x.select(1, 0)) + 0.3 * p.x.select(1, 1) + 0.1 * at::randn({96}, generator);
  p.x_validation = at::rand({32, 2}, generator) * 4.0 - 2.0;
  p.y_validation = at::sin(p.x_validation.select(1, 0)) + 0.3 * p.x_validation.select(1, 1);
  return p;
}

struct Run {
  std::vector<at::Tensor> tensors;
  inference::TrainingHistory history;
  std::vector<inference::TrainingState> saved;
};

// One training from seed 5: with `resume`, from that state; checkpoints every 2 epochs are kept.
Run train_once(nn::Method method, bool fused, bool validated, const std::shared_ptr<const inference::TrainingState>& resume) {
  const auto problem = sine_problem();
  auto generator = core::make_generator(5);
  auto net = nn::Network(nn::apply_method(nn::mlp_spec(2, {16, 16}, 1),
                                          nn::MethodOptions().method(method).dropout(0.1).prior(core::PriorOptions().sigma(1.0))));
  net->set_generator(generator);
  net->reset_parameters();
  inference::GaussianLikelihood likelihood;
  Run run;
  inference::TrainingCheckpoints checkpoints;
  checkpoints.every = 2;
  checkpoints.save = [&run](const inference::TrainingState& state) { run.saved.push_back(state); };
  checkpoints.resume = resume;
  auto options = inference::TrainOptions().epochs(7).batch_size(20).learning_rate(0.01).fused(fused).checkpoints(checkpoints);
  inference::ValidationScore validation;
  if (validated) {
    validation = [&] {
      auto mean = net->forward(problem.x_validation).squeeze(1);
      return (mean - problem.y_validation).pow(2).mean().item<double>();
    };
  }
  run.history = inference::train(net, likelihood, problem.x, problem.y, options, generator, validation);
  for (const auto& t : inference::training_tensors(net, likelihood.ptr().get())) run.tensors.push_back(t.detach().clone());
  return run;
}

void expect_identical(const Run& resumed, const Run& full) {
  ASSERT_EQ(resumed.tensors.size(), full.tensors.size());
  for (size_t i = 0; i < full.tensors.size(); ++i) {
    EXPECT_TRUE(at::equal(resumed.tensors[i], full.tensors[i])) << "tensor " << i;
  }
  ASSERT_EQ(resumed.history.epochs.size(), full.history.epochs.size());
  for (size_t e = 0; e < full.history.epochs.size(); ++e) {
    EXPECT_EQ(resumed.history.epochs[e].loss, full.history.epochs[e].loss) << "epoch " << e + 1;
  }
  EXPECT_EQ(resumed.history.best_epoch, full.history.best_epoch);
}

TEST(TrainingResume, EveryCheckpointResumesToTheUninterruptedTensors) {
  for (auto method : {nn::Method::bbb, nn::Method::mcdropout, nn::Method::deterministic}) {
    for (bool fused : {true, false}) {
      for (bool validated : {false, true}) {
        SCOPED_TRACE(std::string(nn::to_string(method)) + (fused ? " fused" : " autograd") +
                     (validated ? " validated" : ""));
        const auto full = train_once(method, fused, validated, nullptr);
        // Epochs 2, 4 and 6 of 7: never after the last epoch.
        ASSERT_EQ(full.saved.size(), 3u);
        for (const auto& state : full.saved) {
          SCOPED_TRACE("resumed after epoch " + std::to_string(state.epochs_done));
          expect_identical(train_once(method, fused, validated, std::make_shared<inference::TrainingState>(state)), full);
        }
        // Without the optimiser's moments, the resumed run differs: the test sees what it checks.
        auto stripped = full.saved.front();
        for (auto& t : stripped.optimizer) {
          if (t.defined() && t.is_floating_point()) t = at::zeros_like(t);
        }
        const auto broken = train_once(method, fused, validated, std::make_shared<inference::TrainingState>(stripped));
        bool any_different = false;
        for (size_t i = 0; i < full.tensors.size(); ++i) any_different |= !at::equal(broken.tensors[i], full.tensors[i]);
        EXPECT_TRUE(any_different);
      }
    }
  }
}

TEST(TrainingResume, AStateOfAnotherNetworkOrPastTheEndIsRefused) {
  const auto full = train_once(nn::Method::bbb, true, false, nullptr);
  auto wrong = full.saved.front();
  wrong.tensors.pop_back();
  EXPECT_THROW(train_once(nn::Method::bbb, true, false, std::make_shared<inference::TrainingState>(wrong)),
               std::invalid_argument);
  auto other_method = full.saved.front();
  EXPECT_THROW(train_once(nn::Method::deterministic, true, false, std::make_shared<inference::TrainingState>(other_method)),
               std::invalid_argument);
  auto past = full.saved.back();
  past.epochs_done = 7;
  past.records.resize(7);
  EXPECT_THROW(train_once(nn::Method::bbb, true, false, std::make_shared<inference::TrainingState>(past)),
               std::invalid_argument);
}

}  // namespace
}  // namespace credence

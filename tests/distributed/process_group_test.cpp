// The c10d process group on loopback, with its ranks as threads of this process: sums of known
// tensors (across buckets), settings compared, the environment read as torchrun writes it, and
// data-parallel training against one process.
#include "credence/distributed/local_ranks.h"
#include "credence/distributed/process_group.h"
#include "credence/core/rng.h"
#include "credence/inference/trainer.h"
#include "credence/nn/network_spec.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <future>
#include <thread>

using namespace credence;
using namespace credence::testing;

namespace {

distributed::LaunchSettings settings_of(int rank, int world, int port) {
  distributed::LaunchSettings s;
  s.rank = rank;
  s.world_size = world;
  s.master_address = "127.0.0.1";
  s.master_port = port;
  s.timeout = std::chrono::seconds(20);
  return s;
}

// Runs body(group) on `world` ranks, each a thread with its own process group; returns what each
// rank's body returned, in rank order (a rank's exception is rethrown here).
template <typename Result>
std::vector<Result> on_ranks(int world, const std::function<Result(distributed::ProcessGroup&)>& body) {
  const int port = distributed::free_local_port();
  std::vector<std::future<Result>> futures;
  for (int r = 0; r < world; ++r) {
    futures.push_back(std::async(std::launch::async, [=] {
      distributed::ProcessGroup group(settings_of(r, world, port));
      return body(group);
    }));
  }
  std::vector<Result> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

}  // namespace

TEST(ProcessGroup, SumsKnownTensorsOnEveryRankAcrossBuckets) {
  // Rank r holds r + 1 in a tensor larger than a bucket and (r + 1) * k in small ones, so the sums
  // are 1 + 2 + 3 = 6 and 6k; the float64 values sum to 6 and 14 (1 + 4 + 9).
  const int64_t large = distributed::ProcessGroup::kBucketBytes / 4 + 1000;
  auto results = on_ranks<std::vector<at::Tensor>>(3, [&](distributed::ProcessGroup& group) {
    const double r = group.rank() + 1.0;
    std::vector<at::Tensor> tensors{at::full({3, 4}, r), at::full({large}, r), at::full({7}, 2 * r), at::full({1}, 3 * r)};
    group.sum(tensors);
    const auto values = group.sum(std::vector<double>{r, r * r});
    tensors.push_back(at::tensor(values, kDouble));
    return tensors;
  });
  for (const auto& t : results) {
    EXPECT_TRUE(at::equal(t[0], at::full({3, 4}, 6.0)));
    EXPECT_TRUE(at::equal(t[1], at::full({large}, 6.0)));
    EXPECT_TRUE(at::equal(t[2], at::full({7}, 12.0)));
    EXPECT_TRUE(at::equal(t[3], at::full({1}, 18.0)));
    EXPECT_DOUBLE_EQ(t[4][0].item<double>(), 6.0);
    EXPECT_DOUBLE_EQ(t[4][1].item<double>(), 14.0);
  }
}

TEST(ProcessGroup, DifferentSettingsAreRefusedOnEveryRankNamingTheRank) {
  auto messages = on_ranks<std::string>(3, [](distributed::ProcessGroup& group) {
    return error_message_of([&] { group.check_same("options", group.rank() == 2 ? "--epochs 3" : "--epochs 2"); });
  });
  for (int r = 0; r < 3; ++r) {
    EXPECT_NE(messages[r].find("rank 2 was started with different options from rank 0"), std::string::npos) << messages[r];
  }
  auto same = on_ranks<std::string>(2, [](distributed::ProcessGroup& group) {
    return error_message_of([&] { group.check_same("options", "--epochs 2"); });
  });
  EXPECT_EQ(same[0], "no error");
  EXPECT_EQ(same[1], "no error");
}

TEST(ProcessGroup, ReadsTorchrunsEnvironment) {
  ::unsetenv("WORLD_SIZE");
  EXPECT_FALSE(distributed::launch_settings_from_environment().has_value());
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("LOCAL_RANK", "1", 1);
  ::setenv("LOCAL_WORLD_SIZE", "2", 1);
  ::setenv("MASTER_ADDR", "10.0.0.7", 1);
  ::setenv("MASTER_PORT", "29511", 1);
  const auto s = distributed::launch_settings_from_environment();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->world_size, 4);
  EXPECT_EQ(s->rank, 3);
  EXPECT_EQ(s->local_rank, 1);
  EXPECT_EQ(s->local_world_size, 2);
  EXPECT_EQ(s->master_address, "10.0.0.7");
  EXPECT_EQ(s->master_port, 29511);
  ::setenv("RANK", "4", 1);
  EXPECT_EQ(error_message_of([] { distributed::launch_settings_from_environment(); }),
            "environment: RANK=4 is not below WORLD_SIZE=4");
  ::setenv("RANK", "1", 1);
  ::setenv("MASTER_PORT", "http", 1);
  EXPECT_EQ(error_message_of([] { distributed::launch_settings_from_environment(); }),
            "environment: MASTER_PORT='http' is not a whole number of at least 1");
  ::unsetenv("MASTER_ADDR");
  EXPECT_EQ(error_message_of([] { distributed::launch_settings_from_environment(); }),
            "environment: MASTER_ADDR is not set (the address of rank 0; torchrun sets it)");
  for (const char* name : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_PORT"}) ::unsetenv(name);
}

TEST(ProcessGroup, APortInUseIsOneLine) {
  const int port = distributed::free_local_port();
  // The first group serves the port; a second job's rank 0 on it is refused.
  auto first = std::async(std::launch::async, [&] {
    auto s = settings_of(0, 2, port);
    s.timeout = std::chrono::seconds(3);
    return error_message_of([&] { distributed::ProcessGroup group(s); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto s = settings_of(0, 2, port);
  s.timeout = std::chrono::seconds(3);
  const auto message = error_message_of([&] { distributed::ProcessGroup group(s); });
  EXPECT_EQ(message, "rank 0 of 2: cannot serve the rendezvous on 127.0.0.1:" + std::to_string(port) +
                         ": the port is in use; set another MASTER_PORT");
  // The first one waited for its rank 1, which never came.
  EXPECT_NE(first.get().find("ranks joined within 3 s"), std::string::npos);
}

namespace {

// Classification data: three Gaussian classes in 6 dimensions (or 1 x 6 x 6 images), n rows.
std::pair<at::Tensor, at::Tensor> three_classes(int64_t n, bool images) {
  auto g = core::make_generator(5);
  auto labels = at::randint(0, 3, {n}, g, at::TensorOptions().dtype(at::kLong));
  auto centres = at::randn({3, images ? 36 : 6}, g);
  auto x = centres.index_select(0, labels) + 0.8 * at::randn({n, images ? 36 : 6}, g);
  if (images) x = x.view({n, 1, 6, 6});
  return {x.contiguous(), labels};
}

std::vector<at::Tensor> parameters_after_training(const nn::NetworkSpec& spec, bool images, int64_t n, int64_t batch,
                                                  bool fused, const inference::ReplicaGroupPointer& replicas,
                                                  std::uint64_t seed = 2) {
  auto [x, labels] = three_classes(n, images);
  auto net = seeded_network(spec, seed);
  auto generator = core::make_generator(seed + 9);
  auto options = inference::TrainOptions().epochs(2).batch_size(batch).learning_rate(1e-2).fused(fused).replicas(replicas);
  inference::train_classifier(net, x, labels, options, generator);
  std::vector<at::Tensor> out;
  for (auto& p : net->parameters()) out.push_back(p.detach().clone());
  return out;
}

nn::NetworkSpec spec_of(const std::string& json) { return nn::NetworkSpec::from_json(nlohmann::json::parse(json), "test"); }

// The largest absolute difference between two parameter lists.
double largest_difference(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  double largest = 0.0;
  for (size_t i = 0; i < a.size(); ++i) largest = std::max(largest, (a[i] - b[i]).abs().max().item<double>());
  return largest;
}

}  // namespace

// Two replicas with a global batch B against one process with batch B, two epochs (1-row
// remainder batches included: 301 rows in batches of 20 split 10 + 10, the last 1 + 0 rows):
// the fused step (bbb with local reparameterization, dropout, deterministic) and the autograd
// step of a deterministic CNN draw what one process draws, so the parameters differ only by the
// order of float32 sums: a gradient summed as two halves moves by about 1e-7 of its size, and 32
// Adam steps of lr = 0.01 carry that to differences of order 1e-7 (seen on network seeds 2, 3 and 4: 6e-8 to 4.8e-7); 1e-5
// leaves room for other machines' summation orders and is far below what one different noise
// draw or one different shuffle would do (order 1e-2).
TEST(DataParallelTraining, TwoReplicasMatchOneProcessToFloatRoundOff) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {R"({"input": [6], "layers": [{"type": "bayes_linear", "out_features": 16}, {"type": "relu"},
           {"type": "bayes_linear", "out_features": 3}]})", false},
      {R"({"input": [6], "layers": [{"type": "linear", "out_features": 16}, {"type": "relu"},
           {"type": "mc_dropout", "p": 0.3}, {"type": "linear", "out_features": 3}]})", false},
      {R"({"input": [1, 6, 6], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"},
           {"type": "flatten"}, {"type": "linear", "out_features": 3}]})", true},
  };
  for (const std::uint64_t seed : {2u, 3u, 4u}) {
    for (const auto& [json, images] : cases) {
      SCOPED_TRACE("seed " + std::to_string(seed));
      const auto spec = spec_of(json);
      const bool is_images = images;
      const auto alone = parameters_after_training(spec, is_images, 301, 20, true, nullptr, seed);
      auto replicated = on_ranks<std::vector<at::Tensor>>(2, [&](distributed::ProcessGroup& group) {
        auto self = std::shared_ptr<inference::ReplicaGroup>(&group, [](inference::ReplicaGroup*) {});
        return parameters_after_training(spec, is_images, 301, 20, true, self, seed);
      });
      EXPECT_EQ(largest_difference(replicated[0], replicated[1]), 0.0) << json;
      const double difference = largest_difference(alone, replicated[0]);
      EXPECT_LT(difference, 1e-5) << json;
      // And training moved the parameters far more than that.
      auto start = seeded_network(spec, seed);
      std::vector<at::Tensor> initial;
      for (auto& p : start->parameters()) initial.push_back(p.detach());
      EXPECT_GT(largest_difference(alone, initial), 0.05) << json;
    }
  }
}

// The autograd step of a Bayesian CNN: each replica draws its own noise, so the result is not one
// process's, but every replica applies the same summed update and ends with the same parameters.
TEST(DataParallelTraining, ReplicasOfABayesianCnnStayIdentical) {
  const auto spec = spec_of(R"({"input": [1, 6, 6], "layers": [{"type": "bayes_conv2d", "out_channels": 4,
      "kernel_size": 3, "estimator": "flipout"}, {"type": "relu"}, {"type": "flatten"},
      {"type": "bayes_linear", "out_features": 3}]})");
  auto replicated = on_ranks<std::vector<at::Tensor>>(2, [&](distributed::ProcessGroup& group) {
    auto self = std::shared_ptr<inference::ReplicaGroup>(&group, [](inference::ReplicaGroup*) {});
    return parameters_after_training(spec, true, 120, 16, true, self);
  });
  EXPECT_EQ(largest_difference(replicated[0], replicated[1]), 0.0);
}

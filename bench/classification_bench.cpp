// Classification benchmarks (issue 3), as ratios measured in one run:
//   1. One training epoch of a 784-400-400-10 bbb network (local reparameterization, categorical
//      likelihood) against one deterministic epoch of the same shape, batch 128 (target: at most 2.5),
//      with the fused (hand-written) step and with autograd. The epochs alternate, and the ratio
//      reported is the median of the per-round ratios (the times are the medians of each).
//   2. Monte Carlo class probabilities, S = 100 for 10,000 images, against one deterministic pass
//      (with softmax) over 1,000,000 rows of the same shape (target: at most 1.2).
// Random inputs stand in for MNIST: the cost does not depend on the pixel values.
// Usage: classification_bench [--threads T] [--repeats R] [--training-only]
#include "bench_support.h"
#include "credence/core/rng.h"
#include "credence/inference/categorical_likelihood.h"
#include "credence/inference/trainer.h"
#include "credence/nn/method.h"
#include "credence/nn/network.h"
#include "credence/nn/network_presets.h"
#include "credence/predict/class_probability_samples.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

using namespace credence;

namespace {

nn::Network make_classifier(nn::Method method, at::Generator& g) {
  nn::Network net(nn::apply_method(nn::mlp_spec(784, {400, 400}, 10), nn::MethodOptions().method(method).initial_sigma(0.0067)));
  net->set_generator(g);
  net->reset_parameters();
  return net;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = bench::setup(argc, argv, 3);
  auto g = core::make_generator(1);

  {
    auto x = at::rand({10240, 784}, g);
    auto y = at::randint(0, 10, {10240}, g, at::kLong);
    // One epoch of each network, timed in alternation (the networks keep training from epoch to epoch).
    for (bool fused : {true, false}) {
      auto bbb_net = make_classifier(nn::Method::bbb, g);
      auto det_net = make_classifier(nn::Method::deterministic, g);
      auto options = inference::TrainOptions().epochs(1).batch_size(128).learning_rate(1e-3).fused(fused);
      const auto t = bench::paired_median_seconds([&] { inference::train_classifier(bbb_net, x, y, options, g); },
                                                  [&] { inference::train_classifier(det_net, x, y, options, g); },
                                                  repeats);
      std::printf("training epoch 784-400-400-10, 10,240 rows, batch 128, %-8s: bbb (local) %8.1f ms, "
                  "deterministic %8.1f ms, ratio %5.2f (target <= 2.5)\n",
                  fused ? "fused" : "autograd", t.first * 1e3, t.second * 1e3, t.ratio);
    }
    std::printf("\n");
  }

  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--training-only")) return 0;
  }
  {
    at::NoGradGuard no_grad;
    std::vector<nn::Network> bbb{make_classifier(nn::Method::bbb, g)};
    auto det = make_classifier(nn::Method::deterministic, g);
    det->eval();
    auto test = at::rand({10000, 784}, g);
    auto chunk = at::rand({100000, 784}, g);  // 10 chunks of 100,000 rows: 1,000,000 rows in all
    inference::ClassifierHead head;
    const double mc = bench::median_seconds([&] {
      predict::sample_class_probabilities(bbb, head, test, predict::PredictOptions().samples(100));
    }, repeats);
    const double pass = bench::median_seconds([&] {
      for (int c = 0; c < 10; ++c) at::softmax(det->forward(chunk), 1);
    }, repeats);
    std::printf("MC class probabilities 784-400-400-10, S=100 x 10,000 images : %8.1f ms\n", mc * 1e3);
    std::printf("deterministic pass with softmax, 1,000,000 rows              : %8.1f ms\n", pass * 1e3);
    std::printf("ratio (target <= 1.2)                                        : %8.2f\n", mc / pass);
  }
  return 0;
}

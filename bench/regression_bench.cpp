// Regression benchmarks, as ratios measured in one run (absolute times on a shared machine drift;
// ratios against the same machine's deterministic network do not):
//   1. Monte Carlo prediction, S = 100 over 10,000 rows of an 8-50-50-1 bbb network, against one
//      deterministic pass over 1,000,000 rows of the same shape (target: at most 1.5).
//   2. One training epoch of bbb (local reparameterization) against one deterministic epoch of
//      the same shape and batch size (target: at most 2.5), with the fused and the autograd
//      step; and the epoch time of a UCI-Boston-sized network per method (target: under 2 ms).
//   3. Single-input latency: one row, S = 100, a 784-400-400-1 bbb network (milliseconds).
//   4. The cost of one normal draw in multiply-adds of a large matrix product (the constant
//      behind the per-layer sampling strategy, credence/nn/sampling_cost.h).
// Usage: regression_bench [--threads T] [--repeats R]
#include "bench_support.h"
#include "credence/core/rng.h"
#include "credence/inference/trainer.h"
#include "credence/nn/method.h"
#include "credence/nn/network.h"
#include "credence/nn/network_presets.h"
#include "credence/predict/predictive_samples.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace credence;

namespace {

nn::Network make_net(nn::Method method, int64_t input, std::vector<int64_t> hidden, int64_t output, at::Generator& g) {
  nn::Network net(nn::apply_method(nn::mlp_spec(input, hidden, output), nn::MethodOptions().method(method).initial_sigma(0.05)));
  net->set_generator(g);
  net->reset_parameters();
  return net;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = bench::setup(argc, argv, 5);
  at::NoGradGuard no_grad_for_prediction;
  auto g = core::make_generator(1);

  // 1. Monte Carlo prediction against a deterministic pass over S times the rows.
  {
    inference::GaussianLikelihood likelihood;
    auto bbb = make_net(nn::Method::bbb, 8, {50, 50}, 1, g);
    auto det = make_net(nn::Method::deterministic, 8, {50, 50}, 1, g);
    auto x = at::randn({10000, 8}, g);
    auto big = at::randn({1000000, 8}, g);
    const double mc = bench::median_seconds([&] { predict::sample_predictive(bbb, likelihood, x, predict::PredictOptions().samples(100)); }, repeats);
    const double pass = bench::median_seconds([&] { det->forward(big); }, repeats);
    std::printf("MC prediction 8-50-50-1, S=100 x 10,000 rows : %8.1f ms\n", mc * 1e3);
    std::printf("deterministic pass, 1,000,000 rows          : %8.1f ms\n", pass * 1e3);
    std::printf("ratio (target <= 1.5)                       : %8.2f\n\n", mc / pass);
  }

  // 2. One training epoch, bbb with local reparameterization against deterministic, with the
  //    fused (hand-written) step that train() picks by default and with the autograd step.
  {
    auto epoch_seconds = [&](nn::Method method, int64_t input, std::vector<int64_t> hidden, int64_t rows, int64_t batch,
                             bool fused, int epoch_repeats) {
      auto x = at::randn({rows, input}, g);
      auto y = x.slice(1, 0, 1).squeeze(1).contiguous();
      auto net = make_net(method, input, std::move(hidden), 1, g);
      inference::GaussianLikelihood likelihood;
      auto options = inference::TrainOptions().epochs(1).batch_size(batch).learning_rate(1e-3).fused(fused);
      return bench::median_seconds([&] {
        at::AutoGradMode enable(true);
        inference::train(net, likelihood, x, y, options, g);
      }, epoch_repeats);
    };
    struct Shape {
      const char* name;
      int64_t input;
      std::vector<int64_t> hidden;
      int64_t rows, batch;
    };
    const std::vector<Shape> shapes{{"8-50-50-1, 10,000 rows, batch 32", 8, {50, 50}, 10000, 32},
                                    {"784-400-400-1, 10,240 rows, batch 128", 784, {400, 400}, 10240, 128}};
    for (const auto& shape : shapes) {
      for (bool fused : {true, false}) {
        const double bbb = epoch_seconds(nn::Method::bbb, shape.input, shape.hidden, shape.rows, shape.batch, fused, repeats);
        const double det =
            epoch_seconds(nn::Method::deterministic, shape.input, shape.hidden, shape.rows, shape.batch, fused, repeats);
        std::printf("training epoch %-40s %-8s: bbb %8.1f ms, deterministic %8.1f ms, ratio %5.2f (target <= 2.5)\n",
                    shape.name, fused ? "fused" : "autograd", bbb * 1e3, det * 1e3, bbb / det);
      }
    }
    // UCI Boston's shape (issue 4 asks for well under 2 ms an epoch on one core). An epoch takes
    // milliseconds, so the median is over many more of them than the other figures.
    for (auto method : {nn::Method::bbb, nn::Method::mcdropout, nn::Method::deterministic}) {
      const double fused = epoch_seconds(method, 13, {50}, 455, 32, true, 25 * repeats);
      const double autograd = epoch_seconds(method, 13, {50}, 455, 32, false, 25 * repeats);
      std::printf("epoch of 13-50-1 %-13s on 455 rows, batch 32 (UCI Boston): fused %6.2f ms, autograd %6.2f ms\n",
                  nn::to_string(method).c_str(), fused * 1e3, autograd * 1e3);
    }
    std::printf("\n");
  }

  // 3. Single-input latency.
  {
    inference::GaussianLikelihood likelihood;
    auto net = make_net(nn::Method::bbb, 784, {400, 400}, 1, g);
    auto x = at::rand({1, 784}, g);
    const double latency = bench::median_seconds([&] { predict::sample_predictive(net, likelihood, x, predict::PredictOptions().samples(100)); },
                                   std::max(repeats, 21));
    std::printf("single-row latency 784-400-400-1, S=100    : %8.2f ms\n\n", latency * 1e3);
  }

  // 4. Cost of a normal draw, in multiply-adds of a 1000x1000 product.
  {
    auto a = at::randn({1000, 1000}, g), b = at::randn({1000, 1000}, g);
    auto noise = at::empty({10000000});
    const double product = bench::median_seconds([&] { at::mm(a, b); }, repeats);
    const double normal = bench::median_seconds([&] { noise.normal_(0, 1, g); }, repeats);
    const double flops_per_second = 2e9 / product;
    std::printf("matrix product rate                         : %8.1f GFLOP/s\n", flops_per_second / 1e9);
    std::printf("normal draws                                : %8.2f ns each\n", normal / 1e7 * 1e9);
    std::printf("one normal draw costs                       : %8.0f flops (sampling_cost.h assumes 800)\n",
                normal / 1e7 * flops_per_second);
  }
  return 0;
}

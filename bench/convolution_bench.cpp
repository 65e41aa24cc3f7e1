// Convolutional network benchmarks (issue 11), as ratios measured in one run:
//   1. One training epoch of a bbb CNN against one deterministic epoch of the same spec (batch 128),
//      with local reparameterization (target: at most 2.5; two convolutions per layer are the
//      floor of 2) and with Flipout (target: at most 3.0). The epochs alternate; the ratio is the
//      median of the per-round ratios.
//   2. Monte Carlo class probabilities of the bbb CNN, S = 30 over 10,000 images, against 30
//      deterministic passes over them (target: at most 1.0), and the peak memory of that prediction
//      (target: at most 2 GB), read as the resident set's high-water mark after resetting it.
// Random images stand in for MNIST: the cost does not depend on the pixel values.
// Usage: convolution_bench [--threads T] [--repeats R] [--network lenet5|convnet|SPEC.json] [--rows N]
#include "bench_support.h"
#include "credence/core/rng.h"
#include "credence/inference/categorical_likelihood.h"
#include "credence/inference/trainer.h"
#include "credence/nn/network_options.h"
#include "credence/predict/class_probability_samples.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using namespace credence;

namespace {

std::string argument(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], name)) return argv[i + 1];
  }
  return fallback;
}

nn::Network make_network(const std::string& name, const nn::MethodOptions& method, at::Generator& g) {
  nn::Network net(nn::network_spec_for(nn::NetworkOptions().network(name).method(method), {1, 28, 28}, 10));
  net->set_generator(g);
  net->reset_parameters();
  return net;
}

// The resident set's high-water mark in MB since the last reset (Linux: /proc/self/status VmHWM).
double peak_resident_megabytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kilobytes = 0;
      status >> kilobytes;
      return kilobytes / 1024.0;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1.0;
}

void reset_peak_resident() { std::ofstream("/proc/self/clear_refs") << "5"; }

}  // namespace

int main(int argc, char** argv) {
  const int repeats = bench::setup(argc, argv, 3);
  const std::string network = argument(argc, argv, "--network", "convnet");
  const int64_t rows = std::stoll(argument(argc, argv, "--rows", "6400"));
  auto g = core::make_generator(1);
  std::printf("network %s\n", network.c_str());

  {
    auto x = at::rand({rows, 784}, g);
    auto y = at::randint(0, 10, {rows}, g, at::kLong);
    auto det_net = make_network(network, nn::MethodOptions().method(nn::Method::deterministic), g);
    for (auto estimator : {nn::Estimator::local_reparameterization, nn::Estimator::flipout}) {
      auto bbb_net = make_network(network, nn::MethodOptions().estimator(estimator), g);
      auto options = inference::TrainOptions().epochs(1).batch_size(128).learning_rate(1e-3);
      const auto t = bench::paired_median_seconds([&] { inference::train_classifier(bbb_net, x, y, options, g); },
                                                  [&] { inference::train_classifier(det_net, x, y, options, g); },
                                                  repeats);
      std::printf("training epoch, %lld images, batch 128, bbb (%-7s) %8.1f ms, deterministic %8.1f ms, ratio %5.2f (target <= %s)\n",
                  static_cast<long long>(rows), nn::to_string(estimator).c_str(), t.first * 1e3, t.second * 1e3, t.ratio,
                  estimator == nn::Estimator::flipout ? "3.0" : "2.5");
    }
  }
  {
    at::NoGradGuard no_grad;
    std::vector<nn::Network> bbb{make_network(network, nn::MethodOptions(), g)};
    auto det = make_network(network, nn::MethodOptions().method(nn::Method::deterministic), g);
    det->eval();
    auto test = at::rand({10000, 784}, g);
    inference::ClassifierHead head;
    const int64_t samples = 30;
    const auto t = bench::paired_median_seconds(
        [&] { predict::sample_class_probabilities(bbb, head, test, predict::PredictOptions().samples(samples)); },
        [&] {
          // 30 passes in chunks of 1,000 images (a deterministic pass over 10,000 at once holds a
          // 10,000-image activation for every layer).
          for (int s = 0; s < samples; ++s) {
            for (int64_t start = 0; start < 10000; start += 1000) at::softmax(det->forward(test.slice(0, start, start + 1000)), 1);
          }
        },
        repeats);
    std::printf("MC class probabilities, S = 30 x 10,000 images: %8.1f ms; 30 deterministic passes: %8.1f ms; ratio %5.2f (target <= 1.0)\n",
                t.first * 1e3, t.second * 1e3, t.ratio);
    reset_peak_resident();
    const double before = peak_resident_megabytes();
    predict::sample_class_probabilities(bbb, head, test, predict::PredictOptions().samples(samples));
    std::printf("peak resident memory of that prediction: %.0f MB (before it: %.0f MB; target <= 2048 MB)\n",
                peak_resident_megabytes(), before);
  }
  return 0;
}

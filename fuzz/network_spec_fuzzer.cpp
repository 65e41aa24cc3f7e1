// The network spec of a model file or a user's template on any bytes: JSON, NetworkSpec::from_json,
// the layer registry building every layer for its input shape, one pass and a Monte Carlo pass on
// two rows, and the built spec read back and rebuilt to the same spec.
#include "fuzz_support.h"

#include "credence/nn/network.h"
#include "credence/nn/network_spec.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>

using namespace credence;

namespace {

// Sizes are bounded so that a run stays well inside memory and time: a spec that asks for a
// billion weights is a valid spec, and its allocation failure is LibTorch's, not the reader's.
constexpr double kLargestNumber = 256.0;
constexpr int64_t kLargestInput = 4096;

bool small_enough(const nlohmann::json& j) {
  if (j.is_number()) return std::abs(j.get<double>()) <= kLargestNumber || !std::isfinite(j.get<double>());
  if (j.is_array() || j.is_object()) {
    for (const auto& item : j) {
      if (!small_enough(item)) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !small_enough(j)) return 0;
  fuzz::expect_only_refusals([&] {
    const auto spec = nn::NetworkSpec::from_json(j, "fuzz.json");
    double values = 1.0;
    for (auto d : spec.input) values *= static_cast<double>(d);
    if (spec.input.empty() || values > kLargestInput) return;
    nn::Network net(spec);
    at::NoGradGuard no_grad;
    auto x = at::randn(nn::batch_sizes(2, net->input_shape()));
    auto y = net->forward(x);
    if (y.size(0) != 2) std::abort();
    auto samples = net->forward_samples(x, 3);
    if (samples.size(0) != 3 || samples.size(1) != 2) std::abort();
    // What the network reports as its spec builds the same network again.
    const auto built = net->spec();
    const auto again = nn::NetworkSpec::from_json(built.to_json(), "built.json");
    nn::Network rebuilt(again);
    if (rebuilt->spec().to_json() != built.to_json()) std::abort();
  });
  return 0;
}

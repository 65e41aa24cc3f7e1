// Seeded generators for CPU and accelerator devices.
#include "credence/core/rng.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

namespace credence::core {

at::Generator make_generator(std::uint64_t seed, c10::Device device) {
  if (device.is_cpu()) {
    return at::detail::createCPUGenerator(seed);
  }
  at::Generator generator = at::globalContext().defaultGenerator(device);
  generator.set_current_seed(seed);
  return generator;
}

}  // namespace credence::core

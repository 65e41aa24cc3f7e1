// The seeded generator that every random draw of a run flows from.
#pragma once

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include <cstdint>

namespace credence::core {

// A fresh generator for `device` seeded with `seed`. On the CPU it is a private
// generator; on an accelerator it is the device's default generator, reseeded,
// because ATen draws accelerator noise only from that device's own generator type.
at::Generator make_generator(std::uint64_t seed, c10::Device device = c10::Device(c10::kCPU));

}  // namespace credence::core

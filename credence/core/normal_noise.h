// Standard normal noise in bulk, for the draws a training step needs by the hundred thousand (the
// pre-activation noise of local reparameterization): Philox4x32-10 (Salmon et al. 2011), a
// counter-based generator whose blocks are independent of each other, and the Box-Muller
// transform, written so that the compiler vectorises both. ATen 1.13's normal_ draws each uniform
// from a Mersenne twister one at a time, which cost as much as a tenth of a bbb training step.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>

namespace credence::core {

// One Philox4x32-10 block: four 32-bit words from a 128-bit counter and a 64-bit key.
std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key);

// Fills out[0, n) with independent standard normal draws: element i is a function of (key, i)
// alone, so the result does not depend on how the work is split. Draws lie within
// +-sqrt(2 log 2^25) = +-5.9 (the uniforms behind them have 24 bits).
void fill_standard_normal(float* out, std::int64_t n, std::uint64_t key);
// The draws at positions first .. first + n - 1 of the same stream: element i equals element
// first + i of a fill from 0, so a long stream can be filled piece by piece.
void fill_standard_normal(float* out, std::int64_t n, std::uint64_t key, std::uint64_t first);

// One 64-bit key from `generator` (which moves on by one draw), for the streams above.
std::uint64_t draw_key(at::Generator& generator);

// A float32 CPU tensor of standard normal draws under a key taken from `generator` (which moves
// on by one 64-bit draw), so a seeded generator gives the same noise run after run.
at::Tensor standard_normal(at::IntArrayRef sizes, at::Generator& generator);

}  // namespace credence::core

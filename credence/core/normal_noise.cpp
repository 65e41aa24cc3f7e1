// Philox4x32-10 blocks turned into standard normal draws by the Box-Muller transform.
#include "credence/core/normal_noise.h"

#include "credence/core/vector_math.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/DistributionsHelper.h>
#include <ATen/ops/empty.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace credence::core {

namespace {

// Salmon et al. 2011, section 5: the multipliers and the Weyl sequence that bumps the key.
constexpr std::uint32_t kMultiplier0 = 0xD2511F53u, kMultiplier1 = 0xCD9E8D57u;
constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;

CREDENCE_INLINE inline void philox_rounds(std::uint32_t& c0, std::uint32_t& c1, std::uint32_t& c2, std::uint32_t& c3,
                                          std::uint32_t k0, std::uint32_t k1) {
  for (int round = 0; round < kRounds; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kMultiplier0) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kMultiplier1) * c2;
    const std::uint32_t next0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const std::uint32_t next2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<std::uint32_t>(p1);
    c3 = static_cast<std::uint32_t>(p0);
    c0 = next0;
    c2 = next2;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
}

// Two independent standard normals from two 32-bit words: the radius sqrt(-2 log u) from the top
// 24 bits of the first (u in (0, 1), never 0), and a uniform direction from an angle in [0, pi/4)
// (the top 24 bits of the second) placed in one of the eight octants by the first word's low
// three bits: swapping the coordinates reflects it about the diagonal, and the two signs pick the
// quadrant. On [0, pi/4] the Taylor series of sin to x^9 and cos to x^8 are within 3e-8.
CREDENCE_INLINE inline void box_muller(std::uint32_t radius_bits, std::uint32_t angle_bits, float& z0, float& z1) {
  const float u = (static_cast<float>(static_cast<std::int32_t>(radius_bits >> 8)) + 0.5f) * 0x1p-24f;
  const float radius = std::sqrt(-2.0f * vector_math::log_positive(u));
  const float phi = static_cast<float>(static_cast<std::int32_t>(angle_bits >> 8)) * (0x1p-24f * 0.785398163397448310f);
  const float p2 = phi * phi;
  const float sine =
      phi * (1.0f + p2 * (-1.0f / 6.0f + p2 * (1.0f / 120.0f + p2 * (-1.0f / 5040.0f + p2 * (1.0f / 362880.0f)))));
  const float cosine = 1.0f + p2 * (-0.5f + p2 * (1.0f / 24.0f + p2 * (-1.0f / 720.0f + p2 * (1.0f / 40320.0f))));
  const bool swap = (radius_bits & 1u) != 0, negate_x = (radius_bits & 2u) != 0, negate_y = (radius_bits & 4u) != 0;
  float x = swap ? sine : cosine;
  float y = swap ? cosine : sine;
  x = negate_x ? -x : x;
  y = negate_y ? -y : y;
  z0 = radius * x;
  z1 = radius * y;
}

// Blocks per chunk. A chunk's 4 kChunk values are written word by word (the first words of its
// blocks, then the second words, ...), so the stores are contiguous and the loop vectorises.
constexpr std::int64_t kChunk = 64;
constexpr std::int64_t kChunkValues = 4 * kChunk;

CREDENCE_VECTOR_CLONES
void fill_chunks(float* __restrict out, std::int64_t first_chunk, std::int64_t chunks, std::uint32_t k0, std::uint32_t k1) {
  for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
    float* __restrict o = out + chunk * kChunkValues;
    const std::uint64_t first_block = static_cast<std::uint64_t>(first_chunk + chunk) * kChunk;
    for (std::int64_t j = 0; j < kChunk; ++j) {
      const std::uint64_t block = first_block + static_cast<std::uint64_t>(j);
      std::uint32_t c0 = static_cast<std::uint32_t>(block), c1 = static_cast<std::uint32_t>(block >> 32), c2 = 0, c3 = 0;
      philox_rounds(c0, c1, c2, c3, k0, k1);
      box_muller(c0, c1, o[j], o[kChunk + j]);
      box_muller(c2, c3, o[2 * kChunk + j], o[3 * kChunk + j]);
    }
  }
}

}  // namespace

std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key) {
  philox_rounds(counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
  return counter;
}

void fill_standard_normal(float* out, std::int64_t n, std::uint64_t key) { fill_standard_normal(out, n, key, 0); }

void fill_standard_normal(float* out, std::int64_t n, std::uint64_t key, std::uint64_t first) {
  if (n <= 0) return;
  const auto k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  float part[kChunkValues];
  auto chunk = static_cast<std::int64_t>(first / kChunkValues);
  // A chunk that the range enters part way.
  const auto skip = static_cast<std::int64_t>(first % kChunkValues);
  if (skip > 0) {
    fill_chunks(part, chunk, 1, k0, k1);
    const std::int64_t taken = std::min(n, kChunkValues - skip);
    std::copy(part + skip, part + skip + taken, out);
    out += taken;
    n -= taken;
    ++chunk;
  }
  const std::int64_t full = n / kChunkValues;
  fill_chunks(out, chunk, full, k0, k1);
  const std::int64_t rest = n - full * kChunkValues;
  if (rest > 0) {
    fill_chunks(part, chunk + full, 1, k0, k1);
    std::copy(part, part + rest, out + full * kChunkValues);
  }
}

std::uint64_t draw_key(at::Generator& generator) {
  auto* cpu = at::check_generator<at::CPUGeneratorImpl>(generator);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return cpu->random64();
}

at::Tensor standard_normal(at::IntArrayRef sizes, at::Generator& generator) {
  const auto key = draw_key(generator);
  auto out = at::empty(sizes, at::TensorOptions().dtype(at::kFloat));
  fill_standard_normal(out.data_ptr<float>(), out.numel(), key);
  return out;
}

}  // namespace credence::core

// Branch-free float exp, log, log1p, softplus and sigmoid that the compiler can vectorise inside
// a loop (calls into libm cannot be), for passes over every weight of a network. Cephes-style
// range reduction and polynomials; relative error within a few float ulps (tests/core).
#pragma once

#include <cstdint>
#include <cstring>

// Hot loops that use these functions are compiled for the x86-64 levels v4 (AVX-512), v3 (AVX2
// with FMA) and the default, and picked at load time: Debian's default target (SSE2, no FMA) would
// process 4 floats at a time where the machine may take 8 or 16, and the polynomials below are
// chains of multiply-adds. Mark such a loop's function CREDENCE_VECTOR_CLONES.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CREDENCE_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CREDENCE_VECTOR_CLONES
#endif
// Lambdas and helpers in such a loop must be inlined into each clone: a call left in the loop
// stops its vectorisation. Mark them CREDENCE_INLINE.
#if defined(__GNUC__)
#define CREDENCE_INLINE __attribute__((always_inline))
#else
#define CREDENCE_INLINE
#endif

namespace credence::core::vector_math {

inline float from_bits(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline std::uint32_t to_bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// e^x for x <= 0 (larger x is not needed here); x below -87 gives e^-87, the smallest normal range.
inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  // n = round(x / ln 2): for y <= 0, truncating y - 0.5 rounds to nearest.
  const int n = static_cast<int>(x * 1.44269504088896341f - 0.5f);
  const float fn = static_cast<float>(n);
  // r = x - n ln 2 in two parts (Cody and Waite), |r| <= ln 2 / 2.
  const float r = (x - fn * 0.693359375f) - fn * -2.12194440e-4f;
  // e^r = 1 + r + r^2 P(r), P of degree 5, evaluated by Estrin's scheme: a pass over many weights is
  // bound by the latency of the multiply-add chain, which Horner's rule makes six deep and this three.
  const float r2 = r * r;
  const float p = (1.9875691500e-4f * r + 1.3981999507e-3f) * (r2 * r2) +
                  ((8.3334519073e-3f * r + 4.1665795894e-2f) * r2 + (1.6666665459e-1f * r + 5.0000001201e-1f));
  return (p * r2 + r + 1.0f) * from_bits(static_cast<std::uint32_t>(n + 127) << 23);
}

// log(x) for positive, normal, finite x.
inline float log_positive(float x) {
  const std::uint32_t bits = to_bits(x);
  int exponent = static_cast<int>((bits >> 23) & 0xffu) - 126;
  float m = from_bits((bits & 0x007fffffu) | 0x3f000000u);  // x = m 2^exponent, m in [0.5, 1)
  // Keep m in [sqrt(1/2), sqrt(2)) so the polynomial sees m - 1 near zero.
  const bool small = m < 0.707106781186547524f;
  exponent = small ? exponent - 1 : exponent;
  m = small ? m + m - 1.0f : m - 1.0f;
  // log(1 + m) = m - m^2 / 2 + m^3 Q(m), Q of degree 8, by Estrin's scheme (see exp_nonpositive).
  const float z = m * m;
  const float z2 = z * z;
  const float q = 7.0376836292e-2f * (z2 * z2) +
                  ((-1.1514610310e-1f * m + 1.1676998740e-1f) * z + (-1.2420140846e-1f * m + 1.4249322787e-1f)) * z2 +
                  ((-1.6668057665e-1f * m + 2.0000714765e-1f) * z + (-2.4999993993e-1f * m + 3.3333331174e-1f));
  float y = q * m * z;
  const float fe = static_cast<float>(exponent);
  y += fe * -2.12194440e-4f;
  y -= 0.5f * z;
  return m + y + fe * 0.693359375f;
}

// 2 atanh(s) = log((1 + s) / (1 - s)) for 0 <= s <= 1/3: 2 s (1 + s^2/3 + s^4/5 + ... + s^12/13),
// whose next term is below 2e-8 of the sum. A polynomial with no range reduction, so cheaper
// than log_positive.
inline float two_atanh_small(float s) {
  const float q = s * s;
  const float q2 = q * q;
  const float p = ((1.0f / 13.0f) * q2 + ((1.0f / 11.0f) * q + 1.0f / 9.0f)) * (q2 * q2) +
                  (((1.0f / 7.0f) * q + 1.0f / 5.0f) * q2 + ((1.0f / 3.0f) * q + 1.0f));
  return 2.0f * s * p;
}

// softplus(x) = log(1 + e^x) and its derivative sigmoid(x), from one exponential and one division:
// with t = e^-|x|, 1 / ((1 + t)(2 + t)) gives both 1 / (1 + t) for the sigmoid and t / (2 + t) for
// log1p(t) = 2 atanh(t / (2 + t)). (Out-parameters: GCC does not vectorise a loop around a
// function that returns a struct.)
inline void softplus_and_sigmoid(float x, float& softplus, float& sigmoid) {
  const bool positive = x > 0.0f;
  const float t = exp_nonpositive(positive ? -x : x);  // e^-|x|
  const float a = 1.0f + t, b = 2.0f + t;
  const float reciprocal = 1.0f / (a * b);
  const float inverse = b * reciprocal;  // 1 / (1 + t)
  softplus = (positive ? x : 0.0f) + two_atanh_small(t * a * reciprocal);
  sigmoid = positive ? inverse : t * inverse;
}

}  // namespace credence::core::vector_math

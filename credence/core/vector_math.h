// Branch-free float exp, log, log1p, softplus and sigmoid that the compiler can vectorise inside
// a loop (calls into libm cannot be), for passes over every weight of a network. Cephes-style
// range reduction and polynomials; relative error within a few float ulps (tests/core).
#pragma once

#include <cstdint>
#include <cstring>

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
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * from_bits(static_cast<std::uint32_t>(n + 127) << 23);
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
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  const float fe = static_cast<float>(exponent);
  y += fe * -2.12194440e-4f;
  y -= 0.5f * z;
  return m + y + fe * 0.693359375f;
}

// log(1 + t) for t >= 0, accurate for small t: the rounding of 1 + t is corrected (Goldberg 1991).
inline float log1p_nonnegative(float t) {
  const float u = 1.0f + t;
  const float d = u - 1.0f;
  // u == 1 exactly: log1p(t) = t to float precision. Both sides are computed, then selected, so
  // the loop has no branch.
  const float corrected = log_positive(u) * (t / (d == 0.0f ? 1.0f : d));
  return d == 0.0f ? t : corrected;
}

// softplus(x) = log(1 + e^x) and its derivative sigmoid(x), from one exponential. (Out-parameters:
// GCC does not vectorise a loop around a function that returns a struct.)
inline void softplus_and_sigmoid(float x, float& softplus, float& sigmoid) {
  const bool positive = x > 0.0f;
  const float t = exp_nonpositive(positive ? -x : x);  // e^-|x|
  const float inverse = 1.0f / (1.0f + t);
  softplus = (positive ? x : 0.0f) + log1p_nonnegative(t);
  sigmoid = positive ? inverse : t * inverse;
}

}  // namespace credence::core::vector_math

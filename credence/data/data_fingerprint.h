// data_fingerprint: a short text that tells two tensors of data apart (shape, type and a CRC-32 of
// the values), so that a training checkpoint can refuse to resume on other data.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace credence::data {

// For example "200x3 Float, crc32 9b1f3c2a". Equal values give equal fingerprints on any device.
std::string data_fingerprint(const at::Tensor& values);

}  // namespace credence::data

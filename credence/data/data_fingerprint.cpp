// data_fingerprint: the shape, the type and zlib's CRC-32 of the contiguous CPU values.
#include "credence/data/data_fingerprint.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>

namespace credence::data {

std::string data_fingerprint(const at::Tensor& values) {
  const auto cpu = values.detach().to(at::kCPU).contiguous();
  std::string shape;
  for (int64_t d = 0; d < cpu.dim(); ++d) shape += (d ? "x" : "") + std::to_string(cpu.size(d));
  if (shape.empty()) shape = "scalar";
  const auto* bytes = static_cast<const Bytef*>(cpu.data_ptr());
  const size_t total = cpu.numel() * cpu.element_size();
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < total;) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(total - done, size_t{1} << 30));
    crc = crc32(crc, bytes + done, chunk);
    done += chunk;
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return shape + " " + std::string(c10::toString(cpu.scalar_type())) + ", crc32 " + hex;
}

}  // namespace credence::data

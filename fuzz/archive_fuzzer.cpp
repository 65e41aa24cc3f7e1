// The model file reader and the models built from it. The first byte chooses how the rest is used:
// even, as a whole file (the container's checks); odd, as metadata JSON, a zero byte and the tensor
// data, wrapped here in a valid container with the right lengths and checksum, so that mutations
// reach the tensor table and the models' own checks instead of failing the checksum.
#include "fuzz_support.h"

#include "credence/io/archive.h"
#include "credence/io/classical_archive.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"

#include <zlib.h>

#include <cstring>

using namespace credence;

namespace {

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::string wrapped(const std::string& json, const std::string& blob) {
  std::string out = "CREDENCE";
  put_le(out, io::kArchiveFormatVersion, 4);
  put_le(out, json.size(), 8);
  out += json;
  put_le(out, blob.size(), 8);
  out += blob;
  const auto crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
  put_le(out, crc, 4);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string bytes = rest;
  if (data[0] & 1) {
    const auto zero = rest.find('\0');
    bytes = zero == std::string::npos ? wrapped(rest, "") : wrapped(rest.substr(0, zero), rest.substr(zero + 1));
  }
  fuzz::expect_only_refusals([&] {
    const auto archive = io::parse_archive(bytes, "fuzz.model");
    const auto kind = io::archive_kind(archive);
    if (kind == io::kRegressionNetworkKind) {
      io::regression_model_from_archive(archive);
    } else if (kind == io::kClassificationNetworkKind) {
      io::classification_model_from_archive(archive);
    } else if (io::is_classical_kind(kind)) {
      io::classical_model_from_archive(archive);
    }
  });
  return 0;
}

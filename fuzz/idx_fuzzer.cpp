// The IDX reader on any bytes (plain or gzip, which zlib tells apart), alone or as an images and
// labels pair. The first byte chooses: even, one file; odd, the rest split at a position given by
// the next two bytes into the images and the labels file.
#include "fuzz_support.h"

#include "credence/data/idx_file.h"

using namespace credence;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string& folder = fuzz::scratch_directory();
  if ((data[0] & 1) == 0) {
    fuzz::write_bytes(folder + "/single", data + 1, size - 1);
    fuzz::expect_only_refusals([&] { data::read_idx(folder + "/single"); });
    return 0;
  }
  if (size < 3) return 0;
  const size_t rest = size - 3;
  const size_t split = std::min<size_t>(rest, (static_cast<size_t>(data[1]) << 8) | data[2]);
  fuzz::write_bytes(folder + "/train-images-idx3-ubyte", data + 3, split);
  fuzz::write_bytes(folder + "/train-labels-idx1-ubyte", data + 3 + split, rest - split);
  fuzz::expect_only_refusals([&] { data::read_idx_images(folder, "train", 255.0); });
  return 0;
}

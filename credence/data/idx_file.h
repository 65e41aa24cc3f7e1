// IDX files (the MNIST format), gzip-compressed or plain: reading, writing, and image/label pairs.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::data {

// One IDX file of unsigned bytes.
struct IdxArray {
  std::vector<int64_t> dims;
  at::Tensor values;  // uint8, shape = dims
};

// Reads a gzip or plain IDX file of unsigned bytes (element type 0x08, 1 to 4 dimensions); the
// length must be exactly header + product of dims. Throws std::runtime_error naming the path when
// the file cannot be opened, the magic or header is wrong, the data is truncated or followed by
// trailing bytes, or the gzip stream is corrupt.
IdxArray read_idx(const std::string& path);

// Writes a uint8 tensor (1..4 dims) as IDX, gzip-compressed when `gzip` is true (tests and tools).
// The file is written beside `path` and renamed into place. Throws std::invalid_argument for a
// tensor that IDX cannot hold and std::runtime_error naming the path when writing fails.
void write_idx(const std::string& path, const at::Tensor& values, bool gzip);

// An image set with its labels, as published for MNIST and its relatives.
struct ImageSet {
  at::Tensor images;  // [N, rows*cols] float32, pixel / scale
  at::Tensor labels;  // [N] int64
  int64_t rows = 0, cols = 0;
};

// Reads DIR/PREFIX-images-idx3-ubyte(.gz) and DIR/PREFIX-labels-idx1-ubyte(.gz) (the .gz name is
// tried first, then the plain one; if neither exists the message names the .gz path), PREFIX being
// "train" or "t10k". Checks: images have 3 dims, labels 1 dim, equal counts (the message names both
// files and both counts), scale > 0 (std::invalid_argument; it must also be a normal float32). Pixels
// are divided by `scale` in float32.
ImageSet read_idx_images(const std::string& directory, const std::string& prefix, double scale = 255.0);

}  // namespace credence::data

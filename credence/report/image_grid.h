// Image grids as PNG files: images [N, C, H, W] (C = 1 for grey, 3 for colour) with values in
// [0, 1], laid out `columns` to a row with `padding` pixels between them, encoded by stb's PNG
// writer (Debian's libstb-dev), as generative models show their samples and reconstructions.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::report {

struct ImageGridOptions {
  int64_t columns = 8;
  int64_t padding = 2;          // pixels between the images and around them
  double padding_value = 1.0;   // the padding's colour, in [0, 1]
};

// The grid as 8-bit pixels [rows * H + padding..., columns * W + ..., C] (values rounded from
// value * 255). Throws std::invalid_argument for a shape that is not [N, 1 or 3, H, W], no images,
// or a value that is NaN or outside [0, 1] by more than 1e-6 (a decoder's output that is not a
// probability is a bug to say, not to clamp).
at::Tensor grid_pixels(const at::Tensor& images, const ImageGridOptions& options = {});
// The grid encoded as a PNG file's bytes, and written to `path` atomically (no half-written file).
std::string png_grid(const at::Tensor& images, const ImageGridOptions& options = {});
void write_png_grid(const std::string& path, const at::Tensor& images, const ImageGridOptions& options = {});

// A PNG file's pixels [height, width, channels] (uint8), decoded by stb's reader; throws
// std::runtime_error naming the file when it cannot be read or decoded.
at::Tensor read_png(const std::string& path);

}  // namespace credence::report

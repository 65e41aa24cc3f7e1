// Image grids through stb_image_write and stb_image (libstb-dev builds their implementations).
#include "credence/report/image_grid.h"

#include "credence/data/atomic_file.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace credence::report {

at::Tensor grid_pixels(const at::Tensor& images, const ImageGridOptions& options) {
  if (images.dim() != 4 || (images.size(1) != 1 && images.size(1) != 3) || images.size(0) == 0) {
    throw std::invalid_argument("image grid: expected images [N, 1 or 3, height, width], got " + std::to_string(images.dim()) +
                                " dimensions");
  }
  if (options.columns < 1 || options.padding < 0 || !(options.padding_value >= 0.0 && options.padding_value <= 1.0)) {
    throw std::invalid_argument("image grid: expected at least one column, a non-negative padding and a padding value in [0, 1]");
  }
  const auto values = images.detach().to(at::kDouble).cpu();
  if (at::isnan(values).any().item<bool>()) throw std::invalid_argument("image grid: a pixel is NaN");
  const double lowest = values.min().item<double>(), highest = values.max().item<double>();
  if (lowest < -1e-6 || highest > 1.0 + 1e-6) {
    throw std::invalid_argument("image grid: pixels must lie in [0, 1], got values from " + std::to_string(lowest) + " to " +
                                std::to_string(highest));
  }
  const int64_t n = values.size(0), channels = values.size(1), h = values.size(2), w = values.size(3);
  const int64_t columns = std::min(options.columns, n), rows = (n + columns - 1) / columns, pad = options.padding;
  auto canvas = at::full({rows * (h + pad) + pad, columns * (w + pad) + pad, channels}, options.padding_value, at::kDouble);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = pad + (i / columns) * (h + pad), left = pad + (i % columns) * (w + pad);
    canvas.slice(0, top, top + h).slice(1, left, left + w).copy_(values[i].permute({1, 2, 0}));
  }
  return canvas.clamp(0.0, 1.0).mul(255.0).round().to(at::kByte).contiguous();
}

std::string png_grid(const at::Tensor& images, const ImageGridOptions& options) {
  const auto pixels = grid_pixels(images, options);
  std::string bytes;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  const int height = static_cast<int>(pixels.size(0)), width = static_cast<int>(pixels.size(1));
  const int channels = static_cast<int>(pixels.size(2));
  if (!stbi_write_png_to_func(append, &bytes, width, height, channels, pixels.data_ptr<uint8_t>(), width * channels)) {
    throw std::runtime_error("image grid: the PNG encoder failed");
  }
  return bytes;
}

void write_png_grid(const std::string& path, const at::Tensor& images, const ImageGridOptions& options) {
  data::write_file_atomically(path, png_grid(images, options));
}

at::Tensor read_png(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()),
                                                &width, &height, &channels, 0);
  if (!pixels) throw std::runtime_error(path + ": not a PNG image stb can decode (" + stbi_failure_reason() + ")");
  auto out = at::empty({height, width, channels}, at::kByte);
  std::copy(pixels, pixels + static_cast<size_t>(width) * height * channels, out.data_ptr<uint8_t>());
  stbi_image_free(pixels);
  return out;
}

}  // namespace credence::report

// Reading and writing IDX files through zlib, which reads gzip and plain files alike.
#include "credence/data/idx_file.h"

#include "credence/data/atomic_file.h"
#include "credence/data/input_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace credence::data {

namespace {

constexpr unsigned char kUnsignedByte = 0x08;
constexpr int kMaxDims = 4;
// gzread and gzwrite take an unsigned length and return an int: move at most this much per call.
constexpr size_t kChunk = size_t{1} << 30;
// The data buffer starts at most this large and doubles as data arrives, so that a header claiming
// terabytes fails as truncated instead of allocating them.
constexpr int64_t kFirstAllocation = int64_t{64} << 20;

std::string hex(unsigned value, int digits) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%0*x", digits, value);
  return text;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? "x" : "") + std::to_string(dims[i]);
  return text;
}

// zlib's message for the last error of `file`, without the "PATH: " that zlib puts in front.
std::string zlib_message(gzFile file, const std::string& path) {
  int error = Z_OK;
  std::string text = gzerror(file, &error);
  const std::string prefix = path + ": ";
  if (text.compare(0, prefix.size(), prefix) == 0) text.erase(0, prefix.size());
  return text;
}

// A gzip or plain file opened for reading with zlib, closed at destruction.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    refuse_directory(path, "file");
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) {
      throw std::runtime_error(path + ": cannot open (" + (errno ? std::strerror(errno) : "out of memory") + ")");
    }
    // Before the first read. Large reads bypass the buffer anyway: 64 KiB reads MNIST's 47 MB as fast
    // as 1 MiB does (inflate dominates), and a small buffer keeps opening a file cheap (the IDX fuzzer
    // ran 6 times faster: 1,700 inputs per second instead of 285).
    gzbuffer(file_, 1 << 16);
  }
  ~GzReader() { gzclose_r(file_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to `n` bytes into `buffer`; fewer only at the end of the data. Throws on a read error
  // and on a corrupt or cut-off gzip stream.
  size_t read(void* buffer, size_t n) {
    auto* out = static_cast<unsigned char*>(buffer);
    size_t done = 0;
    while (done < n) {
      const int got = gzread(file_, out + done, static_cast<unsigned>(std::min(n - done, kChunk)));
      if (got < 0) fail();
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    if (done < n) {
      // A gzip stream that stops early ends the data without gzread returning -1: ask for the error.
      int error = Z_OK;
      gzerror(file_, &error);
      if (error != Z_OK) fail();
    }
    return done;
  }

  // True for a plain (not gzip) file; meaningful after the first read.
  bool plain() { return gzdirect(file_) == 1; }

  // "the file holds N bytes" or, for gzip, "the file decompresses to N bytes".
  std::string holds(size_t bytes) {
    return (gzdirect(file_) ? "the file holds " : "the file decompresses to ") + std::to_string(bytes) + " bytes";
  }

 private:
  [[noreturn]] void fail() {
    int error = Z_OK;
    gzerror(file_, &error);
    const std::string text = zlib_message(file_, path_);
    if (error == Z_ERRNO) throw std::runtime_error(path_ + ": read error (" + text + ")");
    throw std::runtime_error(path_ + ": corrupt gzip stream (zlib: " + text + ")");
  }

  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t big_endian(const unsigned char* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | uint32_t{bytes[3]};
}

// DIR/NAME.gz when it exists, else DIR/NAME when that exists, else DIR/NAME.gz (for the message).
std::string gz_or_plain(const std::string& base) {
  std::error_code ignored;
  if (std::filesystem::exists(base + ".gz", ignored)) return base + ".gz";
  if (std::filesystem::exists(base, ignored)) return base;
  return base + ".gz";
}

}  // namespace

namespace {

// The magic number and dimensions, read and checked before any data is allocated.
struct IdxHeader {
  std::vector<int64_t> dims;
  size_t bytes = 0;      // the header's own length
  int64_t expected = 0;  // data bytes it declares
};

IdxHeader read_header(GzReader& in, const std::string& path) {
  unsigned char magic[4];
  size_t got = in.read(magic, sizeof magic);
  if (got < sizeof magic) {
    throw std::runtime_error(path + ": truncated header: " + in.holds(got) +
                             " but an IDX file starts with a 4-byte magic");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    throw std::runtime_error(path + ": not an IDX file: magic " + hex(big_endian(magic), 8) +
                             " (its first two bytes must be zero)");
  }
  if (magic[2] != kUnsignedByte) {
    throw std::runtime_error(path + ": unsupported IDX element type " + hex(magic[2], 2) + " (only " +
                             hex(kUnsignedByte, 2) + ", unsigned byte, is supported)");
  }
  const int ndims = magic[3];
  if (ndims < 1 || ndims > kMaxDims) {
    throw std::runtime_error(path + ": the IDX header declares " + std::to_string(ndims) + " dimensions (1 to " +
                             std::to_string(kMaxDims) + " are supported)");
  }
  IdxHeader header;
  header.bytes = 4 + 4 * static_cast<size_t>(ndims);
  unsigned char sizes[4 * kMaxDims];
  got = in.read(sizes, 4 * static_cast<size_t>(ndims));
  if (got < 4 * static_cast<size_t>(ndims)) {
    throw std::runtime_error(path + ": truncated header: " + std::to_string(ndims) + " dimensions need a " +
                             std::to_string(header.bytes) + "-byte header but " + in.holds(sizeof magic + got));
  }
  bool empty = false;
  for (int i = 0; i < ndims; ++i) {
    header.dims.push_back(big_endian(sizes + 4 * i));
    empty = empty || header.dims.back() == 0;
  }
  // The non-zero dimensions must multiply to a size that a file can hold even when another one is
  // zero: an empty array of 2^31 x 2^31 x 2^17 x 0 cannot be given that shape (the count overflows).
  int64_t product = 1;
  const int64_t limit = std::numeric_limits<int64_t>::max() - static_cast<int64_t>(header.bytes);
  for (int64_t d : header.dims) {
    if (d == 0) continue;
    if (product > limit / d) {
      throw std::runtime_error(path + ": the IDX header declares " + dims_text(header.dims) +
                               " bytes of data, more than any file can hold");
    }
    product *= d;
  }
  header.expected = empty ? 0 : product;
  return header;
}

IdxArray read_body(GzReader& in, const std::string& path, IdxHeader header) {
  const int64_t expected = header.expected;
  const std::string declared = "header says " + dims_text(header.dims) + " unsigned bytes (" +
                               std::to_string(static_cast<int64_t>(header.bytes) + expected) + " bytes with the header)";
  // A plain file's size is known: a header that claims more data than the file holds is truncated
  // without allocating anything.
  struct stat info {};
  if (in.plain() && ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
      expected > static_cast<int64_t>(info.st_size) - static_cast<int64_t>(header.bytes)) {
    throw std::runtime_error(path + ": truncated: " + declared + " but " + in.holds(static_cast<size_t>(info.st_size)));
  }
  // Straight into the tensor's buffer, in large reads; the buffer only outgrows kFirstAllocation as
  // the data keeps coming.
  at::Tensor data = at::empty({std::min(expected, kFirstAllocation)}, at::kByte);
  int64_t filled = 0;
  while (true) {
    const auto wanted = static_cast<size_t>(data.numel() - filled);
    filled += static_cast<int64_t>(in.read(data.data_ptr<uint8_t>() + filled, wanted));
    if (filled < data.numel() || data.numel() == expected) break;
    at::Tensor grown = at::empty({std::min(expected, 2 * data.numel())}, at::kByte);
    grown.narrow(0, 0, filled).copy_(data);
    data = grown;
  }
  if (filled < expected) {
    throw std::runtime_error(path + ": truncated: " + declared + " but " +
                             in.holds(header.bytes + static_cast<size_t>(filled)));
  }
  unsigned char rest[1 << 16];
  size_t trailing = 0;
  while (true) {
    const size_t n = in.read(rest, sizeof rest);
    trailing += n;
    if (n < sizeof rest) break;
  }
  if (trailing > 0) {
    throw std::runtime_error(path + ": trailing bytes: " + declared + " but " +
                             in.holds(header.bytes + static_cast<size_t>(expected) + trailing));
  }
  IdxArray array;
  array.dims = std::move(header.dims);
  array.values = data.view(array.dims);
  return array;
}

// An images (3 dimensions) or labels (1 dimension) file: the dimensions are checked from the
// header, before the data is read, so that a labels file given as images says so.
IdxArray read_idx_of_rank(const std::string& path, size_t rank) {
  GzReader in(path);
  auto header = read_header(in, path);
  if (header.dims.size() != rank) {
    const bool images = rank == 3;
    std::string message = path + ": expected " + (images ? "3 dimensions (images x rows x columns)" : "1 dimension (labels)") +
                          ", found " + std::to_string(header.dims.size()) + " (" + dims_text(header.dims) + ")";
    if (images && header.dims.size() == 1) message += "; this is a labels file (magic 0x00000801), not an images file";
    if (!images && header.dims.size() == 3) message += "; this is an images file (magic 0x00000803), not a labels file";
    throw std::runtime_error(message);
  }
  return read_body(in, path, std::move(header));
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  GzReader in(path);
  auto header = read_header(in, path);
  return read_body(in, path, std::move(header));
}

void write_idx(const std::string& path, const at::Tensor& values, bool gzip) {
  if (!values.defined()) throw std::invalid_argument(path + ": write_idx was given an undefined tensor");
  if (values.scalar_type() != at::kByte) {
    throw std::invalid_argument(path + ": write_idx writes uint8 tensors only, got " +
                                std::string(c10::toString(values.scalar_type())));
  }
  if (values.dim() < 1 || values.dim() > kMaxDims) {
    throw std::invalid_argument(path + ": write_idx writes tensors of 1 to " + std::to_string(kMaxDims) +
                                " dimensions, got " + std::to_string(values.dim()));
  }
  std::string header{'\0', '\0', static_cast<char>(kUnsignedByte), static_cast<char>(values.dim())};
  for (int64_t d : values.sizes()) {
    if (d > int64_t{std::numeric_limits<uint32_t>::max()}) {
      throw std::invalid_argument(path + ": dimension " + std::to_string(d) + " does not fit the 32-bit IDX header");
    }
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  const at::Tensor data = values.to(at::kCPU).contiguous();

  // Beside the destination, then renamed over it: readers never see half a file.
  AtomicFile file(path);
  const int descriptor = ::dup(file.descriptor());  // gzclose closes its own copy
  errno = 0;
  gzFile out = descriptor >= 0 ? gzdopen(descriptor, gzip ? "wb6" : "wbT") : nullptr;  // T: plain, no gzip wrapper
  if (!out) {
    if (descriptor >= 0) ::close(descriptor);
    throw std::runtime_error(path + ": cannot write (" + (errno ? std::strerror(errno) : "out of memory") + ")");
  }
  bool ok = gzwrite(out, header.data(), static_cast<unsigned>(header.size())) == static_cast<int>(header.size());
  const uint8_t* bytes = data.numel() > 0 ? data.data_ptr<uint8_t>() : nullptr;
  size_t left = static_cast<size_t>(data.numel());
  while (ok && left > 0) {
    const auto n = static_cast<unsigned>(std::min(left, kChunk));
    ok = gzwrite(out, bytes, n) == static_cast<int>(n);
    bytes += n;
    left -= n;
  }
  std::string why = ok ? "" : zlib_message(out, file.temporary_path());
  errno = 0;
  if (gzclose_w(out) != Z_OK && ok) {
    ok = false;
    why = errno ? std::strerror(errno) : "closing the file failed";
  }
  if (!ok) throw std::runtime_error(path + ": write failed (" + why + ")");
  file.commit();
}

ImageSet read_idx_images(const std::string& directory, const std::string& prefix, double scale) {
  // Pixels are divided in float32: the scale must be a positive normal float32 (NaN fails too).
  if (!(scale >= std::numeric_limits<float>::min() && scale <= std::numeric_limits<float>::max())) {
    std::ostringstream message;
    message << "read_idx_images: scale must be a number > 0 that float32 holds, got " << scale;
    throw std::invalid_argument(message.str());
  }
  const auto divisor = static_cast<float>(scale);
  if (prefix != "train" && prefix != "t10k") {
    throw std::invalid_argument("read_idx_images: prefix must be \"train\" or \"t10k\", got \"" + prefix + "\"");
  }
  const std::string images_path = gz_or_plain(directory + "/" + prefix + "-images-idx3-ubyte");
  const std::string labels_path = gz_or_plain(directory + "/" + prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx_of_rank(images_path, 3);
  IdxArray labels = read_idx_of_rank(labels_path, 1);
  const int64_t count = images.dims[0];
  if (count != labels.dims[0]) {
    throw std::runtime_error(images_path + " holds " + std::to_string(count) + " images but " + labels_path +
                             " holds " + std::to_string(labels.dims[0]) + " labels");
  }
  ImageSet set;
  set.rows = images.dims[1];
  set.cols = images.dims[2];
  if (set.rows > 0 && set.cols > std::numeric_limits<int64_t>::max() / set.rows) {
    throw std::runtime_error(images_path + ": images of " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                             " pixels are too large");
  }
  // One pass: uint8 in, float32 out, divided on the way (in float: a double divisor makes it 3x slower).
  set.images = at::empty({count, set.rows * set.cols}, at::kFloat);
  at::div_out(set.images, images.values.view({count, set.rows * set.cols}), at::scalar_tensor(divisor, at::kFloat));
  set.labels = labels.values.to(at::kLong);
  return set;
}

}  // namespace credence::data

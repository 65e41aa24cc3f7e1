// Reading an input file whole.
#include "credence/data/input_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace credence::data {

void refuse_directory(const std::string& path, const std::string& what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    throw std::runtime_error(path + ": is a directory, not a " + what);
  }
}

std::string read_input_file(const std::string& path, const std::string& what) {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    throw std::runtime_error(path + ": cannot open " + what + " (" + std::strerror(errno) + ")");
  }
  struct Closer {
    int descriptor;
    ~Closer() { ::close(descriptor); }
  } closer{descriptor};
  struct stat info {};
  if (::fstat(descriptor, &info) == 0 && S_ISDIR(info.st_mode)) {
    throw std::runtime_error(path + ": is a directory, not a " + what);
  }
  std::string contents;
  if (S_ISREG(info.st_mode) && info.st_size > 0) contents.reserve(static_cast<size_t>(info.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t got = ::read(descriptor, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(path + ": read error (" + std::strerror(errno) + ")");
    }
    contents.append(buffer, static_cast<size_t>(got));
  }
  return contents;
}

std::string shown_text(std::string_view text) {
  constexpr size_t kLongest = 40;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kLongest; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kLongest) out += "...";
  return out;
}

}  // namespace credence::data

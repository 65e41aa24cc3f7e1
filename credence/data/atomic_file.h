// Writing a file so that readers see either the old file or the whole new one, never half, and
// so that nothing but a regular file is ever replaced.
#pragma once

#include <cstddef>
#include <string>

namespace credence::data {

// The path that names standard output for the writers that accept it (write_output, write_csv).
inline constexpr const char* kStandardOutput = "-";

// Checks that `path` may be written as a regular file, before any work is done, and returns the
// file that will be written: `path` itself, or, when `path` is a symbolic link, the file it points
// to (links are written through, as a shell's `>` does, and stay links). Throws std::runtime_error
// naming the path when it is empty, a directory, a named pipe, a device or a socket, a file without
// write permission, a link loop, or lies in a directory that does not exist.
std::string check_output_file(const std::string& path);

// A file written beside its destination and renamed over it by commit(). The temporary file is
// DIR/.NAME.credence-tmp-XXXXXX in the destination's own directory (so the rename is atomic); it
// is removed by the destructor when commit() was not reached, and by SIGINT, SIGTERM and SIGHUP
// while it exists (the process then dies of the signal as it would have). SIGKILL cannot be
// caught: a file of that name left behind is a temporary that can be deleted.
class AtomicFile {
 public:
  // Checks the destination (check_output_file) and creates the temporary file.
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes; throws naming the destination on a write error (a full disk, for one).
  void write(const void* bytes, size_t size);
  // The open file descriptor of the temporary file, for writers that need one (zlib).
  int descriptor() const { return descriptor_; }
  // Flushes to disk, keeps the permissions of the file it replaces, renames over the destination.
  void commit();

  const std::string& destination() const { return destination_; }
  const std::string& temporary_path() const { return temporary_; }

 private:
  void discard() noexcept;

  std::string path_;         // as given, for messages
  std::string destination_;  // symbolic links followed
  std::string temporary_;
  int descriptor_ = -1;
  int slot_ = -1;            // in the registry of temporary files removed on a signal
  bool committed_ = false;
};

// Writes `contents` to `path` through an AtomicFile.
void write_file_atomically(const std::string& path, const std::string& contents);

// Writes `contents` to standard output when `path` is "-", else as write_file_atomically.
void write_output(const std::string& path, const std::string& contents);

}  // namespace credence::data

// Archive: the credence model file, named tensors plus a JSON metadata document, checksummed.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace credence::io {

// The version of the model file written by this library (see archive.cpp). Version 2 stores a
// network as its spec (nn/network_spec.h); version 1 (credence 0.1 before the spec) stored MLP
// options, and is still read.
inline constexpr std::uint32_t kArchiveFormatVersion = 2;
inline constexpr std::uint32_t kOldestArchiveFormatVersion = 1;

// Thrown for a file that is missing, not a credence model, truncated, corrupted or of an unknown version.
class ArchiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Archive {
  // A JSON object; it always carries "kind" (what the model is) once written.
  std::string metadata_json = "{}";
  // Named float32 or float64 or int64 tensors (moved to the CPU and made contiguous when written).
  std::vector<std::pair<std::string, at::Tensor>> tensors;

  void add(const std::string& name, const at::Tensor& tensor);
  // The tensor of that name; throws ArchiveError naming `path` when absent.
  const at::Tensor& get(const std::string& name) const;
  bool has(const std::string& name) const;
  std::string path;  // set by read_archive, for messages
  std::uint32_t format_version = kArchiveFormatVersion;  // set by read_archive
};

// Writes to a temporary name beside `path`, then renames: never a half-written file.
void write_archive(const std::string& path, const Archive& archive);
// Reads and checks a model file; throws ArchiveError naming `path` for a missing file, a directory,
// bad magic bytes, an unknown version, a truncated or corrupted file (an implausible length field, a
// checksum mismatch, malformed metadata, a tensor outside the data).
Archive read_archive(const std::string& path);
// The same from the file's bytes; `path` names them in messages.
Archive parse_archive(const std::string& bytes, const std::string& path);

// The metadata of a model file that must be of `kind`; throws ArchiveError naming the file when the
// metadata is malformed or the file is of another kind ("is a 'K' model, not <description>").
nlohmann::json metadata_of_kind(const Archive& archive, const std::string& kind, const std::string& description);

// The library version compiled into credence.
std::string library_version();

}  // namespace credence::io

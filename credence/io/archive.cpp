// The model file layout:
//   8 bytes "CREDENCE" | u32 format version | u64 JSON length | JSON | u64 blob length | blob | u32 CRC-32
// The CRC covers every byte before it. Integers are little-endian. The JSON holds the
// caller's metadata plus "tensors": [{name, dtype, shape, offset}] pointing into the blob.
#include "credence/io/archive.h"

#include "credence/data/atomic_file.h"
#include "credence/data/input_file.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cstring>
#include <sstream>

#ifndef CREDENCE_VERSION
#define CREDENCE_VERSION "unknown"
#endif

namespace credence::io {

namespace {

constexpr char kMagic[8] = {'C', 'R', 'E', 'D', 'E', 'N', 'C', 'E'};

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFF);
  out.append(bytes, sizeof(T));
}

template <typename T>
T get_le(const std::string& in, size_t offset) {
  std::uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  return static_cast<T>(value);
}

std::string dtype_name(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    default: throw std::invalid_argument("archive: unsupported tensor type");
  }
}

at::ScalarType dtype_from_name(const std::string& name, const std::string& path) {
  if (name == "float32") return at::kFloat;
  if (name == "float64") return at::kDouble;
  if (name == "int64") return at::kLong;
  throw ArchiveError(path + ": model file is corrupted (unknown tensor type '" + name + "')");
}

std::uint32_t crc32_of(const std::string& bytes, size_t length) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* data = reinterpret_cast<const Bytef*>(bytes.data());
  size_t done = 0;
  while (done < length) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(length - done, 1u << 30));
    crc = crc32(crc, data + done, chunk);
    done += chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace

void Archive::add(const std::string& name, const at::Tensor& tensor) { tensors.emplace_back(name, tensor); }

bool Archive::has(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return true;
  }
  return false;
}

const at::Tensor& Archive::get(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return t;
  }
  throw ArchiveError(path + ": model file lacks tensor '" + name + "'");
}

std::string library_version() { return CREDENCE_VERSION; }

nlohmann::json metadata_of_kind(const Archive& archive, const std::string& kind, const std::string& description) {
  nlohmann::json metadata;
  try {
    metadata = nlohmann::json::parse(archive.metadata_json);
  } catch (const nlohmann::json::exception& e) {
    throw ArchiveError(archive.path + ": metadata: " + std::string(e.what()));
  }
  const auto found = metadata.is_object() ? metadata.value("kind", std::string()) : std::string();
  if (found != kind) throw ArchiveError(archive.path + ": is a '" + found + "' model, not " + description);
  return metadata;
}

void write_archive(const std::string& path, const Archive& archive) {
  nlohmann::json metadata = nlohmann::json::parse(archive.metadata_json);
  metadata["format_version"] = kArchiveFormatVersion;
  metadata["library_version"] = library_version();
  std::string blob;
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [name, tensor] : archive.tensors) {
    auto t = tensor.detach().to(at::kCPU).contiguous();
    const size_t bytes = t.numel() * t.element_size();
    entries.push_back({{"name", name}, {"dtype", dtype_name(t.scalar_type())}, {"shape", t.sizes().vec()}, {"offset", blob.size()}});
    blob.append(static_cast<const char*>(t.data_ptr()), bytes);
  }
  metadata["tensors"] = entries;
  const std::string json = metadata.dump();
  std::string out(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, kArchiveFormatVersion);
  put<std::uint64_t>(out, json.size());
  out += json;
  put<std::uint64_t>(out, blob.size());
  out += blob;
  put<std::uint32_t>(out, crc32_of(out, out.size()));
  data::write_file_atomically(path, out);
}

Archive read_archive(const std::string& path) {
  std::string bytes;
  try {
    bytes = data::read_input_file(path, "model file");
  } catch (const std::runtime_error& e) {
    throw ArchiveError(e.what());
  }
  return parse_archive(bytes, path);
}

Archive parse_archive(const std::string& bytes, const std::string& path) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw ArchiveError(path + ": not a credence model file (bad magic bytes)");
  }
  const size_t header = sizeof kMagic + 4 + 8;
  if (bytes.size() < header) throw ArchiveError(path + ": model file is truncated (" + std::to_string(bytes.size()) + " bytes)");
  const auto version = get_le<std::uint32_t>(bytes, sizeof kMagic);
  if (version < kOldestArchiveFormatVersion || version > kArchiveFormatVersion) {
    throw ArchiveError(path + ": model file has format version " + std::to_string(version) + "; this credence (" +
                       library_version() + ") reads versions " + std::to_string(kOldestArchiveFormatVersion) + " to " +
                       std::to_string(kArchiveFormatVersion));
  }
  const std::uint64_t size = bytes.size();
  auto truncated = [&](std::uint64_t expected) {
    return ArchiveError(path + ": model file is truncated (expected at least " + std::to_string(expected) +
                        " bytes, found " + std::to_string(size) + ")");
  };
  // A length field larger than the whole file is no truncation but a damaged field: say which, and
  // never add it to anything (2^64 - 1 would wrap around).
  auto implausible = [&](const char* field, std::uint64_t length) {
    return ArchiveError(path + ": model file is corrupted (the " + field + " length " + std::to_string(length) +
                        " is implausible: the file holds " + std::to_string(size) + " bytes)");
  };
  const auto json_length = get_le<std::uint64_t>(bytes, sizeof kMagic + 4);
  if (json_length > size) throw implausible("metadata", json_length);
  if (header + json_length + 8 > size) throw truncated(header + json_length + 8);
  const auto blob_length = get_le<std::uint64_t>(bytes, header + json_length);
  const std::uint64_t blob_start = header + json_length + 8;
  if (blob_length > size) throw implausible("tensor data", blob_length);
  if (blob_start + blob_length + 4 > size) throw truncated(blob_start + blob_length + 4);
  const std::uint64_t total = blob_start + blob_length + 4;
  if (size != total) {
    throw ArchiveError(path + ": model file is corrupted (" + std::to_string(size - total) + " trailing bytes)");
  }
  if (get_le<std::uint32_t>(bytes, total - 4) != crc32_of(bytes, total - 4)) {
    throw ArchiveError(path + ": model file is corrupted (checksum mismatch)");
  }
  nlohmann::json metadata;
  try {
    metadata = nlohmann::json::parse(bytes.substr(header, json_length));
  } catch (const nlohmann::json::exception&) {
    throw ArchiveError(path + ": model file is corrupted (metadata is not valid JSON)");
  }
  if (!metadata.is_object()) throw ArchiveError(path + ": model file is corrupted (metadata is not a JSON object)");
  Archive archive;
  archive.path = path;
  auto malformed = [&](const std::string& why) {
    return ArchiveError(path + ": model file is corrupted (malformed tensor table: " + why + ")");
  };
  archive.format_version = version;
  try {
    const auto& entries = metadata.at("tensors");
    if (!entries.is_array()) throw malformed("not a list");
    for (const auto& entry : entries) {
      const auto name = entry.at("name").get<std::string>();
      const auto type = dtype_from_name(entry.at("dtype").get<std::string>(), path);
      const auto outside = [&] {
        return ArchiveError(path + ": model file is corrupted (tensor '" + name + "' lies outside the data)");
      };
      // Whole numbers only (a JSON number such as 1e30 does not convert), and the size checked
      // against the data before anything is allocated.
      const auto& dims = entry.at("shape");
      const auto& offset_field = entry.at("offset");
      if (!dims.is_array() || !offset_field.is_number_unsigned()) throw malformed("tensor '" + name + "' has a malformed shape or offset");
      // The product of the non-zero dimensions stays below 2^62, so that no element count overflows
      // even for an empty tensor.
      constexpr std::uint64_t kMostElements = std::uint64_t{1} << 62;
      std::vector<int64_t> shape;
      std::uint64_t elements = 1;
      bool empty = false;
      for (const auto& dim : dims) {
        if (dim.is_number_integer() && !dim.is_number_unsigned()) throw malformed("tensor '" + name + "' has a negative dimension");
        if (!dim.is_number_unsigned()) throw malformed("tensor '" + name + "' has a malformed shape or offset");
        const auto d = dim.get<std::uint64_t>();
        if (d > kMostElements / elements) throw outside();
        if (d > 0) elements *= d;
        empty = empty || d == 0;
        shape.push_back(static_cast<int64_t>(d));
      }
      const std::uint64_t element_size = at::elementSize(type);
      if (!empty && elements > blob_length / element_size) throw outside();
      const std::uint64_t length = empty ? 0 : elements * element_size;
      const auto offset = offset_field.get<std::uint64_t>();
      if (offset > blob_length || length > blob_length - offset) throw outside();
      auto tensor = at::empty(shape, at::TensorOptions().dtype(type));
      if (length > 0) std::memcpy(tensor.data_ptr(), bytes.data() + blob_start + offset, length);
      archive.add(name, tensor);
    }
  } catch (const nlohmann::json::exception&) {
    throw malformed("a field is missing or of the wrong type");
  }
  metadata.erase("tensors");
  archive.metadata_json = metadata.dump();
  return archive;
}

}  // namespace credence::io

// The on-disk form of one array of a dataset store: a fixed 64-byte header
// (magic, store version, dtype, sizes, crc32) and the raw little-endian payload.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/buffer.h"

namespace segue::store {

// Payloads are the in-memory bytes, so a mapped file *is* the array; a
// big-endian port would need to byte-swap on both sides.
static_assert(std::endian::native == std::endian::little, "the dataset store assumes a little-endian machine");

// Header layout (all fields little-endian; bytes 36..63 are zero, reserved).
constexpr std::size_t kHeaderSize = 64;
constexpr std::string_view kMagic = "SEGUEARR";
constexpr std::size_t kMagicOffset = 0;         // 8 bytes
constexpr std::size_t kVersionOffset = 8;       // u32 store version
constexpr std::size_t kDtypeOffset = 12;        // u32 dtype code
constexpr std::size_t kElementSizeOffset = 16;  // u32 bytes per element
constexpr std::size_t kHeaderSizeOffset = 20;   // u32, always 64
constexpr std::size_t kCountOffset = 24;        // u64 element count
constexpr std::size_t kCrcOffset = 32;          // u32 crc32 of the payload (zlib crc32_z)

enum class Dtype : std::uint32_t { kU8 = 1, kI16 = 2, kI32 = 3, kI64 = 4, kU64 = 5, kF32 = 6 };

std::string_view dtype_name(Dtype dtype);         // "u8", "i32", ...
std::size_t dtype_size(Dtype dtype);              // bytes per element
bool dtype_from_code(std::uint32_t code, Dtype& out);
bool dtype_from_name(std::string_view name, Dtype& out);

template <class T>
constexpr Dtype dtype_of();
template <> constexpr Dtype dtype_of<char>() { return Dtype::kU8; }
template <> constexpr Dtype dtype_of<std::int16_t>() { return Dtype::kI16; }
template <> constexpr Dtype dtype_of<std::int32_t>() { return Dtype::kI32; }
template <> constexpr Dtype dtype_of<std::int64_t>() { return Dtype::kI64; }
template <> constexpr Dtype dtype_of<std::uint64_t>() { return Dtype::kU64; }
template <> constexpr Dtype dtype_of<float>() { return Dtype::kF32; }

// One array as the manifest in meta.json lists it.
struct ArrayEntry {
  std::string name;  // "interactions.items"
  std::string file;  // "interactions.items.bin", relative to the store directory
  Dtype dtype = Dtype::kU8;
  std::uint64_t count = 0;
  std::uint32_t crc32 = 0;
};

std::uint32_t payload_crc32(const void* data, std::size_t bytes);

// Writes header + payload to `path` (which must not exist) and fsyncs it.
// Throws InputError naming the path on any I/O failure.
ArrayEntry write_array_file(const std::string& path, const std::string& name, Dtype dtype, const void* data,
                            std::uint64_t count);

// A memory-mapped array file whose header has been checked against the
// manifest entry and the file size; copy_verified() checks the checksum.
class MappedArrayFile {
 public:
  // Throws InputError (file = path, field = entry.name) for a missing file, a
  // foreign file, a newer store version, a dtype/size/count mismatch or truncation.
  MappedArrayFile(const std::string& path, const ArrayEntry& entry);
  ~MappedArrayFile();
  MappedArrayFile(const MappedArrayFile&) = delete;
  MappedArrayFile& operator=(const MappedArrayFile&) = delete;

  std::uint64_t count() const { return entry_.count; }
  // Copies the payload (count * element size bytes) into `out` while computing
  // its crc32; throws InputError on a checksum mismatch.
  void copy_verified(void* out) const;
  // Checks the payload's crc32 in place (InputError on a mismatch).
  void verify() const;
  // The payload in the mapping, 64-byte aligned; valid while this object lives.
  const void* payload() const { return map_ + kHeaderSize; }

 private:
  std::string path_;
  ArrayEntry entry_;
  const unsigned char* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::size_t payload_bytes_ = 0;
  std::uint32_t header_crc_ = 0;
};

// Reads a whole array of element type T (its dtype must match the entry's).
template <class T>
std::vector<T> read_array(const std::string& path, const ArrayEntry& entry) {
  MappedArrayFile file(path, entry);
  std::vector<T> out(static_cast<std::size_t>(file.count()));
  file.copy_verified(out.data());
  return out;
}

// The same array verified and left in the mapping: the Buffer borrows the
// mapped pages (shared with the page cache and with every other process that
// maps the file) and keeps the mapping alive while it, or a move of it, lives.
// Store writers never change a file in place (a new store is renamed over the
// old one), so the mapping of a loaded store cannot change under it.
template <class T>
Buffer<T> map_array(const std::string& path, const ArrayEntry& entry) {
  auto file = std::make_shared<const MappedArrayFile>(path, entry);
  file->verify();
  if (file->count() == 0) return {};
  const auto* data = static_cast<const T*>(file->payload());
  const auto n = static_cast<std::size_t>(file->count());
  return Buffer<T>::borrow(data, n, std::move(file));
}

}  // namespace segue::store

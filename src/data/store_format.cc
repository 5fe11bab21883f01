// Writing and checking single array files of the dataset store (layout in store_format.h).
#include "data/store_format.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "data/error.h"
#include "data/store.h"

namespace segue::store {

namespace {

constexpr auto kStoreFormatVersion = static_cast<std::uint32_t>(kStoreVersion);

template <class T>
void put(unsigned char* header, std::size_t offset, T value) {
  std::memcpy(header + offset, &value, sizeof(T));
}

template <class T>
T get(const unsigned char* header, std::size_t offset) {
  T value;
  std::memcpy(&value, header + offset, sizeof(T));
  return value;
}

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof(text), "0x%08x", value);
  return text;
}

void write_all(int fd, const std::string& path, const void* data, std::size_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, std::min<std::size_t>(bytes, std::size_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw InputError(path, 0, "", std::string("cannot write: ") + std::strerror(errno));
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string_view dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::kU8: return "u8";
    case Dtype::kI16: return "i16";
    case Dtype::kI32: return "i32";
    case Dtype::kI64: return "i64";
    case Dtype::kU64: return "u64";
    case Dtype::kF32: return "f32";
  }
  return "?";
}

std::size_t dtype_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::kU8: return 1;
    case Dtype::kI16: return 2;
    case Dtype::kI32: return 4;
    case Dtype::kI64: return 8;
    case Dtype::kU64: return 8;
    case Dtype::kF32: return 4;
  }
  return 0;
}

bool dtype_from_code(std::uint32_t code, Dtype& out) {
  if (code < 1 || code > 6) return false;
  out = static_cast<Dtype>(code);
  return true;
}

bool dtype_from_name(std::string_view name, Dtype& out) {
  for (std::uint32_t code = 1; code <= 6; ++code) {
    if (dtype_name(static_cast<Dtype>(code)) == name) {
      out = static_cast<Dtype>(code);
      return true;
    }
  }
  return false;
}

std::uint32_t payload_crc32(const void* data, std::size_t bytes) {
  const auto crc = crc32_z(0L, static_cast<const Bytef*>(data), bytes);
  return static_cast<std::uint32_t>(crc);
}

ArrayEntry write_array_file(const std::string& path, const std::string& name, Dtype dtype, const void* data,
                            std::uint64_t count) {
  const std::size_t bytes = static_cast<std::size_t>(count) * dtype_size(dtype);
  ArrayEntry entry{name, "", dtype, count, payload_crc32(data, bytes)};
  entry.file = path.substr(path.find_last_of('/') + 1);

  unsigned char header[kHeaderSize] = {};
  std::memcpy(header + kMagicOffset, kMagic.data(), kMagic.size());
  put<std::uint32_t>(header, kVersionOffset, kStoreFormatVersion);
  put<std::uint32_t>(header, kDtypeOffset, static_cast<std::uint32_t>(dtype));
  put<std::uint32_t>(header, kElementSizeOffset, static_cast<std::uint32_t>(dtype_size(dtype)));
  put<std::uint32_t>(header, kHeaderSizeOffset, static_cast<std::uint32_t>(kHeaderSize));
  put<std::uint64_t>(header, kCountOffset, count);
  put<std::uint32_t>(header, kCrcOffset, entry.crc32);

  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path, 0, name, std::string("cannot create: ") + std::strerror(errno));
  try {
    write_all(fd, path, header, kHeaderSize);
    if (bytes > 0) write_all(fd, path, data, bytes);
    if (::fsync(fd) != 0) throw InputError(path, 0, name, std::string("cannot fsync: ") + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw InputError(path, 0, name, std::string("cannot close: ") + std::strerror(errno));
  return entry;
}

MappedArrayFile::MappedArrayFile(const std::string& path, const ArrayEntry& entry) : path_(path), entry_(entry) {
  auto fail = [&](const std::string& reason) { throw InputError(path_, 0, entry_.name, reason); };
  // O_NONBLOCK: a FIFO planted under an array's name must not hang the load.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) fail("missing array file (the store is incomplete)");
    fail(std::string("cannot open: ") + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    fail("is not a readable regular file");
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size < kHeaderSize) {
    ::close(fd);
    fail("truncated: the file is " + std::to_string(size) + " bytes, shorter than the " +
         std::to_string(kHeaderSize) + "-byte array header");
  }
  // MAP_POPULATE: the whole payload is read right away, so fault it in at once.
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(std::string("cannot map: ") + std::strerror(errno));
  map_ = static_cast<const unsigned char*>(map);
  map_size_ = size;

  // The destructor does not run if the constructor throws: unmap before failing.
  auto reject = [&](const std::string& reason) {
    ::munmap(const_cast<unsigned char*>(map_), map_size_);
    map_ = nullptr;
    fail(reason);
  };
  if (std::memcmp(map_ + kMagicOffset, kMagic.data(), kMagic.size()) != 0)
    reject("not a segue store array file (no SEGUEARR magic)");
  const auto version = get<std::uint32_t>(map_, kVersionOffset);
  if (version > kStoreFormatVersion)
    reject("written by a newer segue: store version " + std::to_string(version) + "; this build reads up to " +
           std::to_string(kStoreFormatVersion));
  if (version == 0) reject("invalid store version 0 in the array header");
  Dtype dtype;
  const auto code = get<std::uint32_t>(map_, kDtypeOffset);
  if (!dtype_from_code(code, dtype)) reject("unknown dtype code " + std::to_string(code) + " in the array header");
  if (dtype != entry_.dtype)
    reject("dtype mismatch: the header says " + std::string(dtype_name(dtype)) + ", meta.json says " +
           std::string(dtype_name(entry_.dtype)));
  const auto element_size = get<std::uint32_t>(map_, kElementSizeOffset);
  if (element_size != dtype_size(dtype))
    reject("element size " + std::to_string(element_size) + " in the header does not match dtype " +
           std::string(dtype_name(dtype)));
  if (get<std::uint32_t>(map_, kHeaderSizeOffset) != kHeaderSize) reject("header size field is not 64");
  const auto count = get<std::uint64_t>(map_, kCountOffset);
  if (count != entry_.count)
    reject("inconsistent counts: the header says " + std::to_string(count) + " elements, meta.json says " +
           std::to_string(entry_.count));
  header_crc_ = get<std::uint32_t>(map_, kCrcOffset);
  if (header_crc_ != entry_.crc32)
    reject("checksum mismatch: the header says crc32 " + hex32(header_crc_) + ", meta.json says " +
           hex32(entry_.crc32));
  // Compare by division: a corrupt header may claim a count whose byte size overflows.
  const std::size_t available = size - kHeaderSize;
  if (count > available / element_size)
    reject("truncated: the header says " + std::to_string(count) + " elements (" + std::string(dtype_name(dtype)) +
           ") but the file holds only " + std::to_string(available) + " payload bytes");
  payload_bytes_ = static_cast<std::size_t>(count) * element_size;
  if (payload_bytes_ != available)
    reject(std::to_string(available - payload_bytes_) + " unexpected bytes after the " + std::to_string(count) +
           " elements the header announces");
}

MappedArrayFile::~MappedArrayFile() {
  if (map_ != nullptr) ::munmap(const_cast<unsigned char*>(map_), map_size_);
}

void MappedArrayFile::verify() const {
  const uLong crc = crc32_z(0, map_ + kHeaderSize, payload_bytes_);
  if (static_cast<std::uint32_t>(crc) != header_crc_)
    throw InputError(path_, 0, entry_.name,
                     "checksum mismatch: the payload has crc32 " + hex32(static_cast<std::uint32_t>(crc)) +
                         ", the header says " + hex32(header_crc_) + " (the file is corrupt)");
}

void MappedArrayFile::copy_verified(void* out) const {
  // Checksum and copy in cache-sized chunks, so the payload is read from memory once.
  constexpr std::size_t kChunk = std::size_t{1} << 16;
  const unsigned char* payload = map_ + kHeaderSize;
  auto* target = static_cast<unsigned char*>(out);
  uLong crc = 0;
  for (std::size_t offset = 0; offset < payload_bytes_; offset += kChunk) {
    const std::size_t n = std::min(kChunk, payload_bytes_ - offset);
    crc = crc32_z(crc, payload + offset, n);
    std::memcpy(target + offset, payload + offset, n);
  }
  if (static_cast<std::uint32_t>(crc) != header_crc_)
    throw InputError(path_, 0, entry_.name,
                     "checksum mismatch: the payload has crc32 " + hex32(static_cast<std::uint32_t>(crc)) +
                         ", the header says " + hex32(header_crc_) + " (the file is corrupt)");
}

}  // namespace segue::store

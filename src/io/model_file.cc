#include "io/model_file.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/error.h"

namespace segue {
namespace {

static_assert(std::endian::native == std::endian::little, "model files are little-endian; add byte swapping here");

// Header: magic[8], u32 version, u32 section count, u64 payload bytes, u32
// payload crc32, u32 reserved (0). Sections follow: u32 name length, name,
// u32 dtype, u64 element count, [version 2: zero bytes up to the next multiple
// of kModelFileAlignment from the start of the file], count * sizeof(element)
// bytes.
constexpr std::size_t kHeaderBytes = 32;
// The crc pass reads the mapping in chunks and releases each chunk's pages
// after it, so checking a file never makes all of it resident at once.
constexpr std::size_t kCrcChunk = std::size_t{8} << 20;

std::size_t align_up(std::size_t at, std::size_t alignment) { return (at + alignment - 1) / alignment * alignment; }

std::size_t dtype_size(ModelDType type) {
  switch (type) {
    case ModelDType::kBytes: return 1;
    case ModelDType::kInt32: return 4;
    case ModelDType::kInt64: return 8;
    case ModelDType::kUInt64: return 8;
    case ModelDType::kFloat32: return 4;
    case ModelDType::kFloat64: return 8;
  }
  return 0;
}

const char* dtype_name(ModelDType type) {
  switch (type) {
    case ModelDType::kBytes: return "bytes";
    case ModelDType::kInt32: return "int32";
    case ModelDType::kInt64: return "int64";
    case ModelDType::kUInt64: return "uint64";
    case ModelDType::kFloat32: return "float32";
    case ModelDType::kFloat64: return "float64";
  }
  return "unknown";
}

std::uint32_t crc_of(std::uint32_t crc, const void* data, std::size_t bytes) {
  return static_cast<std::uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), bytes));
}

template <class T>
T read_at(std::span<const char> bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// Drops the resident pages wholly inside [data, data + bytes) of a read-only
// file mapping: they are clean, so a later read faults them in again from the
// page cache. Used after a copy or a crc pass, never changes what is read.
void release_pages(const char* data, std::size_t bytes) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

// What a reader's owner() keeps alive: the file mapping (or a buffer holding
// the file), the owner of the memory a reader was given, and aligned copies of
// misaligned sections (version-1 files).
struct ModelFileStorage {
  void* map = nullptr;
  std::size_t map_bytes = 0;
  std::vector<std::uint64_t> buffer;  // the file, when it could not be mapped
  ModelFileOwner parent;
  std::mutex mutex;
  std::map<std::size_t, std::vector<std::uint64_t>> aligned_copies;  // by section offset

  ModelFileStorage() = default;
  ModelFileStorage(const ModelFileStorage&) = delete;
  ModelFileStorage& operator=(const ModelFileStorage&) = delete;
  ~ModelFileStorage() {
    if (map != nullptr) ::munmap(map, map_bytes);
  }
};

ModelWriter::ModelWriter(std::string path, std::uint32_t version) : path_(std::move(path)), version_(version) {
  if (version_ != 1 && version_ != kModelFileVersion) throw std::logic_error("ModelWriter: unknown version");
  temp_path_ = path_ + ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (file_ == nullptr) fail(std::string("cannot create the file: ") + std::strerror(errno));
  const char zeros[kHeaderBytes] = {};
  if (std::fwrite(zeros, 1, kHeaderBytes, file_) != kHeaderBytes) fail("cannot write the header");
  crc_ = crc_of(0, nullptr, 0);
}

ModelWriter::ModelWriter(std::string label, InMemory) : path_(std::move(label)), in_memory_(true) {
  memory_.assign(kHeaderBytes, '\0');
  crc_ = crc_of(0, nullptr, 0);
}

ModelWriter ModelWriter::in_memory(std::string label) { return ModelWriter(std::move(label), InMemory{}); }

ModelWriter::ModelWriter(ModelWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      file_(std::exchange(other.file_, nullptr)),
      in_memory_(other.in_memory_),
      memory_(std::move(other.memory_)),
      version_(other.version_),
      crc_(other.crc_),
      payload_bytes_(other.payload_bytes_),
      sections_(other.sections_),
      names_(std::move(other.names_)),
      committed_(std::exchange(other.committed_, true)) {}

ModelWriter::~ModelWriter() {
  if (committed_ || in_memory_) return;
  if (file_ != nullptr) std::fclose(file_);
  std::error_code ignored;
  std::filesystem::remove(temp_path_, ignored);
}

void ModelWriter::fail(const std::string& what) const { throw InputError(path_, 0, "", what); }

void ModelWriter::write(const void* data, std::size_t bytes) {
  if (bytes == 0) return;
  if (in_memory_) {
    memory_.append(static_cast<const char*>(data), bytes);
  } else if (std::fwrite(data, 1, bytes, file_) != bytes) {
    fail(std::string("write failed: ") + std::strerror(errno));
  }
  crc_ = crc_of(crc_, data, bytes);
  payload_bytes_ += bytes;
}

void ModelWriter::put_raw(std::string_view name, ModelDType type, std::uint64_t count, const void* data,
                          std::size_t bytes) {
  if (committed_) throw std::logic_error("ModelWriter: put after commit");
  if (!names_.emplace(name).second)
    throw std::logic_error("ModelWriter: section '" + std::string(name) + "' written twice");
  const auto name_length = static_cast<std::uint32_t>(name.size());
  const auto code = static_cast<std::uint32_t>(type);
  write(&name_length, sizeof name_length);
  write(name.data(), name.size());
  write(&code, sizeof code);
  write(&count, sizeof count);
  if (version_ >= 2) {
    static constexpr char kZeros[kModelFileAlignment] = {};
    const std::size_t at = kHeaderBytes + payload_bytes_;
    write(kZeros, align_up(at, kModelFileAlignment) - at);
  }
  write(data, bytes);
  ++sections_;
}

void ModelWriter::commit() {
  if (committed_) return;
  char header[kHeaderBytes] = {};
  std::memcpy(header, kModelFileMagic, 8);
  const std::uint32_t reserved = 0;
  std::memcpy(header + 8, &version_, 4);
  std::memcpy(header + 12, &sections_, 4);
  std::memcpy(header + 16, &payload_bytes_, 8);
  std::memcpy(header + 24, &crc_, 4);
  std::memcpy(header + 28, &reserved, 4);
  if (in_memory_) {
    std::memcpy(memory_.data(), header, kHeaderBytes);
    committed_ = true;
    return;
  }
  if (std::fseek(file_, 0, SEEK_SET) != 0 || std::fwrite(header, 1, kHeaderBytes, file_) != kHeaderBytes)
    fail("cannot write the header");
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) fail(std::string("cannot flush the file: ") + std::strerror(errno));
  std::error_code error;
  std::filesystem::rename(temp_path_, path_, error);
  if (error) fail("cannot move " + temp_path_ + " into place: " + error.message());
  committed_ = true;
}

std::string ModelWriter::take_bytes() {
  if (!in_memory_ || !committed_) throw std::logic_error("ModelWriter: take_bytes needs a committed in-memory writer");
  return std::move(memory_);
}

ModelReader::ModelReader(std::string path) : path_(std::move(path)) {
  auto storage = std::make_shared<ModelFileStorage>();
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path_, 0, "", std::string("cannot open the model file: ") + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
    // Read-only and private: the bytes cannot change under the views, and
    // files are replaced by rename, so a newer model never rewrites this inode.
    void* map = ::mmap(nullptr, static_cast<std::size_t>(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      storage->map = map;
      storage->map_bytes = static_cast<std::size_t>(info.st_size);
      bytes_ = std::span<const char>(static_cast<const char*>(map), storage->map_bytes);
      mapped_ = true;
    }
  }
  if (!mapped_) {  // a pipe, an empty file, or a file system without mmap
    std::string data;
    char chunk[1 << 16];
    for (;;) {
      const ssize_t got = ::read(fd, chunk, sizeof chunk);
      if (got == 0) break;
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        ::close(fd);
        throw InputError(path_, 0, "", std::string("cannot read the model file: ") + std::strerror(errno));
      }
      data.append(chunk, static_cast<std::size_t>(got));
    }
    storage->buffer.resize((data.size() + 7) / 8);
    if (!data.empty()) std::memcpy(storage->buffer.data(), data.data(), data.size());
    bytes_ = std::span<const char>(reinterpret_cast<const char*>(storage->buffer.data()), data.size());
  }
  ::close(fd);
  owner_ = storage;
  parse();
}

ModelReader::ModelReader(std::string label, std::span<const char> bytes, ModelFileOwner owner)
    : ModelReader(std::move(label), bytes, std::move(owner), false) {}

ModelReader::ModelReader(std::string label, std::span<const char> bytes, ModelFileOwner owner, bool mapped)
    : path_(std::move(label)), bytes_(bytes), mapped_(mapped) {
  auto storage = std::make_shared<ModelFileStorage>();
  storage->parent = std::move(owner);
  owner_ = storage;
  parse();
}

ModelReader ModelReader::nested(std::string_view name) const {
  const std::string_view bytes = view_string(name);
  ModelReader inner(path_ + "[" + std::string(name) + "]", std::span<const char>(bytes.data(), bytes.size()), owner_,
                    mapped_);
  return inner;
}

void ModelReader::parse() {
  if (bytes_.size() < 8 || std::memcmp(bytes_.data(), kModelFileMagic, 8) != 0)
    throw InputError(path_, 0, "", "not a segue model file (no SEGUEMDL header)");
  if (bytes_.size() < kHeaderBytes) throw InputError(path_, 0, "", "truncated model file (incomplete header)");
  version_ = read_at<std::uint32_t>(bytes_, 8);
  if (version_ == 0 || version_ > kModelFileVersion)
    throw InputError(path_, 0, "", "model file format version " + std::to_string(version_) +
                                       " is not supported (this build reads up to " +
                                       std::to_string(kModelFileVersion) + "); it was written by a newer segue");
  const auto n_sections = read_at<std::uint32_t>(bytes_, 12);
  const auto payload = read_at<std::uint64_t>(bytes_, 16);
  const auto crc = read_at<std::uint32_t>(bytes_, 24);
  if (bytes_.size() - kHeaderBytes != payload)
    throw InputError(path_, 0, "", (bytes_.size() - kHeaderBytes < payload ? "truncated model file: " : "model file has trailing bytes: ") +
                                       std::to_string(bytes_.size() - kHeaderBytes) + " payload bytes, header says " +
                                       std::to_string(payload));
  std::uint32_t computed = crc_of(0, nullptr, 0);
  for (std::size_t at = kHeaderBytes; at < bytes_.size(); at += kCrcChunk) {
    const std::size_t bytes = std::min(kCrcChunk, bytes_.size() - at);
    computed = crc_of(computed, bytes_.data() + at, bytes);
    if (mapped_) release_pages(bytes_.data() + at, bytes);
  }
  if (computed != crc) throw InputError(path_, 0, "", "corrupt model file (crc32 mismatch)");

  // The crc passed, so a bad layout below means a bug in the writer; still
  // check every bound rather than trust it.
  std::size_t at = kHeaderBytes;
  auto need = [&](std::uint64_t bytes) {
    if (bytes > bytes_.size() - at) throw InputError(path_, 0, "", "malformed model file: a section runs past the end");
  };
  for (std::uint32_t s = 0; s < n_sections; ++s) {
    need(4);
    const auto name_length = read_at<std::uint32_t>(bytes_, at);
    at += 4;
    need(name_length);
    std::string name(bytes_.data() + at, name_length);
    at += name_length;
    need(12);
    const auto type = static_cast<ModelDType>(read_at<std::uint32_t>(bytes_, at));
    const auto count = read_at<std::uint64_t>(bytes_, at + 4);
    at += 12;
    if (version_ >= 2) {
      const std::size_t padding = align_up(at, kModelFileAlignment) - at;
      need(padding);
      at += padding;
    }
    const std::size_t size = dtype_size(type);
    if (size == 0) throw InputError(path_, 0, name, "unknown element type in the model file");
    if (count > (bytes_.size() - at) / size) throw InputError(path_, 0, name, "section runs past the end of the file");
    const std::size_t offset = at;
    at += count * size;
    // Two sections of one name: the first would be silently shadowed.
    if (!sections_.try_emplace(name, Section{type, count, offset}).second)
      throw InputError(path_, 0, name, "the section appears twice in the model file (the file is corrupt)");
  }
  if (at != bytes_.size()) throw InputError(path_, 0, "", "malformed model file: bytes after the last section");
}

const ModelReader::Section& ModelReader::find(std::string_view name, ModelDType type) const {
  const auto found = sections_.find(name);
  if (found == sections_.end()) fail(name, "missing from the model file");
  if (found->second.type != type)
    fail(name, std::string("holds ") + dtype_name(found->second.type) + ", expected " + dtype_name(type));
  return found->second;
}

const void* ModelReader::aligned_data(const Section& section, std::size_t alignment) const {
  const char* data = bytes_.data() + section.offset;
  if (reinterpret_cast<std::uintptr_t>(data) % alignment == 0) return data;
  // A version-1 section: one aligned copy per section, kept by the owner.
  auto& storage = *std::static_pointer_cast<ModelFileStorage>(std::const_pointer_cast<void>(owner_));
  const std::lock_guard<std::mutex> lock(storage.mutex);
  auto [copy, added] = storage.aligned_copies.try_emplace(section.offset);
  if (added) {
    const std::size_t bytes = section.count * dtype_size(section.type);
    copy->second.resize((bytes + 7) / 8);
    copy_out(section, copy->second.data());
  }
  return copy->second.data();
}

void ModelReader::copy_out(const Section& section, void* out) const {
  const std::size_t bytes = section.count * dtype_size(section.type);
  // In chunks, releasing each after it is copied: the mapped section and its
  // copy are never both wholly resident.
  for (std::size_t at = 0; at < bytes; at += kCrcChunk) {
    const std::size_t chunk = std::min(kCrcChunk, bytes - at);
    std::memcpy(static_cast<char*>(out) + at, bytes_.data() + section.offset + at, chunk);
    if (mapped_) release_pages(bytes_.data() + section.offset + at, chunk);
  }
}

void ModelReader::release_bytes(const void* data, std::size_t bytes) const {
  const char* begin = static_cast<const char*>(data);
  // Only pages of this reader's mapping (a view of an aligned copy is not).
  if (mapped_ && begin >= bytes_.data() && begin + bytes <= bytes_.data() + bytes_.size()) release_pages(begin, bytes);
}

void ModelReader::fail_count(std::string_view name, std::uint64_t expected, std::uint64_t found) const {
  fail(name, "expected " + std::to_string(expected) + " values, found " + std::to_string(found));
}

void ModelReader::fail(std::string_view section, const std::string& what) const {
  throw InputError(path_, 0, std::string(section), what);
}

// Strings as one byte blob plus offsets, so any byte (newlines included) survives.
void ModelWriter::put_strings(const std::string& name, const std::vector<std::string>& strings) {
  std::vector<std::int64_t> offsets{0};
  std::string blob;
  for (const std::string& s : strings) {
    blob += s;
    offsets.push_back(static_cast<std::int64_t>(blob.size()));
  }
  put(name + ".offsets", offsets);
  put_string(name + ".bytes", blob);
}

std::vector<std::string> ModelReader::get_strings(const std::string& name) const {
  const std::span<const std::int64_t> offsets = view<std::int64_t>(name + ".offsets");
  const std::string_view blob = view_string(name + ".bytes");
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != static_cast<std::int64_t>(blob.size()))
    fail(name + ".offsets", "do not match the string bytes");
  // All offsets first (found by fuzz_model_file): with them ascending from 0 to the blob's size, every
  // substr below is in range; checking a pair only when it was reached let an offset past the end through.
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i)
    if (offsets[i + 1] < offsets[i]) fail(name + ".offsets", "are not ascending");
  std::vector<std::string> strings;
  strings.reserve(offsets.size() - 1);
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
    strings.emplace_back(blob.substr(static_cast<std::size_t>(offsets[i]), static_cast<std::size_t>(offsets[i + 1] - offsets[i])));
  }
  return strings;
}

}  // namespace segue

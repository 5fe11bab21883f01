#include "models/model_file.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <unistd.h>

#include "data/error.h"

namespace segue {
namespace {

static_assert(std::endian::native == std::endian::little, "model files are little-endian; add byte swapping here");

// Header: magic[8], u32 version, u32 section count, u64 payload bytes, u32
// payload crc32, u32 reserved (0). Sections follow: u32 name length, name,
// u32 dtype, u64 element count, count * sizeof(element) bytes.
constexpr std::size_t kHeaderBytes = 32;

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
T read_at(const std::string& bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace

ModelWriter::ModelWriter(std::string path) : path_(std::move(path)) {
  temp_path_ = path_ + ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (file_ == nullptr) fail(std::string("cannot create the file: ") + std::strerror(errno));
  const char zeros[kHeaderBytes] = {};
  if (std::fwrite(zeros, 1, kHeaderBytes, file_) != kHeaderBytes) fail("cannot write the header");
  crc_ = crc_of(0, nullptr, 0);
}

ModelWriter::~ModelWriter() {
  if (committed_) return;
  if (file_ != nullptr) std::fclose(file_);
  std::error_code ignored;
  std::filesystem::remove(temp_path_, ignored);
}

void ModelWriter::fail(const std::string& what) const { throw InputError(path_, 0, "", what); }

void ModelWriter::write(const void* data, std::size_t bytes) {
  if (bytes == 0) return;
  if (std::fwrite(data, 1, bytes, file_) != bytes) fail(std::string("write failed: ") + std::strerror(errno));
  crc_ = crc_of(crc_, data, bytes);
  payload_bytes_ += bytes;
}

void ModelWriter::put_raw(std::string_view name, ModelDType type, std::uint64_t count, const void* data,
                          std::size_t bytes) {
  if (committed_) throw std::logic_error("ModelWriter: put after commit");
  const auto name_length = static_cast<std::uint32_t>(name.size());
  const auto code = static_cast<std::uint32_t>(type);
  write(&name_length, sizeof name_length);
  write(name.data(), name.size());
  write(&code, sizeof code);
  write(&count, sizeof count);
  write(data, bytes);
  ++sections_;
}

void ModelWriter::commit() {
  if (committed_) return;
  char header[kHeaderBytes] = {};
  std::memcpy(header, kModelFileMagic, 8);
  const std::uint32_t reserved = 0;
  std::memcpy(header + 8, &kModelFileVersion, 4);
  std::memcpy(header + 12, &sections_, 4);
  std::memcpy(header + 16, &payload_bytes_, 8);
  std::memcpy(header + 24, &crc_, 4);
  std::memcpy(header + 28, &reserved, 4);
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

ModelReader::ModelReader(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) throw InputError(path_, 0, "", "cannot open the model file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw InputError(path_, 0, "", "cannot read the model file");
  bytes_.resize(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(bytes_.data(), size)) throw InputError(path_, 0, "", "cannot read the model file");
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
  if (crc_of(crc_of(0, nullptr, 0), bytes_.data() + kHeaderBytes, payload) != crc)
    throw InputError(path_, 0, "", "corrupt model file (crc32 mismatch)");

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
    std::string name = bytes_.substr(at, name_length);
    at += name_length;
    need(12);
    const auto type = static_cast<ModelDType>(read_at<std::uint32_t>(bytes_, at));
    const auto count = read_at<std::uint64_t>(bytes_, at + 4);
    at += 12;
    const std::size_t size = dtype_size(type);
    if (size == 0) throw InputError(path_, 0, name, "unknown element type in the model file");
    if (count > (bytes_.size() - at) / size) throw InputError(path_, 0, name, "section runs past the end of the file");
    sections_[name] = Section{type, count, at};
    at += count * size;
  }
  if (at != bytes_.size()) throw InputError(path_, 0, "", "malformed model file: bytes after the last section");
}

const ModelReader::Section& ModelReader::find(std::string_view name, ModelDType type) const {
  const auto found = sections_.find(std::string(name));
  if (found == sections_.end()) fail(name, "missing from the model file");
  if (found->second.type != type)
    fail(name, std::string("holds ") + dtype_name(found->second.type) + ", expected " + dtype_name(type));
  return found->second;
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
  const std::vector<std::int64_t> offsets = get<std::int64_t>(name + ".offsets");
  const std::string blob = get_string(name + ".bytes");
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != static_cast<std::int64_t>(blob.size()))
    fail(name + ".offsets", "do not match the string bytes");
  std::vector<std::string> strings;
  for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
    if (offsets[i + 1] < offsets[i]) fail(name + ".offsets", "are not ascending");
    strings.push_back(blob.substr(static_cast<std::size_t>(offsets[i]), static_cast<std::size_t>(offsets[i + 1] - offsets[i])));
  }
  return strings;
}

}  // namespace segue

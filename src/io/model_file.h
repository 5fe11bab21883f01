// The model file: a versioned, crc32-checked binary file of named, typed
// arrays, written atomically (temp file + rename), read in place through a
// read-only mapping. Layout in docs/MODELS.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace segue {

constexpr char kModelFileMagic[8] = {'S', 'E', 'G', 'U', 'E', 'M', 'D', 'L'};
// Version 2 aligns every section's data to kModelFileAlignment bytes from the
// start of the file; version 1 (unaligned) files still load.
constexpr std::uint32_t kModelFileVersion = 2;
constexpr std::size_t kModelFileAlignment = 64;

// Element type of a section, stored in the file.
enum class ModelDType : std::uint32_t { kBytes = 1, kInt32 = 2, kInt64 = 3, kUInt64 = 4, kFloat32 = 5, kFloat64 = 6 };

template <class T>
constexpr ModelDType model_dtype_of() {
  if constexpr (std::is_same_v<T, char>) return ModelDType::kBytes;
  else if constexpr (std::is_same_v<T, std::int32_t>) return ModelDType::kInt32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return ModelDType::kInt64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return ModelDType::kUInt64;
  else if constexpr (std::is_same_v<T, float>) return ModelDType::kFloat32;
  else {
    static_assert(std::is_same_v<T, double>, "model file sections hold char, int32, int64, uint64, float or double");
    return ModelDType::kFloat64;
  }
}

// Streams sections to `path`.tmp.<pid> and renames it over `path` on commit();
// a writer destroyed without commit() removes its temp file, so a crash or an
// exception never leaves a half-written model under the real name. A writer
// made by in_memory() builds the file in memory instead (take_bytes() after
// commit()): how an outer model stores a nested one without a temp file.
// Write failures throw InputError naming the file. `version` 1 (unaligned) is
// for tests of old files.
class ModelWriter {
 public:
  explicit ModelWriter(std::string path, std::uint32_t version = kModelFileVersion);
  static ModelWriter in_memory(std::string label);
  ~ModelWriter();
  ModelWriter(ModelWriter&& other) noexcept;
  ModelWriter(const ModelWriter&) = delete;
  ModelWriter& operator=(const ModelWriter&) = delete;
  ModelWriter& operator=(ModelWriter&&) = delete;

  template <class T>
  void put(std::string_view name, std::span<const T> data) {
    put_raw(name, model_dtype_of<T>(), data.size(), data.data(), data.size_bytes());
  }
  template <class T>
  void put(std::string_view name, const std::vector<T>& data) {
    put(name, std::span<const T>(data));
  }
  template <class T>
  void put_scalar(std::string_view name, T value) {
    put(name, std::span<const T>(&value, 1));
  }
  void put_string(std::string_view name, std::string_view text) {
    put(name, std::span<const char>(text.data(), text.size()));
  }
  // A list of strings (any bytes): sections "<name>.bytes" and "<name>.offsets".
  void put_strings(const std::string& name, const std::vector<std::string>& strings);

  void commit();
  // The committed file of an in_memory() writer (moved out).
  std::string take_bytes();
  const std::string& path() const { return path_; }

 private:
  struct InMemory {};
  ModelWriter(std::string label, InMemory);
  void put_raw(std::string_view name, ModelDType type, std::uint64_t count, const void* data, std::size_t bytes);
  void write(const void* data, std::size_t bytes);
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  bool in_memory_ = false;
  std::string memory_;  // the whole file when in_memory_
  std::uint32_t version_ = kModelFileVersion;
  std::uint32_t crc_ = 0;
  std::uint64_t payload_bytes_ = 0;
  std::uint32_t sections_ = 0;
  std::set<std::string, std::less<>> names_;  // written so far: a name twice is a bug in the saving model
  bool committed_ = false;
};

// The bytes of a model file kept alive: a read-only mapping of the file (or a
// buffer when the file cannot be mapped). Views into a model file stay valid
// while any copy of the owner lives, so a model keeps its reader's owner() next
// to the spans it holds.
using ModelFileOwner = std::shared_ptr<const void>;

// Reads and checks a model file in place: the file is mapped read-only (no
// copy; the crc is computed over the mapping), and sections are handed out as
// views (zero-copy when the section is aligned, as every version-2 section is)
// or as copies (get). A missing, truncated, corrupt (crc), foreign (magic) or
// newer-version file throws InputError naming the file; so does a missing
// section or one of the wrong type or length, naming the section. Messages are
// built only on failure. Thread-safe for concurrent const calls.
class ModelReader {
 public:
  explicit ModelReader(std::string path);
  // A model file held in memory (e.g. a byte section of another model file):
  // `bytes` must stay valid while `owner` lives. `label` names it in errors.
  ModelReader(std::string label, std::span<const char> bytes, ModelFileOwner owner);

  const std::string& path() const { return path_; }
  std::uint32_t version() const { return version_; }
  bool has(std::string_view name) const { return sections_.find(name) != sections_.end(); }
  // Keeps the file's bytes (and so every view) alive.
  const ModelFileOwner& owner() const { return owner_; }
  // The whole file, header included.
  std::span<const char> bytes() const { return bytes_; }

  // A reader over a byte section that holds a complete model file (a nested
  // model): no copy, sharing this reader's owner. Errors name "PATH[name]".
  ModelReader nested(std::string_view name) const;

  // Zero-copy view of a section. A misaligned section (version-1 files) is
  // copied once into an aligned buffer that owner() keeps alive.
  template <class T>
  std::span<const T> view(std::string_view name) const {
    const Section& section = find(name, model_dtype_of<T>());
    return std::span<const T>(static_cast<const T*>(aligned_data(section, alignof(T))), section.count);
  }
  // A view that must hold exactly `count` elements.
  template <class T>
  std::span<const T> view(std::string_view name, std::uint64_t count) const {
    const Section& section = find(name, model_dtype_of<T>());
    if (section.count != count) fail_count(name, count, section.count);
    return std::span<const T>(static_cast<const T*>(aligned_data(section, alignof(T))), section.count);
  }
  // Drops the resident pages of a view one has finished scanning (e.g. a
  // validation pass): they are read again from the page cache when used.
  // Does not change what the view reads; a no-op unless the file is mapped.
  template <class T>
  void release(std::span<const T> view) const {
    release_bytes(view.data(), view.size_bytes());
  }
  std::string_view view_string(std::string_view name) const {
    const Section& section = find(name, ModelDType::kBytes);
    return std::string_view(bytes_.data() + section.offset, section.count);
  }

  // Copies, for models that modify or repack their arrays. The mapped pages a
  // copy read are released afterwards, so the file is not resident twice.
  template <class T>
  std::vector<T> get(std::string_view name) const {
    const Section& section = find(name, model_dtype_of<T>());
    std::vector<T> out(section.count);
    copy_out(section, out.data());
    return out;
  }
  // A section that must hold exactly `count` elements.
  template <class T>
  std::vector<T> get(std::string_view name, std::uint64_t count) const {
    const Section& section = find(name, model_dtype_of<T>());
    if (section.count != count) fail_count(name, count, section.count);
    std::vector<T> out(section.count);
    copy_out(section, out.data());
    return out;
  }
  template <class T>
  T get_scalar(std::string_view name) const {
    const Section& section = find(name, model_dtype_of<T>());
    if (section.count != 1) fail_count(name, 1, section.count);
    T value;
    std::memcpy(&value, bytes_.data() + section.offset, sizeof(T));
    return value;
  }
  std::string get_string(std::string_view name) const { return std::string(view_string(name)); }
  // What put_strings wrote; fail()s on inconsistent offsets.
  std::vector<std::string> get_strings(const std::string& name) const;

  // Throws InputError(path, 0, section, what): for models rejecting bad arrays.
  [[noreturn]] void fail(std::string_view section, const std::string& what) const;

 private:
  struct Section {
    ModelDType type;
    std::uint64_t count;
    std::size_t offset;  // into bytes_
  };
  struct NameLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a < b; }
  };
  ModelReader(std::string label, std::span<const char> bytes, ModelFileOwner owner, bool mapped);
  void parse();
  const Section& find(std::string_view name, ModelDType type) const;
  const void* aligned_data(const Section& section, std::size_t alignment) const;
  void copy_out(const Section& section, void* out) const;
  void release_bytes(const void* data, std::size_t bytes) const;
  [[noreturn]] void fail_count(std::string_view name, std::uint64_t expected, std::uint64_t found) const;

  std::string path_;
  std::span<const char> bytes_;
  ModelFileOwner owner_;
  bool mapped_ = false;  // bytes_ is a file mapping whose pages may be released
  std::uint32_t version_ = 0;
  std::map<std::string, Section, NameLess> sections_;
};

}  // namespace segue

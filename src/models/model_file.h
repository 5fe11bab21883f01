// The model file: a versioned, crc32-checked binary file of named, typed
// arrays, written atomically (temp file + rename). Layout in docs/MODELS.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace segue {

constexpr char kModelFileMagic[8] = {'S', 'E', 'G', 'U', 'E', 'M', 'D', 'L'};
constexpr std::uint32_t kModelFileVersion = 1;

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
// exception never leaves a half-written model under the real name.
// Write failures throw InputError naming the file.
class ModelWriter {
 public:
  explicit ModelWriter(std::string path);
  ~ModelWriter();
  ModelWriter(const ModelWriter&) = delete;
  ModelWriter& operator=(const ModelWriter&) = delete;

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
  const std::string& path() const { return path_; }

 private:
  void put_raw(std::string_view name, ModelDType type, std::uint64_t count, const void* data, std::size_t bytes);
  void write(const void* data, std::size_t bytes);
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  std::uint32_t crc_ = 0;
  std::uint64_t payload_bytes_ = 0;
  std::uint32_t sections_ = 0;
  bool committed_ = false;
};

// Reads and checks a whole model file. A missing, truncated, corrupt (crc),
// foreign (magic) or newer-version file throws InputError naming the file; so
// does a missing section or one of the wrong type or length, naming the section.
class ModelReader {
 public:
  explicit ModelReader(std::string path);

  const std::string& path() const { return path_; }
  std::uint32_t version() const { return version_; }
  bool has(std::string_view name) const { return sections_.count(std::string(name)) != 0; }

  template <class T>
  std::vector<T> get(std::string_view name) const {
    const Section& section = find(name, model_dtype_of<T>());
    std::vector<T> out(section.count);
    if (section.count != 0) std::memcpy(out.data(), bytes_.data() + section.offset, section.count * sizeof(T));
    return out;
  }
  // A section that must hold exactly `count` elements.
  template <class T>
  std::vector<T> get(std::string_view name, std::uint64_t count) const {
    std::vector<T> out = get<T>(name);
    if (out.size() != count)
      fail(name, "expected " + std::to_string(count) + " values, found " + std::to_string(out.size()));
    return out;
  }
  template <class T>
  T get_scalar(std::string_view name) const {
    return get<T>(name, 1)[0];
  }
  std::string get_string(std::string_view name) const {
    const Section& section = find(name, ModelDType::kBytes);
    return bytes_.substr(section.offset, section.count);
  }
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
  const Section& find(std::string_view name, ModelDType type) const;

  std::string path_;
  std::string bytes_;
  std::uint32_t version_ = 0;
  std::unordered_map<std::string, Section> sections_;
};

}  // namespace segue

// Saving and loading a whole Dataset as a store directory: which arrays exist,
// what meta.json says about them, and the atomic write-then-rename.
#include "data/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "data/error.h"
#include "data/store_format.h"
#include "data/text_source.h"

namespace segue {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
// Written with keys in insertion order, so meta.json reads top-down (format and version first).
using ordered_json = nlohmann::ordered_json;
using store::ArrayEntry;
using store::Dtype;

constexpr const char* kFormat = "segue-dataset";
constexpr const char* kMetaFile = "meta.json";

std::string join(const std::string& dir, const std::string& file) {
  return (!dir.empty() && dir.back() == '/') ? dir + file : dir + "/" + file;
}

std::string errno_text() { return std::strerror(errno); }

// ---------------------------------------------------------------- writing

class ArrayWriter {
 public:
  explicit ArrayWriter(std::string dir) : dir_(std::move(dir)) {}

  template <class T>
  void add(const std::string& name, const std::vector<T>& values) {
    add_raw(name, store::dtype_of<T>(), values.data(), values.size());
  }
  template <class T>
  void add(const std::string& name, const Buffer<T>& values) {
    add_raw(name, store::dtype_of<T>(), values.data(), values.size());
  }
  void add(const std::string& name, const std::string& bytes) {
    add_raw(name, Dtype::kU8, bytes.data(), bytes.size());
  }
  void add_id_map(const std::string& name, const IdMap& map) {
    add(name + ".arena", map.arena());
    add(name + ".offsets", map.offsets());
  }
  // A string column as one byte arena plus n+1 offsets, like an IdMap.
  void add_strings(const std::string& name, const std::vector<std::string>& values) {
    std::string arena;
    std::vector<std::uint64_t> offsets{0};
    offsets.reserve(values.size() + 1);
    for (const auto& value : values) {
      arena += value;
      offsets.push_back(arena.size());
    }
    add(name + ".arena", arena);
    add(name + ".offsets", offsets);
  }

  ordered_json manifest() const {
    ordered_json out = ordered_json::array();
    for (const auto& e : entries_)
      out.push_back({{"name", e.name},
                     {"file", e.file},
                     {"dtype", store::dtype_name(e.dtype)},
                     {"count", e.count},
                     {"crc32", e.crc32}});
    return out;
  }

 private:
  void add_raw(const std::string& name, Dtype dtype, const void* data, std::size_t count) {
    entries_.push_back(store::write_array_file(join(dir_, name + ".bin"), name, dtype, data, count));
  }

  std::string dir_;
  std::vector<ArrayEntry> entries_;
};

void write_attributes(ArrayWriter& w, const std::string& side, const Attributes& attributes) {
  for (std::size_t i = 0; i < attributes.strings.size(); ++i)
    w.add_strings(side + ".strings." + std::to_string(i), attributes.strings[i].values);
  for (std::size_t i = 0; i < attributes.numbers.size(); ++i)
    w.add(side + ".numbers." + std::to_string(i) + ".values", attributes.numbers[i].values);
  w.add_id_map(side + ".tags.vocab", attributes.tags.vocab);
  w.add(side + ".tags.indptr", attributes.tags.indptr);
  w.add(side + ".tags.tokens", attributes.tags.tokens);
  w.add(side + ".tags.counts", attributes.tags.counts);
}

// Every array is written, absent optional ones with count 0, so a store of
// one version always has the same set of files.
void write_arrays(const Dataset& d, ArrayWriter& w) {
  w.add_id_map("users", d.users);
  w.add_id_map("items", d.items);
  w.add_id_map("sessions", d.sessions);
  const Interactions& x = d.interactions;
  w.add("interactions.indptr", x.indptr);
  w.add("interactions.items", x.items);
  w.add("interactions.weights", x.weights);
  w.add("interactions.timestamps", x.timestamps);
  w.add("interactions.events", x.events);
  w.add("interactions.sessions", x.sessions);
  w.add("interactions.positions", x.positions);
  for (std::size_t i = 0; i < x.context.size(); ++i) {
    const std::string prefix = "context." + std::to_string(i);
    w.add_id_map(prefix + ".vocab", x.context[i].vocab);
    w.add(prefix + ".codes", x.context[i].codes);
    w.add(prefix + ".values", x.context[i].values);
  }
  write_attributes(w, "user", d.user_attributes);
  write_attributes(w, "item", d.item_attributes);
  w.add("friends.indptr", d.friends.indptr);
  w.add("friends.neighbors", d.friends.neighbors);
}

ordered_json describe_attributes(const Attributes& attributes) {
  ordered_json strings = ordered_json::array();
  ordered_json numbers = ordered_json::array();
  for (const auto& column : attributes.strings) strings.push_back(column.name);
  for (const auto& column : attributes.numbers) numbers.push_back(column.name);
  return {{"strings", strings}, {"numbers", numbers}};
}

ordered_json make_meta(const Dataset& d, ordered_json manifest) {
  ordered_json events = ordered_json::array();
  for (std::size_t i = 0; i < d.event_names.size(); ++i)
    events.push_back({{"name", d.event_names[i]}, {"signal", d.event_signal[i]}});
  ordered_json context = ordered_json::array();
  for (const auto& column : d.interactions.context)
    context.push_back({{"name", column.name}, {"categorical", column.categorical}});
  return {{"format", kFormat},
          {"store_version", kStoreVersion},
          {"source", d.source},
          {"counts",
           {{"users", d.n_users()},
            {"items", d.n_items()},
            {"sessions", d.sessions.size()},
            {"interactions", d.interactions.size()},
            {"friend_edges", d.friends.edges()}}},
          {"events", events},
          {"context", context},
          {"user_attributes", describe_attributes(d.user_attributes)},
          {"item_attributes", describe_attributes(d.item_attributes)},
          {"arrays", std::move(manifest)}};
}

void write_text_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path, 0, "", "cannot create: " + errno_text());
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = "cannot write: " + errno_text();
      ::close(fd);
      throw InputError(path, 0, "", reason);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced) throw InputError(path, 0, "", "cannot fsync/close: " + errno_text());
}

// A directory's entries (renames, new files) are durable only once it is fsynced itself.
void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw InputError(dir.string(), 0, "", "cannot open directory to fsync: " + errno_text());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw InputError(dir.string(), 0, "", "cannot fsync directory: " + errno_text());
}

enum class Target { kAbsent, kEmptyDir, kStore };

Target inspect_target(const fs::path& target, const std::string& shown) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(target, ec);
  if (!fs::exists(status)) return Target::kAbsent;
  if (fs::is_directory(status)) {
    if (is_dataset_dir(target.string())) return Target::kStore;
    if (fs::is_empty(target, ec) && !ec) return Target::kEmptyDir;
    throw InputError(shown, 0, "",
                     "exists and is not a segue dataset store (a non-empty directory without a segue meta.json); "
                     "refusing to overwrite it");
  }
  throw InputError(shown, 0, "", "exists and is not a directory; refusing to overwrite it");
}

fs::path sibling(const fs::path& target, const char* kind) {
  std::random_device seed;
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), "%08x%08x", seed(), seed());
  return fs::path(target.string() + "." + kind + "-" + std::to_string(::getpid()) + "-" + suffix);
}

// Moves the finished temp directory to `target`. An existing store is swapped
// atomically (RENAME_EXCHANGE), so `target` is never missing; filesystems
// without it fall back to rename-away, rename-in.
void install(const fs::path& tmp, const fs::path& target, Target kind, const std::string& shown) {
  std::error_code ignored;
  if (kind != Target::kStore) {
    // rename(2) replaces an empty directory in one step.
    if (::rename(tmp.c_str(), target.c_str()) != 0)
      throw InputError(shown, 0, "", "cannot move the new store into place: " + errno_text());
  } else if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(tmp, ignored);  // now holds the old store
  } else if (errno == EINVAL || errno == ENOSYS) {
    const fs::path old = sibling(target, "old");
    if (::rename(target.c_str(), old.c_str()) != 0)
      throw InputError(shown, 0, "", "cannot move the old store aside: " + errno_text());
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
      const std::string reason = "cannot move the new store into place: " + errno_text();
      ::rename(old.c_str(), target.c_str());  // put the old store back
      throw InputError(shown, 0, "", reason);
    }
    fs::remove_all(old, ignored);
  } else {
    throw InputError(shown, 0, "", "cannot swap the new store into place: " + errno_text());
  }
  fsync_dir(target.parent_path());
}

// ---------------------------------------------------------------- reading

// Typed access to meta.json; every failure names meta.json and the key.
class MetaReader {
 public:
  explicit MetaReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& reason) const {
    throw InputError(path_, 0, field, reason);
  }
  const json& member(const json& object, const std::string& key, const std::string& field) const {
    if (!object.is_object()) fail(field, "expected a JSON object");
    const auto it = object.find(key);
    if (it == object.end()) fail(field.empty() ? key : field + "." + key, "missing");
    return *it;
  }
  const json& array(const json& object, const std::string& key) const {
    const json& value = member(object, key, "");
    if (!value.is_array()) fail(key, "expected a JSON array");
    return value;
  }
  std::string string(const json& object, const std::string& key, const std::string& field = "") const {
    const json& value = member(object, key, field);
    if (!value.is_string()) fail(field.empty() ? key : field + "." + key, "expected a string");
    return value.get<std::string>();
  }
  bool boolean(const json& object, const std::string& key, const std::string& field) const {
    const json& value = member(object, key, field);
    if (!value.is_boolean()) fail(field + "." + key, "expected true or false");
    return value.get<bool>();
  }
  std::uint64_t count(const json& object, const std::string& key, std::uint64_t max, const std::string& field) const {
    const json& value = member(object, key, field);
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > max)
      fail(field.empty() ? key : field + "." + key, "expected a whole number from 0 to " + std::to_string(max));
    return value.get<std::uint64_t>();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

json read_meta(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, 0, "", "missing meta.json: not a segue dataset store");
  if (!fs::is_regular_file(path, ec)) throw InputError(path, 0, "", "is not a regular file");
  const TextSource source = TextSource::open(path);
  json meta;
  try {
    meta = json::parse(source.text());
  } catch (const json::parse_error& error) {
    const std::size_t line = line_of_offset(source.text(), error.byte > 0 ? error.byte - 1 : 0);
    throw InputError(path, line, "", std::string("not valid JSON: ") + error.what());
  } catch (const json::exception& error) {
    // A number too large for a double (out_of_range.406, "1e400") has no byte offset.
    throw InputError(path, 0, "", std::string("not valid JSON: ") + error.what());
  }
  const MetaReader m(path);
  if (!meta.is_object() || !meta.contains("format") || meta["format"] != kFormat)
    m.fail("format", "not a segue dataset store (expected \"format\": \"segue-dataset\")");
  const std::uint64_t version = m.count(meta, "store_version", std::numeric_limits<std::uint32_t>::max(), "");
  if (version > static_cast<std::uint64_t>(kStoreVersion))
    m.fail("store_version", "written by a newer segue: store version " + std::to_string(version) +
                                "; this build reads up to " + std::to_string(kStoreVersion));
  if (version == 0) m.fail("store_version", "invalid store version 0");
  return meta;
}

class ArrayReader {
 public:
  ArrayReader(std::string dir, const MetaReader& meta, const json& manifest) : dir_(std::move(dir)), meta_(meta) {
    for (const json& item : manifest) {
      Slot slot;
      slot.entry.name = meta_.string(item, "name", "arrays");
      const std::string field = "arrays." + slot.entry.name;
      slot.entry.file = meta_.string(item, "file", field);
      const std::string& file = slot.entry.file;
      // The manifest must not point outside the store directory.
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
        meta_.fail(field + ".file", "expected a plain file name inside the store, got '" + file + "'");
      if (!store::dtype_from_name(meta_.string(item, "dtype", field), slot.entry.dtype))
        meta_.fail(field + ".dtype", "unknown dtype (expected u8, i16, i32, i64, u64 or f32)");
      slot.entry.count = meta_.count(item, "count", std::numeric_limits<std::int64_t>::max(), field);
      slot.entry.crc32 =
          static_cast<std::uint32_t>(meta_.count(item, "crc32", std::numeric_limits<std::uint32_t>::max(), field));
      if (!slots_.emplace(slot.entry.name, slot).second) meta_.fail(field, "listed twice in the manifest");
    }
  }

  template <class T>
  std::vector<T> get(const std::string& name) {
    const ArrayEntry& entry = find(name, store::dtype_of<T>());
    return store::read_array<T>(path_of(entry), entry);
  }

  // Left in place: borrowed from the mapped file (store_format.h, map_array).
  template <class T>
  Buffer<T> mapped(const std::string& name) {
    const ArrayEntry& entry = find(name, store::dtype_of<T>());
    return store::map_array<T>(path_of(entry), entry);
  }

  std::string bytes(const std::string& name) {
    const ArrayEntry& entry = find(name, Dtype::kU8);
    store::MappedArrayFile file(path_of(entry), entry);
    std::string out(static_cast<std::size_t>(file.count()), '\0');
    file.copy_verified(out.data());
    return out;
  }

  // Checked before mapping, so a count that disagrees with meta.json's
  // counts is reported against the array's file, not as a later range error.
  void expect_count(const std::string& name, std::uint64_t expected, const std::string& what) {
    const auto it = slots_.find(name);
    if (it == slots_.end() || it->second.entry.count == expected) return;  // missing: reported by find()
    throw InputError(path_of(it->second.entry), 0, name,
                     "inconsistent counts: the manifest lists " + std::to_string(it->second.entry.count) +
                         " elements but meta.json counts " + what);
  }
  void expect_count_or_empty(const std::string& name, std::uint64_t expected, const std::string& what) {
    const auto it = slots_.find(name);
    if (it != slots_.end() && it->second.entry.count == 0) return;
    expect_count(name, expected, what);
  }

  IdMap id_map(const std::string& name, std::uint64_t size) {
    expect_count(name + ".offsets", size + 1, std::to_string(size) + " ids (+1 offset)");
    return id_map(name);
  }
  // A vocabulary whose size meta.json does not record.
  IdMap id_map(const std::string& name) {
    std::string arena = bytes(name + ".arena");
    std::vector<std::uint64_t> offsets = get<std::uint64_t>(name + ".offsets");
    try {
      return IdMap::from_raw(std::move(arena), std::move(offsets));
    } catch (const std::invalid_argument& error) {
      throw InputError(path_of(slots_.at(name + ".offsets").entry), 0, name, error.what());
    }
  }

  std::vector<std::string> strings(const std::string& name, std::uint64_t rows) {
    expect_count(name + ".offsets", rows + 1, std::to_string(rows) + " rows (+1 offset)");
    const std::string arena = bytes(name + ".arena");
    const std::vector<std::uint64_t> offsets = get<std::uint64_t>(name + ".offsets");
    const std::string offsets_path = path_of(slots_.at(name + ".offsets").entry);
    if (offsets.empty() || offsets.front() != 0 || offsets.back() != arena.size())
      throw InputError(offsets_path, 0, name, "offsets do not span the string arena");
    // All offsets are checked first, so no slice below can reach past the arena.
    for (std::size_t i = 1; i < offsets.size(); ++i)
      if (offsets[i] < offsets[i - 1])
        throw InputError(offsets_path, 0, name, "offsets decrease at row " + std::to_string(i - 1));
    std::vector<std::string> out(offsets.size() - 1);
    for (std::size_t i = 0; i < out.size(); ++i) out[i].assign(arena, offsets[i], offsets[i + 1] - offsets[i]);
    return out;
  }

  // A manifest entry nobody read means the store does not match this version's layout.
  void check_all_used() const {
    for (const auto& [name, slot] : slots_)
      if (!slot.used)
        meta_.fail("arrays." + name, "the manifest lists an array that store version " +
                                         std::to_string(kStoreVersion) + " does not have");
  }

 private:
  struct Slot {
    ArrayEntry entry;
    bool used = false;
  };

  const ArrayEntry& find(const std::string& name, Dtype dtype) {
    const auto it = slots_.find(name);
    if (it == slots_.end()) meta_.fail("arrays", "the manifest does not list the array '" + name + "'");
    if (it->second.entry.dtype != dtype)
      meta_.fail("arrays." + name + ".dtype", "expected " + std::string(store::dtype_name(dtype)) + ", got " +
                                                  std::string(store::dtype_name(it->second.entry.dtype)));
    it->second.used = true;
    return it->second.entry;
  }
  std::string path_of(const ArrayEntry& entry) const { return join(dir_, entry.file); }

  std::string dir_;
  const MetaReader& meta_;
  std::map<std::string, Slot> slots_;
};

struct Counts {
  std::uint64_t users, items, sessions, interactions, friend_edges;
};

Counts read_counts(const MetaReader& m, const json& meta) {
  const json& counts = m.member(meta, "counts", "");
  constexpr std::uint64_t kMaxIds = std::numeric_limits<std::int32_t>::max() - 1;
  constexpr std::uint64_t kMaxEntries = std::numeric_limits<std::int64_t>::max() - 1;
  return {m.count(counts, "users", kMaxIds, "counts"), m.count(counts, "items", kMaxIds, "counts"),
          m.count(counts, "sessions", kMaxIds, "counts"), m.count(counts, "interactions", kMaxEntries, "counts"),
          m.count(counts, "friend_edges", kMaxEntries, "counts")};
}

void read_events(const MetaReader& m, const json& meta, Dataset& d) {
  const json& events = m.array(meta, "events");
  if (events.size() > static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max()))
    m.fail("events", "more event types than a 16-bit event code can hold");
  d.event_names.clear();
  d.event_signal.clear();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string field = "events[" + std::to_string(i) + "]";
    d.event_names.push_back(m.string(events[i], "name", field));
    const json& signal = m.member(events[i], "signal", field);
    if (!signal.is_number()) m.fail(field + ".signal", "expected a number");
    d.event_signal.push_back(signal.get<float>());
  }
}

void read_attributes(const MetaReader& m, const json& meta, ArrayReader& arrays, const std::string& side,
                     std::uint64_t rows, Attributes& out) {
  const std::string key = side + "_attributes";
  const json& described = m.member(meta, key, "");
  const json& strings = m.member(described, "strings", key);
  const json& numbers = m.member(described, "numbers", key);
  if (!strings.is_array() || !numbers.is_array()) m.fail(key, "expected arrays of column names");
  for (std::size_t i = 0; i < strings.size(); ++i) {
    if (!strings[i].is_string()) m.fail(key + ".strings", "expected column names");
    out.strings.push_back(
        {strings[i].get<std::string>(), arrays.strings(side + ".strings." + std::to_string(i), rows)});
  }
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (!numbers[i].is_string()) m.fail(key + ".numbers", "expected column names");
    const std::string name = side + ".numbers." + std::to_string(i) + ".values";
    arrays.expect_count(name, rows, std::to_string(rows) + " " + side + "s");
    out.numbers.push_back({numbers[i].get<std::string>(), arrays.get<float>(name)});
  }
  const std::string prefix = side + ".tags.";
  out.tags.vocab = arrays.id_map(prefix + "vocab");
  out.tags.indptr = arrays.get<std::int64_t>(prefix + "indptr");
  out.tags.tokens = arrays.get<std::int32_t>(prefix + "tokens");
  out.tags.counts = arrays.get<float>(prefix + "counts");
}

void read_context(const MetaReader& m, const json& meta, ArrayReader& arrays, std::uint64_t n, Interactions& x) {
  const json& context = m.array(meta, "context");
  for (std::size_t i = 0; i < context.size(); ++i) {
    const std::string field = "context[" + std::to_string(i) + "]";
    const std::string prefix = "context." + std::to_string(i);
    ContextColumn column;
    column.name = m.string(context[i], "name", field);
    column.categorical = m.boolean(context[i], "categorical", field);
    const std::string what = std::to_string(n) + " interactions";
    arrays.expect_count_or_empty(prefix + ".codes", n, what);
    arrays.expect_count_or_empty(prefix + ".values", n, what);
    column.vocab = arrays.id_map(prefix + ".vocab");
    column.codes = arrays.get<std::int32_t>(prefix + ".codes");
    column.values = arrays.get<float>(prefix + ".values");
    x.context.push_back(std::move(column));
  }
}

void read_interactions(const Counts& counts, ArrayReader& arrays, Dataset& d) {
  Interactions& x = d.interactions;
  x.n_users = d.users.size();
  x.n_items = d.items.size();
  const std::string events = std::to_string(counts.interactions) + " interactions";
  arrays.expect_count("interactions.indptr", counts.users + 1, std::to_string(counts.users) + " users (+1)");
  arrays.expect_count("interactions.items", counts.interactions, events);
  for (const char* name : {"interactions.weights", "interactions.timestamps", "interactions.events",
                           "interactions.sessions", "interactions.positions"})
    arrays.expect_count_or_empty(name, counts.interactions, events);
  x.indptr = arrays.mapped<std::int64_t>("interactions.indptr");
  x.items = arrays.mapped<std::int32_t>("interactions.items");
  x.weights = arrays.mapped<float>("interactions.weights");
  x.timestamps = arrays.mapped<std::int64_t>("interactions.timestamps");
  x.events = arrays.mapped<std::int16_t>("interactions.events");
  x.sessions = arrays.mapped<std::int32_t>("interactions.sessions");
  x.positions = arrays.mapped<std::int32_t>("interactions.positions");
}

}  // namespace

void save_dataset(const Dataset& dataset, const std::string& dir) {
  try {
    dataset.validate();
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument("save_dataset: refusing to save an inconsistent dataset: " + std::string(error.what()));
  }
  if (dir.empty()) throw InputError(dir, 0, "", "empty dataset directory name");
  fs::path target = fs::absolute(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "out/" -> "out"
  const Target kind = inspect_target(target, dir);

  const fs::path tmp = sibling(target, "tmp");
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);  // like mkdir -p; a failure shows up just below
  if (!fs::create_directory(tmp, ec) || ec)
    throw InputError(tmp.string(), 0, "", "cannot create the temporary store directory: " + ec.message());
  try {
    ArrayWriter writer(tmp.string());
    write_arrays(dataset, writer);
    std::string text;
    try {
      text = make_meta(dataset, writer.manifest()).dump(2) + "\n";
    } catch (const ordered_json::exception& error) {
      // nlohmann refuses strings that are not UTF-8 (names, source).
      throw std::invalid_argument("save_dataset: cannot write meta.json (an event or column name or the source "
                                  "is not valid UTF-8?): " +
                                  std::string(error.what()));
    }
    write_text_file(join(tmp.string(), kMetaFile), text);
    fsync_dir(tmp);
    install(tmp, target, kind, dir);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

Dataset load_dataset(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(dir, 0, "", "no such dataset directory");
  if (!fs::is_directory(dir, ec))
    throw InputError(dir, 0, "", "is not a directory (a dataset store is a directory holding meta.json)");
  const MetaReader m(join(dir, kMetaFile));
  const json meta = read_meta(m.path());
  ArrayReader arrays(dir, m, m.array(meta, "arrays"));

  Dataset d;
  d.source = m.string(meta, "source");
  const Counts counts = read_counts(m, meta);
  read_events(m, meta, d);
  d.users = arrays.id_map("users", counts.users);
  d.items = arrays.id_map("items", counts.items);
  d.sessions = arrays.id_map("sessions", counts.sessions);
  read_interactions(counts, arrays, d);
  read_context(m, meta, arrays, counts.interactions, d.interactions);
  read_attributes(m, meta, arrays, "user", counts.users, d.user_attributes);
  read_attributes(m, meta, arrays, "item", counts.items, d.item_attributes);
  arrays.expect_count("friends.neighbors", counts.friend_edges, std::to_string(counts.friend_edges) + " edges");
  d.friends.indptr = arrays.get<std::int64_t>("friends.indptr");
  d.friends.neighbors = arrays.get<std::int32_t>("friends.neighbors");
  arrays.check_all_used();
  try {
    d.validate();
  } catch (const std::invalid_argument& error) {
    throw InputError(dir, 0, "", "inconsistent dataset: " + std::string(error.what()));
  }
  return d;
}

bool is_dataset_dir(const std::string& dir) {
  std::error_code ec;
  const std::string path = join(dir, kMetaFile);
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    const TextSource source = TextSource::open(path);
    const json meta = json::parse(source.text(), nullptr, /*allow_exceptions=*/false);
    return meta.is_object() && meta.contains("format") && meta["format"] == kFormat;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace segue

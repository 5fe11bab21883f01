// write_split: the on-disk form of a Split (train.csv, test.csv, split.json,
// test_playlists.csv), each file written under a temporary name and renamed.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "data/csv_writer.h"
#include "data/split.h"
#include "util/atomic_file.h"

namespace segue {
namespace {

namespace fs = std::filesystem;

template <class T>
void append_number(std::string& out, T value) {
  char text[64];
  const auto result = std::to_chars(text, text + sizeof(text), value);  // shortest round-trip for floats
  out.append(text, result.ptr);
}

struct Columns {
  bool event = false;
  bool position = false;
};

// Only columns that carry information: `event` when the events are of more than
// one type or of a negative one (all playlist_add says nothing a weight does
// not; all skips does), `position` when the data has positions (row order alone
// does not keep it: imports need not be in position order).
Columns optional_columns(const Dataset& data) {
  const Interactions& x = data.interactions;
  Columns c;
  for (std::int16_t code : x.events)
    if (code != x.events.front() || data.event_signal[code] <= 0.0f) c.event = true;
  c.position = !x.positions.empty();
  return c;
}

void write_events(const Dataset& data, const std::vector<std::int64_t>& events, const Columns& columns,
                  AtomicFile& file, const fs::path& path) {
  const Interactions& x = data.interactions;
  // Events are ascending in CSR order, so the owner is found by walking indptr.
  std::string& out = file.buffer();
  out += "user_id,item_id,weight,timestamp";
  if (columns.event) out += ",event";
  if (columns.position) out += ",position";
  out += '\n';
  std::int32_t user = 0;
  std::int64_t previous = -1;
  for (std::int64_t e : events) {
    if (e <= previous || e >= x.size())
      throw std::invalid_argument(path.string() + ": split event indices must be ascending and below " +
                                  std::to_string(x.size()) + ", got " + std::to_string(e));
    previous = e;
    while (x.end(user) <= e) ++user;
    append_csv_field(out, data.users.name(user));
    out += ',';
    append_csv_field(out, data.items.name(x.items[e]));
    out += ',';
    append_number(out, x.weight(e));
    out += ',';
    if (!x.timestamps.empty() && x.timestamps[e] != kNoTime) append_number(out, x.timestamps[e]);
    if (columns.event) {
      out += ',';
      append_csv_field(out, data.event_names[x.event(e)]);
    }
    if (columns.position) {
      out += ',';
      if (x.positions[e] != kNoPosition) append_number(out, x.positions[e]);
    }
    out += '\n';
    file.maybe_flush();
  }
  file.finish();
}

void write_playlists(const Dataset& data, const Split& split, AtomicFile& file) {
  std::string& out = file.buffer();
  out += "user_id,name,num_seed,num_hidden\n";
  for (const TestPlaylist& p : split.playlists) {
    append_csv_field(out, data.users.name(p.user));
    out += ',';
    append_csv_field(out, data.user_attributes.string_value("name", p.user));
    out += ',';
    append_number(out, p.num_seed);
    out += ',';
    append_number(out, p.num_hidden);
    out += '\n';
    file.maybe_flush();
  }
  file.finish();
}

std::int64_t distinct_items(const Interactions& x, const std::vector<std::int64_t>& events) {
  std::vector<char> seen(static_cast<std::size_t>(x.n_items), 0);
  std::int64_t n = 0;
  for (std::int64_t e : events) {
    n += seen[x.items[e]] ? 0 : 1;
    seen[x.items[e]] = 1;
  }
  return n;
}

nlohmann::json describe(const Dataset& data, const Split& split, const SplitOptions& options) {
  using nlohmann::json;
  const Interactions& x = data.interactions;
  json j;
  j["method"] = options.method;
  j["seed"] = options.seed;
  j["source"] = data.source;
  j["options"] = {{"test_fraction", options.test_fraction},
                  {"leave_n", options.leave_n},
                  {"cold_fraction", options.cold_fraction},
                  {"cut_time", options.cut_time == kNoTime ? json(nullptr) : json(options.cut_time)},
                  {"seed_counts", options.seed_counts},
                  {"min_playlist_events", options.min_playlist_events}};
  j["train"] = {{"events", split.train.size()}, {"users", split.train_users}, {"items", distinct_items(x, split.train)}};
  j["test"] = {{"events", split.test.size()}, {"users", split.test_users}, {"items", distinct_items(x, split.test)}};
  j["cold_start"] = to_string(split.cold);
  j["test_users_have_train"] = split.cold == ColdStart::kNone || split.cold == ColdStart::kItems;
  if (split.cold == ColdStart::kItems || split.cold == ColdStart::kUsers) j["cold_entities"] = split.cold_entities;
  if (options.method == "temporal") j["cut_time"] = split.cut_time;
  j["dropped"] = {{"events", split.dropped_events},
                  {"test_users_without_train", split.dropped_test_users},
                  {"untimed_events", split.untimed_events}};
  if (options.method == "playlist-continuation") {
    json seeds = json::object();
    for (const TestPlaylist& p : split.playlists) {
      const std::string key = std::to_string(p.num_seed);
      seeds[key] = seeds.value(key, 0) + 1;
    }
    j["test_playlists"] = {{"count", split.playlists.size()}, {"by_seed", seeds}};
  }
  return j;
}

}  // namespace

void write_split(const Dataset& data, const Split& split, const SplitOptions& options, const std::string& dir) {
  const fs::path root(dir);
  std::error_code error;
  fs::create_directories(root, error);
  if (error) throw std::runtime_error(dir + ": cannot create the output directory (" + error.message() + ")");
  const Columns columns = optional_columns(data);
  // Every file is written in full first, then all are renamed in a burst: a writer killed while writing leaves
  // the old split whole, never a new train.csv beside an old test.csv (tests/fault/kill_during_write.sh).
  std::vector<std::unique_ptr<AtomicFile>> files;
  auto open = [&](const char* name) { return files.emplace_back(std::make_unique<AtomicFile>(root / name)).get(); };
  write_events(data, split.train, columns, *open("train.csv"), root / "train.csv");
  write_events(data, split.test, columns, *open("test.csv"), root / "test.csv");
  if (options.method == "playlist-continuation") write_playlists(data, split, *open("test_playlists.csv"));
  AtomicFile& json_file = *open("split.json");
  json_file.buffer() = describe(data, split, options).dump(2) + "\n";
  json_file.finish();
  for (const auto& file : files) file->publish();
}

}  // namespace segue

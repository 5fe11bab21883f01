// The MPD CSV conversion: playlists.csv first (one user each), then the track
// rows, buffered as compact entries so each playlist can be put in pos order.
#include "data/mpd_csv.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "data/csv_reader.h"

namespace segue {
namespace {

struct Playlists {
  std::unordered_map<std::int64_t, std::int32_t> users;  // pid -> user
  std::unordered_set<std::int64_t> rejected;             // pids of bad rows (already reported)
  std::vector<std::int64_t> times;                       // per user: modified_at or kNoTime
};

int pid_column(const CsvReader& csv) {
  const int global = csv.column("pid_global");
  return global >= 0 ? global : csv.require_column("pid", "the MPD CSV layout needs pid_global or pid");
}

std::int64_t read_pid(const CsvReader& csv, int column) {
  const std::int64_t pid = csv.integer(column);
  if (pid < 0) throw csv.error(column, "expected a non-negative integer, got " + std::to_string(pid));
  return pid;
}

// An optional non-negative number: empty = absent (NaN).
double read_count(const CsvReader& csv, int column) {
  if (column < 0 || csv.text(column).empty()) return std::numeric_limits<double>::quiet_NaN();
  const double value = csv.number(column);
  if (value < 0) throw csv.error(column, "expected a non-negative number, got '" + std::string(csv.text(column)) + "'");
  return value;
}

void read_playlist_row(const CsvReader& csv, std::int64_t pid, int name, int description,
                       const std::array<int, kMpdNumberCount>& numbers, MpdPlaylistFields& fields) {
  fields = MpdPlaylistFields{};
  fields.pid = pid;
  if (name >= 0) fields.name = csv.text(name);
  if (description >= 0) fields.description = csv.text(description);
  for (int k = 0; k < kMpdNumberCount; ++k) {
    const int column = numbers[k];
    if (column < 0 || csv.text(column).empty()) continue;
    if (k == kMpdCollaborative) {
      const std::string_view text = csv.text(column);
      if (text != "true" && text != "false" && text != "1" && text != "0")
        throw csv.error(column, "expected true or false, got '" + std::string(text) + "'");
      fields.numbers[k] = text == "true" || text == "1" ? 1 : 0;
    } else if (k == kMpdModifiedAt) {
      const std::int64_t seconds = csv.integer(column);
      if (seconds < 0) throw csv.error(column, "expected non-negative unix seconds, got " + std::to_string(seconds));
      fields.time = seconds;
      fields.numbers[k] = static_cast<double>(seconds);
    } else {
      fields.numbers[k] = read_count(csv, column);
    }
  }
}

Playlists read_playlists(const std::string& path, MpdWriter& writer, IssueLog& issues) {
  CsvReader csv(path);
  const int pid = pid_column(csv);
  const int name = csv.column("name");
  const int description = csv.column("description");
  std::array<int, kMpdNumberCount> numbers;
  for (int k = 0; k < kMpdNumberCount; ++k) numbers[k] = csv.column(kMpdNumberNames[k]);

  Playlists out;
  MpdPlaylistFields fields;
  while (csv.next()) {
    std::optional<std::int64_t> parsed;
    try {
      csv.expect_width();
      parsed = read_pid(csv, pid);
      read_playlist_row(csv, *parsed, name, description, numbers, fields);
      if (auto other = writer.claim_pid(fields.pid, path)) {
        parsed.reset();  // the first row of this pid stays valid
        throw csv.error(pid, "duplicate pid " + std::to_string(fields.pid) + " (earlier in this file)");
      }
      out.users.emplace(fields.pid, writer.add_playlist(fields));
      out.times.push_back(fields.time);
    } catch (const InputError& error) {
      if (parsed) out.rejected.insert(*parsed);
      issues.report(InputError(error.file(), error.line(), error.field(),
                               error.reason() + " (the playlist and its track rows are left out)"));
    }
  }
  return out;
}

struct Columns {
  int pid, uri, pos, name, artist, album, artist_uri, album_uri, duration;
};

// One track row, kept compact: 412k of them for the subset, 66M for the full MPD.
struct Entry {
  std::int32_t user;
  std::int32_t item;
  std::int32_t pos;
  std::uint32_t line;  // physical line, for the duplicate-position error
};

std::string_view optional_text(const CsvReader& csv, int column) { return column >= 0 ? csv.text(column) : ""; }

void read_tracks(const std::string& path, const Playlists& playlists, MpdWriter& writer, IssueLog& issues) {
  CsvReader csv(path);
  Columns c{};
  c.pid = pid_column(csv);
  c.uri = csv.require_column("track_uri", "the MPD CSV layout names each track by its track_uri");
  c.pos = csv.column("pos");
  c.name = csv.column("track_name");
  c.artist = csv.column("artist_name");
  c.album = csv.column("album_name");
  c.artist_uri = csv.column("artist_uri");
  c.album_uri = csv.column("album_uri");
  c.duration = csv.column("duration_ms");

  const std::size_t n_users = playlists.times.size();
  std::vector<std::int32_t> last_pos(n_users, -1);  // to notice rows out of pos order
  std::vector<std::int32_t> next_pos(n_users, 0);   // row order is the position when pos is absent
  std::vector<Entry> entries;
  bool in_order = true;
  MpdTrackFields track;
  while (csv.next()) {
    try {
      csv.expect_width();
      const std::int64_t pid = read_pid(csv, c.pid);
      const auto found = playlists.users.find(pid);
      if (found == playlists.users.end()) {
        if (playlists.rejected.count(pid) != 0) continue;  // its playlist row was reported
        throw csv.error(c.pid, "pid " + std::to_string(pid) + " is not in playlists.csv");
      }
      const std::int32_t user = found->second;
      track.uri = csv.id(c.uri);
      std::int32_t pos = next_pos[user];
      if (c.pos >= 0) {
        const std::int64_t value = csv.integer(c.pos);
        if (value < 0 || value > std::numeric_limits<std::int32_t>::max())
          throw csv.error(c.pos, "expected a non-negative 32-bit position, got " + std::to_string(value));
        pos = static_cast<std::int32_t>(value);
      }
      track.name = optional_text(csv, c.name);
      track.artist = optional_text(csv, c.artist);
      track.album = optional_text(csv, c.album);
      track.artist_uri = optional_text(csv, c.artist_uri);
      track.album_uri = optional_text(csv, c.album_uri);
      track.duration_ms = read_count(csv, c.duration);
      next_pos[user] = pos + 1;
      in_order = in_order && pos > last_pos[user];
      last_pos[user] = pos;
      entries.push_back({user, writer.add_track(track), pos, static_cast<std::uint32_t>(csv.line())});
    } catch (const InputError& error) {
      issues.report(error);
    }
  }

  // Rows strictly increasing in pos per playlist cannot repeat a position.
  if (!in_order) {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.user != b.user ? a.user < b.user : a.pos < b.pos;
    });
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!in_order && i > 0 && entries[i - 1].user == e.user && entries[i - 1].pos == e.pos) {
      issues.report(InputError(path, e.line, csv.column_name(c.pos),
                               "duplicate position " + std::to_string(e.pos) + " in this playlist (also at line " +
                                   std::to_string(entries[i - 1].line) + ")"));
      continue;
    }
    writer.add_entry(e.user, e.item, e.pos, playlists.times[e.user]);
  }
}

}  // namespace

void read_mpd_csv(const std::string& dir, MpdWriter& writer, IssueLog& issues) {
  namespace fs = std::filesystem;
  const fs::path base(dir);
  std::string tracks;
  for (const char* name : {"playlist_tracks.csv", "playlist_tracks.csv.gz"}) {
    if (fs::is_regular_file(base / name)) {
      tracks = (base / name).string();
      break;
    }
  }
  if (tracks.empty())
    throw InputError(dir, 0, "", "has playlists.csv but no playlist_tracks.csv or playlist_tracks.csv.gz beside it");
  const Playlists playlists = read_playlists((base / "playlists.csv").string(), writer, issues);
  read_tracks(tracks, playlists, writer, issues);
}

}  // namespace segue

// Writes Million Playlist Dataset playlists into a DatasetBuilder, the same way
// for the JSON slices and for the CSV conversion, so both give identical datasets.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/dataset_builder.h"

namespace segue {

// Numeric playlist attributes, in the order their user columns are created.
enum MpdNumber : int {
  kMpdNumFollowers,
  kMpdNumEdits,
  kMpdDurationMs,
  kMpdNumArtists,
  kMpdNumAlbums,
  kMpdModifiedAt,
  kMpdCollaborative,
  kMpdNumberCount
};
// Field names, shared by the JSON keys, the CSV columns and the user attribute columns.
inline constexpr std::array<std::string_view, kMpdNumberCount> kMpdNumberNames = {
    "num_followers", "num_edits", "duration_ms", "num_artists", "num_albums", "modified_at", "collaborative"};

struct MpdPlaylistFields {
  std::int64_t pid = 0;
  std::optional<std::string_view> name;
  std::string_view description;  // empty = absent (as the CSV conversion writes it)
  std::array<double, kMpdNumberCount> numbers;  // NaN = absent
  std::int64_t time = kNoTime;                  // modified_at, given to every entry

  MpdPlaylistFields() { numbers.fill(std::numeric_limits<double>::quiet_NaN()); }
};

// Empty strings and NaN mean "absent"; uri must be non-empty (checked by the readers).
struct MpdTrackFields {
  std::string_view uri;
  std::string_view name;
  std::string_view artist;
  std::string_view album;
  std::string_view artist_uri;
  std::string_view album_uri;
  double duration_ms = std::numeric_limits<double>::quiet_NaN();
};

class MpdWriter {
 public:
  // Throws UsageError if the signal table has no playlist_add (it can only be extended).
  explicit MpdWriter(DatasetBuilder& builder);

  // Records that `file` holds `pid`; returns the file that held it already, if any.
  std::optional<std::string> claim_pid(std::int64_t pid, const std::string& file);

  // The user of the playlist, with its attributes set.
  std::int32_t add_playlist(const MpdPlaylistFields& playlist);
  // The item of the track; attributes come from the first entry that names it.
  std::int32_t add_track(const MpdTrackFields& track);
  void add_entry(std::int32_t user, std::int32_t item, std::int32_t position, std::int64_t time);

 private:
  DatasetBuilder& builder_;
  std::int16_t playlist_add_;
  std::int32_t items_ = 0;  // items interned so far
  std::unordered_map<std::int64_t, std::uint32_t> pid_files_;  // pid -> index into files_
  std::vector<std::string> files_;
};

}  // namespace segue

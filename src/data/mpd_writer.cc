// Shared MPD mapping: playlist -> user (id = decimal pid), track -> item
// (id = track_uri), entry -> one playlist_add event at its position.
#include "data/mpd_writer.h"

#include <charconv>
#include <cmath>

#include "data/error.h"

namespace segue {

MpdWriter::MpdWriter(DatasetBuilder& builder) : builder_(builder), playlist_add_(builder.event_code("playlist_add")) {
  if (playlist_add_ < 0) throw UsageError("the signal table has no 'playlist_add' event, which MPD import needs");
}

std::optional<std::string> MpdWriter::claim_pid(std::int64_t pid, const std::string& file) {
  if (files_.empty() || files_.back() != file) files_.push_back(file);
  const auto [it, added] = pid_files_.try_emplace(pid, static_cast<std::uint32_t>(files_.size() - 1));
  if (added) return std::nullopt;
  return files_[it->second];
}

std::int32_t MpdWriter::add_playlist(const MpdPlaylistFields& playlist) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, playlist.pid).ptr;
  const std::int32_t user = builder_.user(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  if (playlist.name) builder_.set_user_string("name", user, *playlist.name);
  if (!playlist.description.empty()) builder_.set_user_string("description", user, playlist.description);
  for (int k = 0; k < kMpdNumberCount; ++k)
    if (!std::isnan(playlist.numbers[k]))
      builder_.set_user_number(kMpdNumberNames[k], user, static_cast<float>(playlist.numbers[k]));
  return user;
}

std::int32_t MpdWriter::add_track(const MpdTrackFields& track) {
  const std::int32_t item = builder_.item(track.uri);
  if (item < items_) return item;
  // Only this writer interns items, so a new id is always the next one.
  items_ = item + 1;
  auto set = [&](std::string_view column, std::string_view value) {
    if (!value.empty()) builder_.set_item_string(column, item, value);
  };
  set("name", track.name);
  set("artist", track.artist);
  set("album", track.album);
  set("artist_uri", track.artist_uri);
  set("album_uri", track.album_uri);
  if (!std::isnan(track.duration_ms)) builder_.set_item_number("duration_ms", item, static_cast<float>(track.duration_ms));
  return item;
}

void MpdWriter::add_entry(std::int32_t user, std::int32_t item, std::int32_t position, std::int64_t time) {
  DatasetBuilder::Event event;
  event.user = user;
  event.item = item;
  event.time = time;
  event.event = playlist_add_;
  event.position = position;
  builder_.add(event);
}

}  // namespace segue

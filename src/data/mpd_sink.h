// Where the MPD JSON reader hands what it reads: straight to an MpdWriter
// (MpdDirectSink), or into a SliceRecording that is replayed later in slice
// order (the parallel import, mpd_recording.h). Both give the same dataset and
// the same issues.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "data/error.h"
#include "data/mpd_writer.h"

namespace segue {

class MpdSink {
 public:
  virtual ~MpdSink() = default;

  // Claims `pid` for `file`. False when an earlier playlist (in this file or
  // another) has it: the playlist is dropped, and the sink reports the
  // duplicate at (line, field).
  virtual bool claim_pid(std::int64_t pid, const std::string& file, std::size_t line, const std::string& field) = 0;
  virtual std::int32_t add_playlist(const MpdPlaylistFields& playlist) = 0;
  virtual std::int32_t add_track(const MpdTrackFields& track) = 0;
  virtual void add_entry(std::int32_t user, std::int32_t item, std::int32_t position, std::int64_t time) = 0;
  // After the last entry of the playlist added last.
  virtual void end_playlist() {}
  // A problem found while reading; an IssueLog's rules apply (throws under OnError::kFail).
  virtual void report(const InputError& error) = 0;
};

// The fields of a track kept by a reader (its strings as spans that `view`
// turns back into text): the JSON reader's buffer and a recording's alike.
template <class Kept, class View>
MpdTrackFields track_fields(const Kept& t, const View& view) {
  MpdTrackFields fields;
  fields.uri = view(t.uri);
  fields.name = view(t.name);
  fields.artist = view(t.artist);
  fields.album = view(t.album);
  fields.artist_uri = view(t.artist_uri);
  fields.album_uri = view(t.album_uri);
  fields.duration_ms = t.duration_ms;
  return fields;
}

// "duplicate pid 7 (earlier in this file)" or "(already in OTHER)".
inline std::string duplicate_pid_reason(std::int64_t pid, const std::string& file, const std::string& holder) {
  return "duplicate pid " + std::to_string(pid) + " (" +
         (holder == file ? std::string("earlier in this file") : "already in " + holder) + ")";
}

class MpdDirectSink final : public MpdSink {
 public:
  MpdDirectSink(MpdWriter& writer, IssueLog& issues) : writer_(writer), issues_(issues) {}

  bool claim_pid(std::int64_t pid, const std::string& file, std::size_t line, const std::string& field) override {
    const auto holder = writer_.claim_pid(pid, file);
    if (holder) issues_.report(InputError(file, line, field, duplicate_pid_reason(pid, file, *holder)));
    return !holder;
  }
  std::int32_t add_playlist(const MpdPlaylistFields& playlist) override { return writer_.add_playlist(playlist); }
  std::int32_t add_track(const MpdTrackFields& track) override { return writer_.add_track(track); }
  void add_entry(std::int32_t user, std::int32_t item, std::int32_t position, std::int64_t time) override {
    writer_.add_entry(user, item, position, time);
  }
  void report(const InputError& error) override { issues_.report(error); }

 private:
  MpdWriter& writer_;
  IssueLog& issues_;
};

}  // namespace segue

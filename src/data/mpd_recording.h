// The parallel MPD JSON import: worker threads parse slices into
// SliceRecordings while the calling thread replays them, in slice order, into
// the one MpdWriter. Ids, events, attributes and issues come out exactly as a
// sequential read gives them (tests/import_mpd_test.cc, ParallelImport*): the
// slow part (gunzip, JSON) runs in parallel, the interning stays in one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "data/error.h"
#include "data/mpd_sink.h"
#include "data/mpd_writer.h"

namespace segue {

// Everything one slice's reader handed its sink, kept in call order.
class SliceRecording final : public MpdSink {
 public:
  // `mode`: the import's; under kFail the first problem ends the recording.
  SliceRecording(std::string path, OnError mode) : path_(std::move(path)), mode_(mode) {}

  // A duplicate is decided at replay (an earlier slice may hold the pid); here
  // only a pid seen earlier in this file is known to be one.
  bool claim_pid(std::int64_t pid, const std::string& file, std::size_t line, const std::string& field) override;
  std::int32_t add_playlist(const MpdPlaylistFields& playlist) override;  // returns the playlist's ordinal
  std::int32_t add_track(const MpdTrackFields& track) override;           // returns the track call's ordinal
  void add_entry(std::int32_t user, std::int32_t item, std::int32_t position, std::int64_t time) override;
  void end_playlist() override;
  void report(const InputError& error) override;
  // A failure that is not bad input (out of memory, ...): rethrown at replay.
  void fail(std::exception_ptr error) { failure_ = std::move(error); }

  // Hands everything to `writer` and `issues` as the sequential reader would have.
  void replay(MpdWriter& writer, IssueLog& issues) const;

 private:
  enum class Op : std::uint8_t { kClaim, kPlaylist, kTrack, kEntry, kEnd, kIssue };
  struct Span {
    std::size_t begin = 0, size = 0;
  };
  struct Claim {
    std::int64_t pid;
    std::size_t line;
    std::string field;
    bool emitted;  // true: the playlist's ops follow up to its kEnd
  };
  struct Playlist {
    std::int64_t pid;
    bool has_name;
    Span name, description;
    std::array<double, kMpdNumberCount> numbers;
    std::int64_t time;
  };
  struct Track {
    Span uri, name, artist, album, artist_uri, album_uri;
    double duration_ms;
  };
  struct Entry {
    std::int32_t user, item, position;
    std::int64_t time;
  };

  Span keep(std::string_view text);
  std::string_view view(Span span) const { return std::string_view(arena_).substr(span.begin, span.size); }

  std::string path_;
  OnError mode_;
  std::vector<Op> ops_;
  std::vector<Claim> claims_;
  std::vector<Playlist> playlists_;
  std::vector<Track> tracks_;
  std::vector<Entry> entries_;
  std::vector<InputError> issues_;
  std::string arena_;
  std::unordered_set<std::int64_t> pids_;  // claimed in this file
  std::exception_ptr failure_;
};

// Reads `paths` (slice files, in order) with `threads` threads (<= 0: all
// cores) into `writer`; `done(k)` after the k-th slice is replayed. At most
// 2 x threads recordings are held at once.
void read_mpd_slices_parallel(const std::vector<std::string>& paths, int threads, MpdWriter& writer,
                              IssueLog& issues, const std::function<void(std::size_t)>& done);

}  // namespace segue

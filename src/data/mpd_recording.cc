// Recording and ordered replay of MPD slices (mpd_recording.h).
#include "data/mpd_recording.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "data/mpd_json.h"

namespace segue {

SliceRecording::Span SliceRecording::keep(std::string_view text) {
  const Span span{arena_.size(), text.size()};
  arena_.append(text);
  return span;
}

bool SliceRecording::claim_pid(std::int64_t pid, const std::string&, std::size_t line, const std::string& field) {
  const bool fresh = pids_.insert(pid).second;
  ops_.push_back(Op::kClaim);
  claims_.push_back({pid, line, field, fresh});
  return fresh;
}

std::int32_t SliceRecording::add_playlist(const MpdPlaylistFields& p) {
  ops_.push_back(Op::kPlaylist);
  playlists_.push_back({p.pid, p.name.has_value(), p.name ? keep(*p.name) : Span{}, keep(p.description), p.numbers,
                        p.time});
  return static_cast<std::int32_t>(playlists_.size() - 1);
}

std::int32_t SliceRecording::add_track(const MpdTrackFields& t) {
  ops_.push_back(Op::kTrack);
  tracks_.push_back({keep(t.uri), keep(t.name), keep(t.artist), keep(t.album), keep(t.artist_uri),
                     keep(t.album_uri), t.duration_ms});
  return static_cast<std::int32_t>(tracks_.size() - 1);
}

void SliceRecording::add_entry(std::int32_t user, std::int32_t item, std::int32_t position, std::int64_t time) {
  ops_.push_back(Op::kEntry);
  entries_.push_back({user, item, position, time});
}

void SliceRecording::end_playlist() { ops_.push_back(Op::kEnd); }

void SliceRecording::report(const InputError& error) {
  ops_.push_back(Op::kIssue);
  issues_.push_back(error);
  if (mode_ == OnError::kFail) throw error;  // the sequential reader stops here too
}

void SliceRecording::replay(MpdWriter& writer, IssueLog& issues) const {
  std::vector<std::int32_t> users(playlists_.size(), -1);
  std::vector<std::int32_t> items(tracks_.size(), -1);
  std::size_t claim = 0, playlist = 0, track = 0, entry = 0, issue = 0;
  bool dropping = false;  // inside a playlist that an earlier slice already held
  for (const Op op : ops_) {
    switch (op) {
      case Op::kClaim: {
        const Claim& c = claims_[claim++];
        if (const auto holder = writer.claim_pid(c.pid, path_)) {
          issues.report(InputError(path_, c.line, c.field, duplicate_pid_reason(c.pid, path_, *holder)));
          dropping = c.emitted;
        }
        break;
      }
      case Op::kPlaylist: {
        const Playlist& p = playlists_[playlist];
        if (!dropping) {
          MpdPlaylistFields fields;
          fields.pid = p.pid;
          if (p.has_name) fields.name = view(p.name);
          fields.description = view(p.description);
          fields.numbers = p.numbers;
          fields.time = p.time;
          users[playlist] = writer.add_playlist(fields);
        }
        ++playlist;
        break;
      }
      case Op::kTrack: {
        if (!dropping)
          items[track] = writer.add_track(track_fields(tracks_[track], [&](Span s) { return view(s); }));
        ++track;
        break;
      }
      case Op::kEntry: {
        const Entry& e = entries_[entry++];
        if (!dropping) writer.add_entry(users[e.user], items[e.item], e.position, e.time);
        break;
      }
      case Op::kEnd:
        dropping = false;
        break;
      case Op::kIssue: {
        const InputError& error = issues_[issue++];
        if (!dropping) issues.report(error);
        break;
      }
    }
  }
  if (failure_) std::rethrow_exception(failure_);
}

void read_mpd_slices_parallel(const std::vector<std::string>& paths, int threads, MpdWriter& writer,
                              IssueLog& issues, const std::function<void(std::size_t)>& done) {
  const std::size_t n = paths.size();
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(threads), n);
  const std::size_t window = 2 * workers;  // recordings parsed ahead of the replay, at most

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::unique_ptr<SliceRecording>> ready(n);
  std::size_t next = 0;      // the next slice to hand to a worker
  std::size_t replayed = 0;  // slices replayed so far
  bool stop = false;

  auto work = [&] {
    for (;;) {
      std::size_t k;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop || next >= n || next < replayed + window; });
        if (stop || next >= n) return;
        k = next++;
      }
      auto recording = std::make_unique<SliceRecording>(paths[k], issues.mode());
      try {
        read_mpd_slice(paths[k], *recording);
      } catch (const InputError&) {
        // Recorded already: under kFail the recording ends with the problem that stopped it.
      } catch (...) {
        recording->fail(std::current_exception());
      }
      {
        std::lock_guard lock(mutex);
        ready[k] = std::move(recording);
      }
      changed.notify_all();
    }
  };

  std::vector<std::thread> pool;
  pool.reserve(workers);
  // Workers must be stopped and joined however the replay ends.
  struct Joiner {
    std::vector<std::thread>& pool;
    std::mutex& mutex;
    std::condition_variable& changed;
    bool& stop;
    ~Joiner() {
      {
        std::lock_guard lock(mutex);
        stop = true;
      }
      changed.notify_all();
      for (std::thread& t : pool) t.join();
    }
  } joiner{pool, mutex, changed, stop};
  for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work);

  for (std::size_t k = 0; k < n; ++k) {
    std::unique_ptr<SliceRecording> recording;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return ready[k] != nullptr; });
      recording = std::move(ready[k]);
    }
    recording->replay(writer, issues);
    recording.reset();
    {
      std::lock_guard lock(mutex);
      replayed = k + 1;
    }
    changed.notify_all();
    if (done) done(k + 1);
  }
}

}  // namespace segue

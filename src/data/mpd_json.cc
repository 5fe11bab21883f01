// SAX handler for MPD slices: a small state machine over the fixed layout
// {"info": ..., "playlists": [{..., "tracks": [{...}, ...]}, ...]} that buffers one playlist.
#include "data/mpd_json.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/text_source.h"

namespace segue {
namespace {

// Iterator over the text that mirrors its position into *cursor: the SAX callbacks
// carry no position, and errors must name the physical line.
class TrackedIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackedIterator() = default;
  TrackedIterator(const char* at, const char** cursor) : at_(at), cursor_(cursor) {}
  reference operator*() const { return *at_; }
  TrackedIterator& operator++() {
    *cursor_ = ++at_;
    return *this;
  }
  TrackedIterator operator++(int) {
    TrackedIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackedIterator& other) const { return at_ == other.at_; }

 private:
  const char* at_ = nullptr;
  const char** cursor_ = nullptr;
};

// Known keys; playlist numbers follow MpdNumber order so `key - kNumFollowers` indexes them.
enum Key : int {
  kOther,
  kPlaylists,
  kPid,
  kName,
  kDescription,
  kTracks,
  kNumFollowers,
  kCollaborative = kNumFollowers + kMpdCollaborative,
  kModifiedAt = kNumFollowers + kMpdModifiedAt,
  kTrackUri = kNumFollowers + kMpdNumberCount,
  kTrackName,
  kArtistName,
  kAlbumName,
  kArtistUri,
  kAlbumUri,
  kTrackDuration,
  kPos,
};

struct KeyName {
  std::string_view name;
  Key key;
};

constexpr std::array<KeyName, 4 + kMpdNumberCount> kPlaylistKeys = {{
    {"pid", kPid},
    {"name", kName},
    {"description", kDescription},
    {"tracks", kTracks},
    {kMpdNumberNames[0], Key(kNumFollowers + 0)},
    {kMpdNumberNames[1], Key(kNumFollowers + 1)},
    {kMpdNumberNames[2], Key(kNumFollowers + 2)},
    {kMpdNumberNames[3], Key(kNumFollowers + 3)},
    {kMpdNumberNames[4], Key(kNumFollowers + 4)},
    {kMpdNumberNames[5], Key(kNumFollowers + 5)},
    {kMpdNumberNames[6], Key(kNumFollowers + 6)},
}};
static_assert(kMpdNumberCount == 7, "kPlaylistKeys lists every MpdNumber");

constexpr std::array<KeyName, 8> kTrackKeys = {{
    {"track_uri", kTrackUri},
    {"track_name", kTrackName},
    {"artist_name", kArtistName},
    {"album_name", kAlbumName},
    {"artist_uri", kArtistUri},
    {"album_uri", kAlbumUri},
    {"duration_ms", kTrackDuration},
    {"pos", kPos},
}};

template <std::size_t N>
Key find_key(const std::array<KeyName, N>& keys, std::string_view name) {
  for (const KeyName& k : keys)
    if (k.name == name) return k.key;
  return kOther;
}

const char* expected(Key key) {
  switch (key) {
    case kPid:
    case kPos: return "a non-negative integer";
    case kTracks: return "an array of tracks";
    case kCollaborative: return "true or false";
    case kModifiedAt: return "a non-negative integer (unix seconds)";
    case kTrackDuration: return "a finite, non-negative number";
    default: return key >= kNumFollowers && key < kTrackUri ? "a finite, non-negative number" : "a string";
  }
}

// One scalar JSON value as the SAX callbacks deliver it.
struct Scalar {
  enum Kind { kNull, kBool, kInteger, kFloat, kString } kind = kNull;
  bool boolean = false;
  std::int64_t integer = 0;  // kInteger that fits int64
  bool fits = true;          // false: an unsigned integer above INT64_MAX
  double number = 0;         // kInteger and kFloat
  std::string_view text;     // kString, or the literal of a kFloat
  std::size_t offset = 0;    // a byte inside the value
};

std::string describe(const Scalar& v) {
  switch (v.kind) {
    case Scalar::kNull: return "null";
    case Scalar::kBool: return v.boolean ? "true" : "false";
    case Scalar::kInteger: return v.fits ? std::to_string(v.integer) : "a number above 2^63";
    case Scalar::kFloat: return std::string(v.text);
    case Scalar::kString: return "a string";
  }
  return "a value";
}

// "... parse error at line 3, column 7: syntax error while ..." -> "syntax error while ...".
std::string parser_reason(const char* what) {
  const std::string_view text(what);
  const std::size_t column = text.find("column ");
  const std::size_t colon = column == text.npos ? text.npos : text.find(": ", column);
  return std::string(colon == text.npos ? text : text.substr(colon + 2));
}

struct Span {
  std::size_t begin = 0;
  std::size_t size = 0;
};

struct TrackBuffer {
  Span uri, name, artist, album, artist_uri, album_uri;
  double duration_ms = std::numeric_limits<double>::quiet_NaN();
  std::int64_t pos = 0;
  std::size_t index = 0;       // element index in the tracks array
  std::size_t begin = 0;       // offset of its '{'
  std::size_t pos_offset = 0;  // offset of its pos value (or begin)
};

class SliceHandler {
 public:
  SliceHandler(const std::string& path, std::string_view text, const char* const* cursor, MpdSink& sink)
      : path_(path), text_(text), cursor_(cursor), sink_(sink) {}

  // nlohmann's SAX interface; returning false stops the parse (the rest of the file).
  bool null() { return scalar(make(Scalar::kNull, 1)); }
  bool boolean(bool value) {
    Scalar v = make(Scalar::kBool, 1);
    v.boolean = value;
    return scalar(v);
  }
  bool number_integer(std::int64_t value) {
    Scalar v = make(Scalar::kInteger, 2);  // the lexer has read one byte past a number
    v.integer = value;
    v.number = static_cast<double>(value);
    return scalar(v);
  }
  bool number_unsigned(std::uint64_t value) {
    Scalar v = make(Scalar::kInteger, 2);
    v.fits = value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    v.integer = v.fits ? static_cast<std::int64_t>(value) : 0;
    v.number = static_cast<double>(value);
    return scalar(v);
  }
  bool number_float(double value, const std::string& literal) {
    Scalar v = make(Scalar::kFloat, 2);
    v.number = value;
    v.text = literal;
    return scalar(v);
  }
  bool string(std::string& value) {
    Scalar v = make(Scalar::kString, 1);
    v.text = value;
    return scalar(v);
  }
  bool binary(nlohmann::json::binary_t&) { return true; }  // never produced by the JSON parser
  bool start_object(std::size_t);
  bool end_object();
  bool start_array(std::size_t);
  bool end_array();
  bool key(std::string& name);
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& error);

 private:
  enum class Where { kTop, kRoot, kPlaylists, kPlaylist, kTracks, kTrack, kDone };

  std::size_t consumed() const { return static_cast<std::size_t>(*cursor_ - text_.data()); }
  Scalar make(Scalar::Kind kind, std::size_t back) const {
    Scalar v;
    v.kind = kind;
    const std::size_t at = consumed();
    v.offset = at >= back ? at - back : 0;
    return v;
  }
  // Every playlist's pid line is handed to the sink, so lines are counted on
  // from the last one asked for (offsets mostly grow): linear in the file, not
  // quadratic.
  std::size_t line_at(std::size_t offset) const {
    if (text_.empty()) return 1;
    offset = std::min(offset, text_.size() - 1);
    if (offset < counted_offset_) return line_of_offset(text_, offset);
    counted_line_ += static_cast<std::size_t>(
        std::count(text_.begin() + static_cast<std::ptrdiff_t>(counted_offset_),
                   text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    counted_offset_ = offset;
    return counted_line_;
  }
  void report(std::size_t offset, std::string field, std::string what) {
    sink_.report(InputError(path_, line_at(offset), std::move(field), std::move(what)));
  }
  // Reports a file-level problem and stops reading this file.
  bool stop(std::size_t offset, std::string field, std::string what) {
    report(offset, std::move(field), std::move(what));
    return false;
  }

  std::string playlist_path(std::string_view key) const {
    std::string out = "playlists[" + std::to_string(playlist_index_) + "]";
    if (!key.empty()) out.append(".").append(key);
    return out;
  }
  std::string track_path(std::size_t index, std::string_view key) const {
    std::string out = playlist_path("tracks[" + std::to_string(index) + "]");
    if (!key.empty()) out.append(".").append(key);
    return out;
  }
  std::string current_path() const;

  // The first problem of a playlist drops it; later ones are not reported.
  void playlist_error(std::size_t offset, std::string_view key, const std::string& what) {
    if (playlist_bad_) return;
    playlist_bad_ = true;
    report(offset, playlist_path(key), what);
  }
  void track_error(std::size_t offset, std::string_view key, const std::string& what) {
    if (playlist_bad_ || track_bad_) return;
    track_bad_ = true;
    report(offset, track_path(track_.index, key), what);
  }
  void skip() { skip_depth_ = 1; }

  Span keep(std::string_view text) {
    const Span span{arena_.size(), text.size()};
    arena_.append(text);
    return span;
  }
  std::string_view view(Span span) const { return std::string_view(arena_).substr(span.begin, span.size); }

  bool scalar(const Scalar& v);
  void playlist_scalar(const Scalar& v);
  void track_scalar(const Scalar& v);
  bool string_field(const Scalar& v, Span& out, bool required);
  void begin_playlist(std::size_t offset);
  void finish_playlist();
  void begin_track(std::size_t offset);
  void finish_track();
  void emit_playlist();

  const std::string& path_;
  std::string_view text_;
  const char* const* cursor_;
  MpdSink& sink_;
  mutable std::size_t counted_offset_ = 0;  // line_at: text_[0, counted_offset_) holds counted_line_ - 1 newlines
  mutable std::size_t counted_line_ = 1;

  Where where_ = Where::kTop;
  std::size_t skip_depth_ = 0;  // > 0: inside a value being ignored
  Key key_ = kOther;
  std::string key_text_;
  bool saw_playlists_ = false;
  std::size_t playlists_seen_ = 0;  // elements of the playlists array so far

  // The playlist being read (reused, so steady state allocates nothing).
  std::size_t playlist_index_ = 0;
  std::size_t playlist_begin_ = 0;
  bool playlist_bad_ = false;
  std::uint32_t playlist_keys_ = 0;  // bit per Key seen, to catch duplicate keys
  std::optional<std::int64_t> pid_;
  std::size_t pid_offset_ = 0;
  bool has_tracks_ = false;
  std::optional<Span> name_;
  Span description_;
  std::array<double, kMpdNumberCount> numbers_{};
  std::int64_t time_ = kNoTime;
  std::size_t track_count_ = 0;  // elements of its tracks array so far
  std::vector<TrackBuffer> tracks_;
  std::string arena_;

  // The track being read.
  TrackBuffer track_;
  bool track_bad_ = false;
  bool track_has_uri_ = false;
  bool track_has_pos_ = false;
  std::uint32_t track_keys_ = 0;
};

std::string SliceHandler::current_path() const {
  switch (where_) {
    case Where::kPlaylists: return "playlists";
    case Where::kPlaylist: return playlist_path(key_text_);
    case Where::kTracks: return playlist_path("tracks");
    case Where::kTrack: return track_path(track_.index, key_text_);
    default: return where_ == Where::kRoot ? key_text_ : "";
  }
}

bool SliceHandler::scalar(const Scalar& v) {
  if (skip_depth_ > 0) return true;
  switch (where_) {
    case Where::kTop: return stop(v.offset, "", "expected a JSON object (an MPD slice), got " + describe(v));
    case Where::kRoot:
      if (key_ == kPlaylists) return stop(v.offset, "playlists", "expected an array of playlists, got " + describe(v));
      return true;
    case Where::kPlaylists:
      report(v.offset, "playlists[" + std::to_string(playlists_seen_++) + "]",
             "expected a playlist object, got " + describe(v));
      return true;
    case Where::kPlaylist: playlist_scalar(v); return true;
    case Where::kTracks:
      if (!playlist_bad_)
        report(v.offset, playlist_path("tracks[" + std::to_string(track_count_) + "]"),
               "expected a track object, got " + describe(v));
      ++track_count_;
      return true;
    case Where::kTrack: track_scalar(v); return true;
    case Where::kDone: return true;
  }
  return true;
}

void SliceHandler::playlist_scalar(const Scalar& v) {
  if (key_ == kOther || playlist_bad_) return;
  auto wrong = [&] { playlist_error(v.offset, key_text_, std::string("expected ") + expected(key_) + ", got " + describe(v)); };
  switch (key_) {
    case kPid:
      if (v.kind != Scalar::kInteger || !v.fits || v.integer < 0) return wrong();
      pid_ = v.integer;
      pid_offset_ = v.offset;
      return;
    case kName:
    case kDescription: {
      if (v.kind == Scalar::kNull) return;  // optional: null = absent
      if (v.kind != Scalar::kString) return wrong();
      const Span span = keep(v.text);
      if (key_ == kName) {
        name_ = span;
      } else {
        description_ = span;
      }
      return;
    }
    case kTracks: return wrong();
    case kCollaborative:
      // The MPD writes "true"/"false" strings; accept JSON booleans too.
      if (v.kind == Scalar::kBool) {
        numbers_[kMpdCollaborative] = v.boolean ? 1 : 0;
      } else if (v.kind == Scalar::kString && (v.text == "true" || v.text == "false")) {
        numbers_[kMpdCollaborative] = v.text == "true" ? 1 : 0;
      } else if (v.kind != Scalar::kNull) {
        wrong();
      }
      return;
    default: {
      if (v.kind == Scalar::kNull) return;
      const bool integral = v.kind == Scalar::kInteger && v.fits;
      if (v.kind != Scalar::kInteger && v.kind != Scalar::kFloat) return wrong();
      if (!std::isfinite(v.number) || v.number < 0) return wrong();
      if (key_ == kModifiedAt) {
        if (!integral) return wrong();
        time_ = v.integer;
      }
      numbers_[key_ - kNumFollowers] = v.number;
      return;
    }
  }
}

bool SliceHandler::string_field(const Scalar& v, Span& out, bool required) {
  if (v.kind == Scalar::kNull && !required) return true;
  if (v.kind != Scalar::kString) {
    track_error(v.offset, key_text_, std::string("expected a string, got ") + describe(v));
    return false;
  }
  // "\u0000" decodes to a NUL byte, which no id or name may hold (it ends C strings and breaks CSV output).
  if (v.text.find('\0') != std::string::npos) {
    track_error(v.offset, key_text_, "a NUL character (\\u0000) in a string");
    return false;
  }
  out = keep(v.text);
  return true;
}

void SliceHandler::track_scalar(const Scalar& v) {
  if (key_ == kOther || playlist_bad_ || track_bad_) return;
  switch (key_) {
    case kTrackUri:
      if (!string_field(v, track_.uri, true)) return;
      if (v.text.empty()) return track_error(v.offset, key_text_, "empty id");
      track_has_uri_ = true;
      return;
    case kTrackName: string_field(v, track_.name, false); return;
    case kArtistName: string_field(v, track_.artist, false); return;
    case kAlbumName: string_field(v, track_.album, false); return;
    case kArtistUri: string_field(v, track_.artist_uri, false); return;
    case kAlbumUri: string_field(v, track_.album_uri, false); return;
    case kTrackDuration:
      if (v.kind == Scalar::kNull) return;
      if ((v.kind != Scalar::kInteger && v.kind != Scalar::kFloat) || !std::isfinite(v.number) || v.number < 0)
        return track_error(v.offset, key_text_, std::string("expected ") + expected(key_) + ", got " + describe(v));
      track_.duration_ms = v.number;
      return;
    case kPos:
      if (v.kind != Scalar::kInteger || !v.fits || v.integer < 0 ||
          v.integer > std::numeric_limits<std::int32_t>::max())
        return track_error(v.offset, key_text_, "expected a non-negative 32-bit integer, got " + describe(v));
      track_.pos = v.integer;
      track_.pos_offset = v.offset;
      track_has_pos_ = true;
      return;
    default: return;
  }
}

bool SliceHandler::key(std::string& name) {
  if (skip_depth_ > 0) return true;
  key_text_.assign(name);
  switch (where_) {
    case Where::kRoot:
      key_ = name == "playlists" ? kPlaylists : kOther;
      return true;
    case Where::kPlaylist:
      key_ = find_key(kPlaylistKeys, name);
      if (key_ == kOther) return true;
      if ((playlist_keys_ & (1u << key_)) != 0) playlist_error(consumed() - 1, key_text_, "duplicate key");
      playlist_keys_ |= 1u << key_;
      return true;
    case Where::kTrack:
      key_ = find_key(kTrackKeys, name);
      if (key_ == kOther) return true;
      if ((track_keys_ & (1u << (key_ - kTrackUri))) != 0) track_error(consumed() - 1, key_text_, "duplicate key");
      track_keys_ |= 1u << (key_ - kTrackUri);
      return true;
    default:
      key_ = kOther;
      return true;
  }
}

bool SliceHandler::start_object(std::size_t) {
  if (skip_depth_ > 0) {
    ++skip_depth_;
    return true;
  }
  const std::size_t at = consumed() - 1;
  switch (where_) {
    case Where::kTop: where_ = Where::kRoot; return true;
    case Where::kRoot:
      if (key_ == kPlaylists) return stop(at, "playlists", "expected an array of playlists, got an object");
      skip();  // "info" and unknown fields
      return true;
    case Where::kPlaylists:
      begin_playlist(at);
      where_ = Where::kPlaylist;
      return true;
    case Where::kPlaylist:
      if (key_ != kOther) playlist_error(at, key_text_, std::string("expected ") + expected(key_) + ", got an object");
      skip();
      return true;
    case Where::kTracks:
      begin_track(at);
      where_ = Where::kTrack;
      return true;
    case Where::kTrack:
      if (key_ != kOther) track_error(at, key_text_, std::string("expected ") + expected(key_) + ", got an object");
      skip();
      return true;
    case Where::kDone: return true;
  }
  return true;
}

bool SliceHandler::start_array(std::size_t) {
  if (skip_depth_ > 0) {
    ++skip_depth_;
    return true;
  }
  const std::size_t at = consumed() - 1;
  switch (where_) {
    case Where::kTop: return stop(at, "", "expected a JSON object (an MPD slice), got an array");
    case Where::kRoot:
      if (key_ == kPlaylists) {
        saw_playlists_ = true;
        where_ = Where::kPlaylists;
      } else {
        skip();
      }
      return true;
    case Where::kPlaylists:
      report(at, "playlists[" + std::to_string(playlists_seen_++) + "]", "expected a playlist object, got an array");
      skip();
      return true;
    case Where::kPlaylist:
      if (key_ == kTracks && !playlist_bad_) {
        has_tracks_ = true;
        where_ = Where::kTracks;
        return true;
      }
      if (key_ != kOther) playlist_error(at, key_text_, std::string("expected ") + expected(key_) + ", got an array");
      skip();
      return true;
    case Where::kTracks:
      if (!playlist_bad_)
        report(at, playlist_path("tracks[" + std::to_string(track_count_) + "]"),
               "expected a track object, got an array");
      ++track_count_;
      skip();
      return true;
    case Where::kTrack:
      if (key_ != kOther) track_error(at, key_text_, std::string("expected ") + expected(key_) + ", got an array");
      skip();
      return true;
    case Where::kDone: return true;
  }
  return true;
}

bool SliceHandler::end_object() {
  if (skip_depth_ > 0) {
    --skip_depth_;
    return true;
  }
  switch (where_) {
    case Where::kRoot:
      where_ = Where::kDone;
      if (!saw_playlists_) report(consumed() - 1, "playlists", "missing: an MPD slice needs a 'playlists' array");
      return true;
    case Where::kPlaylist:
      finish_playlist();
      where_ = Where::kPlaylists;
      return true;
    case Where::kTrack:
      finish_track();
      where_ = Where::kTracks;
      return true;
    default: return true;  // the parser matches brackets, so nothing else ends here
  }
}

bool SliceHandler::end_array() {
  if (skip_depth_ > 0) {
    --skip_depth_;
    return true;
  }
  if (where_ == Where::kPlaylists) where_ = Where::kRoot;
  if (where_ == Where::kTracks) where_ = Where::kPlaylist;
  return true;
}

bool SliceHandler::parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) {
  // position counts the bytes read, including the one that failed.
  const std::size_t offset = position > 0 ? position - 1 : 0;
  const std::size_t bad = find_invalid_utf8(text_);
  if (bad != std::string_view::npos && bad <= offset)
    return stop(bad, current_path(), "invalid UTF-8 (byte offset " + std::to_string(bad) + ")");
  if (offset >= text_.size())
    return stop(offset, current_path(), "truncated JSON: the file ends early (" + parser_reason(error.what()) + ")");
  return stop(offset, current_path(), "invalid JSON: " + parser_reason(error.what()));
}

void SliceHandler::begin_playlist(std::size_t offset) {
  playlist_index_ = playlists_seen_++;
  playlist_begin_ = offset;
  playlist_bad_ = false;
  playlist_keys_ = 0;
  pid_.reset();
  has_tracks_ = false;
  name_.reset();
  description_ = Span{};
  numbers_.fill(std::numeric_limits<double>::quiet_NaN());
  time_ = kNoTime;
  track_count_ = 0;
  tracks_.clear();
  arena_.clear();
}

void SliceHandler::begin_track(std::size_t offset) {
  track_ = TrackBuffer{};
  track_.index = track_count_++;
  track_.begin = offset;
  track_.pos_offset = offset;
  track_bad_ = false;
  track_has_uri_ = false;
  track_has_pos_ = false;
  track_keys_ = 0;
}

void SliceHandler::finish_track() {
  if (playlist_bad_ || track_bad_) return;
  if (!track_has_uri_) return track_error(track_.begin, "track_uri", "missing: every track needs a track_uri");
  // The filtered layout has no pos: the order of the tracks array is the position.
  if (!track_has_pos_) track_.pos = static_cast<std::int64_t>(track_.index);
  tracks_.push_back(track_);
}

void SliceHandler::finish_playlist() {
  if (playlist_bad_) return;
  if (!pid_) return playlist_error(playlist_begin_, "pid", "missing: every playlist needs a pid");
  if (!has_tracks_) return playlist_error(playlist_begin_, "tracks", "missing: every playlist needs a tracks array");
  if (!sink_.claim_pid(*pid_, path_, line_at(pid_offset_), playlist_path("pid"))) {
    playlist_bad_ = true;  // the sink reported the duplicate
    return;
  }
  emit_playlist();
}

void SliceHandler::emit_playlist() {
  auto by_pos = [](const TrackBuffer& a, const TrackBuffer& b) { return a.pos < b.pos; };
  if (!std::is_sorted(tracks_.begin(), tracks_.end(), by_pos)) std::stable_sort(tracks_.begin(), tracks_.end(), by_pos);

  MpdPlaylistFields fields;
  fields.pid = *pid_;
  if (name_) fields.name = view(*name_);
  fields.description = view(description_);
  fields.numbers = numbers_;
  fields.time = time_;
  const std::int32_t user = sink_.add_playlist(fields);

  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const TrackBuffer& t = tracks_[i];
    if (i > 0 && tracks_[i - 1].pos == t.pos) {
      report(t.pos_offset, track_path(t.index, "pos"),
             "duplicate position " + std::to_string(t.pos) + " in this playlist (also at tracks[" +
                 std::to_string(tracks_[i - 1].index) + "])");
      continue;
    }
    const MpdTrackFields track = track_fields(t, [&](Span s) { return view(s); });
    sink_.add_entry(user, sink_.add_track(track), static_cast<std::int32_t>(t.pos), time_);
  }
  sink_.end_playlist();
}

}  // namespace

void read_mpd_slice(const std::string& path, MpdWriter& writer, IssueLog& issues) {
  MpdDirectSink sink(writer, issues);
  read_mpd_slice(path, sink);
}

void read_mpd_slice(const std::string& path, MpdSink& sink) {
  std::optional<TextSource> source;
  try {
    source.emplace(TextSource::open(path));
  } catch (const InputError& error) {
    sink.report(error);  // a broken .gz among many slices is skippable
    return;
  }
  const std::string_view text = source->text();
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    sink.report(InputError(path, 1, "", "empty file: expected an MPD slice (a JSON object with a 'playlists' array)"));
    return;
  }
  const char* cursor = text.data();
  SliceHandler handler(path, text, &cursor, sink);
  nlohmann::json::sax_parse(TrackedIterator(text.data(), &cursor), TrackedIterator(text.data() + text.size(), &cursor),
                            &handler);
}

}  // namespace segue

// Tests of the Million Playlist Dataset importer: both JSON slice layouts, the
// CSV conversion (which must give the identical dataset), gzip, and every error.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/importer.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

// Full MPD layout: pos, artist/album uris, modified_at, collaborative as in the real
// files ("false" string) and as a JSON boolean; tracks listed out of pos order.
const char* const kFullSlice = R"({
  "info": {"generated_on": "2017-12-03 08:41:42.057563", "slice": "0-999", "version": "v1"},
  "playlists": [
    {
      "name": "Throwbacks",
      "collaborative": "false",
      "pid": 0,
      "modified_at": 1493424000,
      "num_tracks": 3,
      "num_albums": 2,
      "num_followers": 1,
      "tracks": [
        {"pos": 1, "artist_name": "Beyonce", "track_uri": "spotify:track:B", "artist_uri": "spotify:artist:b",
         "track_name": "Crazy In Love", "album_uri": "spotify:album:b", "duration_ms": 235933, "album_name": "Dangerously In Love"},
        {"pos": 0, "artist_name": "Missy Elliott", "track_uri": "spotify:track:A", "artist_uri": "spotify:artist:a",
         "track_name": "Lose Control", "album_uri": "spotify:album:a", "duration_ms": 226863, "album_name": "The Cookbook"},
        {"pos": 2, "artist_name": "Beyonce", "track_uri": "spotify:track:B", "artist_uri": "spotify:artist:b",
         "track_name": "Crazy In Love", "album_uri": "spotify:album:b", "duration_ms": 235933, "album_name": "Dangerously In Love"}
      ],
      "num_edits": 6,
      "duration_ms": 698729,
      "num_artists": 2,
      "unknown": {"nested": [1, {"deep": null}], "more": "x"}
    },
    {
      "name": "Party",
      "collaborative": true,
      "pid": 7,
      "modified_at": 1500000000,
      "description": "for the weekend",
      "num_followers": 2,
      "tracks": [
        {"pos": 0, "artist_name": "Daft Punk", "track_uri": "spotify:track:C", "track_name": "One More Time",
         "extra": [1, 2, 3]},
        {"pos": 1, "artist_name": "Missy Elliott", "track_uri": "spotify:track:A", "track_name": "Lose Control"}
      ],
      "num_edits": 1,
      "duration_ms": 546000,
      "num_artists": 2
    }
  ]
}
)";

// Filtered subset layout (no pos, no album fields, no modified_at), and the same
// playlists as the CSV conversion writes them.
const char* const kSubsetSlice = R"({
    "info": {"generated_on": "2017-12-03 08:41:42.057563", "slice": "0-999", "version": "v1"},
    "playlists": [
        {"name": "Tegan and Sara", "pid": 1802, "num_tracks": 3, "num_followers": 18,
         "tracks": [
            {"artist_name": "Tegan and Sara", "track_uri": "spotify:track:X", "track_name": "Back In Your Head, Remix"},
            {"artist_name": "Morgan Page", "track_uri": "spotify:track:Y", "track_name": "Carry Me"},
            {"artist_name": "Tegan and Sara", "track_uri": "spotify:track:X", "track_name": "Back In Your Head, Remix"}
         ],
         "num_edits": 17, "duration_ms": 29003627, "num_artists": 7},
        {"name": "Christmas \"Mix\"", "pid": 1803, "description": "ho, ho", "num_tracks": 2, "num_followers": 22,
         "tracks": [
            {"artist_name": "Wham!", "track_uri": "spotify:track:Z", "track_name": "Last Christmas"},
            {"artist_name": "Morgan Page", "track_uri": "spotify:track:Y", "track_name": "Carry Me"}
         ],
         "num_edits": 3, "duration_ms": 6772221, "num_artists": 25},
        {"name": "Short", "pid": 1804, "num_tracks": 1, "num_followers": 12,
         "tracks": [{"artist_name": "Caf\u00e9 Tacvba", "track_uri": "spotify:track:W", "track_name": "Eres"}],
         "num_edits": 2, "duration_ms": 180000, "num_artists": 1}
    ]
}
)";

const char* const kSubsetPlaylistsCsv =
    "pid_global,slice,pid,name,description,num_followers,num_edits,duration_ms,num_artists\n"
    "1802,0-999,1802,Tegan and Sara,,18,17,29003627,7\n"
    "1803,0-999,1803,\"Christmas \"\"Mix\"\"\",\"ho, ho\",22,3,6772221,25\n"
    "1804,0-999,1804,Short,,12,2,180000,1\n";

const char* const kSubsetTracksCsv =
    "pid_global,pos,track_uri,artist_name,track_name\n"
    "1802,0,spotify:track:X,Tegan and Sara,\"Back In Your Head, Remix\"\n"
    "1802,1,spotify:track:Y,Morgan Page,Carry Me\n"
    "1802,2,spotify:track:X,Tegan and Sara,\"Back In Your Head, Remix\"\n"
    "1803,0,spotify:track:Z,Wham!,Last Christmas\n"
    "1803,1,spotify:track:Y,Morgan Page,Carry Me\n"
    "1804,0,spotify:track:W,Caf\xC3\xA9 Tacvba,Eres\n";

Dataset import(const std::string& path, OnError mode = OnError::kFail, IssueLog* log = nullptr) {
  IssueLog local(mode);
  return import_mpd(path, ImportOptions{}, log != nullptr ? *log : local);
}

// The InputError that importing `path` throws (a failure if it throws none).
InputError import_error(const std::string& path) {
  try {
    import(path);
  } catch (const InputError& error) {
    return error;
  }
  ADD_FAILURE() << "expected an InputError importing " << path;
  return InputError("", 0, "", "");
}

// A slice whose playlists array holds `body`: the body's first line is line 3.
std::string slice(const std::string& body) {
  return "{\"info\": {\"slice\": \"0-999\"},\n\"playlists\": [\n" + body + "\n]}\n";
}

void write_gzip(const std::string& path, const std::string& content) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, content.data(), static_cast<unsigned>(content.size())), static_cast<int>(content.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::vector<std::string> names(const IdMap& ids) {
  std::vector<std::string> out;
  for (std::int32_t i = 0; i < ids.size(); ++i) out.emplace_back(ids.name(i));
  return out;
}

std::vector<std::string> user_items(const Dataset& d, std::int32_t user) {
  std::vector<std::string> out;
  for (std::int64_t e = d.interactions.begin(user); e < d.interactions.end(user); ++e)
    out.emplace_back(d.items.name(d.interactions.items[e]));
  return out;
}

float number(const Attributes& a, const char* column, std::int32_t row) {
  const NumericColumn* c = a.find_number(column);
  return c == nullptr ? -12345.0f : c->values[row];
}

void expect_same_attributes(const Attributes& a, const Attributes& b) {
  ASSERT_EQ(a.strings.size(), b.strings.size());
  for (std::size_t k = 0; k < a.strings.size(); ++k) {
    EXPECT_EQ(a.strings[k].name, b.strings[k].name);
    EXPECT_EQ(a.strings[k].values, b.strings[k].values) << a.strings[k].name;
  }
  ASSERT_EQ(a.numbers.size(), b.numbers.size());
  for (std::size_t k = 0; k < a.numbers.size(); ++k) {
    EXPECT_EQ(a.numbers[k].name, b.numbers[k].name);
    EXPECT_EQ(a.numbers[k].values, b.numbers[k].values) << a.numbers[k].name;
  }
}

void expect_same_dataset(const Dataset& a, const Dataset& b) {
  EXPECT_TRUE(a.users == b.users);
  EXPECT_TRUE(a.items == b.items);
  EXPECT_EQ(a.event_names, b.event_names);
  const Interactions& x = a.interactions;
  const Interactions& y = b.interactions;
  EXPECT_EQ(x.indptr, y.indptr);
  EXPECT_EQ(x.items, y.items);
  EXPECT_EQ(x.weights, y.weights);
  EXPECT_EQ(x.timestamps, y.timestamps);
  EXPECT_EQ(x.events, y.events);
  EXPECT_EQ(x.positions, y.positions);
  expect_same_attributes(a.user_attributes, b.user_attributes);
  expect_same_attributes(a.item_attributes, b.item_attributes);
}

// ---- the JSON layouts ----

TEST(ImportMpd, FullLayoutSliceGivesUsersItemsEventsAndAttributes) {
  TempDir dir;
  const std::string path = dir.write("mpd.slice.0-999.json", kFullSlice);
  const Dataset d = import(path);
  d.validate();
  EXPECT_EQ(d.source, "mpd:" + path);
  EXPECT_EQ(names(d.users), (std::vector<std::string>{"0", "7"}));
  // Items are interned in position order, so A (pos 0) comes before B.
  EXPECT_EQ(names(d.items), (std::vector<std::string>{"spotify:track:A", "spotify:track:B", "spotify:track:C"}));
  EXPECT_EQ(user_items(d, 0), (std::vector<std::string>{"spotify:track:A", "spotify:track:B", "spotify:track:B"}));
  EXPECT_EQ(user_items(d, 1), (std::vector<std::string>{"spotify:track:C", "spotify:track:A"}));
  EXPECT_EQ(d.interactions.positions, (std::vector<std::int32_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(d.interactions.timestamps,
            (std::vector<std::int64_t>{1493424000, 1493424000, 1493424000, 1500000000, 1500000000}));
  ASSERT_EQ(d.interactions.events.size(), 5u);
  EXPECT_EQ(d.event_names[d.interactions.events[0]], "playlist_add");
  EXPECT_FLOAT_EQ(d.event_signal[d.interactions.events[0]], 2.0f);
  EXPECT_TRUE(d.interactions.weights.empty());

  const Attributes& u = d.user_attributes;
  EXPECT_EQ(u.string_value("name", 0), "Throwbacks");
  EXPECT_EQ(u.string_value("description", 0), "");
  EXPECT_EQ(u.string_value("description", 1), "for the weekend");
  EXPECT_EQ(number(u, "collaborative", 0), 0.0f);
  EXPECT_EQ(number(u, "collaborative", 1), 1.0f);
  EXPECT_EQ(number(u, "num_followers", 1), 2.0f);
  EXPECT_EQ(number(u, "num_edits", 0), 6.0f);
  EXPECT_EQ(number(u, "duration_ms", 0), 698729.0f);
  EXPECT_EQ(number(u, "num_artists", 0), 2.0f);
  EXPECT_EQ(number(u, "num_albums", 0), 2.0f);
  EXPECT_TRUE(std::isnan(number(u, "num_albums", 1)));
  EXPECT_EQ(number(u, "modified_at", 1), 1500000000.0f);
  EXPECT_EQ(u.find_number("num_tracks"), nullptr);  // redundant with the events, not kept

  const Attributes& i = d.item_attributes;
  EXPECT_EQ(i.string_value("name", 0), "Lose Control");
  EXPECT_EQ(i.string_value("artist", 1), "Beyonce");
  EXPECT_EQ(i.string_value("album", 1), "Dangerously In Love");
  EXPECT_EQ(i.string_value("artist_uri", 0), "spotify:artist:a");
  EXPECT_EQ(i.string_value("album_uri", 1), "spotify:album:b");
  EXPECT_EQ(i.string_value("album", 2), "");  // C has no album fields
  EXPECT_EQ(number(i, "duration_ms", 1), 235933.0f);
  EXPECT_TRUE(std::isnan(number(i, "duration_ms", 2)));
}

TEST(ImportMpd, FilteredLayoutUsesArrayIndexAsPositionAndKeepsRepeats) {
  TempDir dir;
  const Dataset d = import(dir.write("mpd.slice.0-999.json", kSubsetSlice));
  EXPECT_EQ(names(d.users), (std::vector<std::string>{"1802", "1803", "1804"}));
  EXPECT_EQ(d.n_items(), 4);
  // The repeated (1802, X) entry stays two events.
  EXPECT_EQ(user_items(d, 0), (std::vector<std::string>{"spotify:track:X", "spotify:track:Y", "spotify:track:X"}));
  EXPECT_EQ(d.interactions.positions, (std::vector<std::int32_t>{0, 1, 2, 0, 1, 0}));
  EXPECT_TRUE(d.interactions.timestamps.empty());
  EXPECT_EQ(d.user_attributes.string_value("name", 1), "Christmas \"Mix\"");
  EXPECT_EQ(d.user_attributes.string_value("description", 1), "ho, ho");
  EXPECT_EQ(d.user_attributes.find_number("modified_at"), nullptr);
  EXPECT_EQ(d.item_attributes.string_value("artist", 3), "Caf\xC3\xA9 Tacvba");
  EXPECT_EQ(d.item_attributes.find_string("album"), nullptr);
}

TEST(ImportMpd, CsvConversionGivesTheSameDatasetAsTheSlice) {
  TempDir dir;
  const Dataset json = import(dir.write("json/mpd.slice.0-999.json", kSubsetSlice));
  dir.write("csv/playlists.csv", kSubsetPlaylistsCsv);
  dir.write("csv/playlist_tracks.csv", kSubsetTracksCsv);
  const Dataset csv = import(dir.file("csv"));
  EXPECT_EQ(csv.source, "mpd:" + dir.file("csv"));
  expect_same_dataset(json, csv);
}

TEST(ImportMpd, CsvRowsOutOfOrderComeOutInPositionOrder) {
  TempDir dir;
  dir.write("playlists.csv", "pid_global,name\n1,a\n2,b\n");
  dir.write("playlist_tracks.csv",
            "pid_global,pos,track_uri\n2,1,t:c\n1,2,t:b\n1,0,t:a\n2,0,t:d\n1,1,t:c\n");
  const Dataset d = import(dir.path().string());
  EXPECT_EQ(user_items(d, 0), (std::vector<std::string>{"t:a", "t:c", "t:b"}));
  EXPECT_EQ(user_items(d, 1), (std::vector<std::string>{"t:d", "t:c"}));
  EXPECT_EQ(d.interactions.positions, (std::vector<std::int32_t>{0, 1, 2, 0, 1}));
}

TEST(ImportMpd, DirectoryOfSlicesIsReadInSliceStartOrder) {
  TempDir dir;
  // 1000-1999 sorts before 200-299 as text; the start number must decide.
  dir.write("mpd.slice.1000-1999.json", slice(R"({"pid": 1500, "tracks": [{"track_uri": "t:2"}]})"));
  dir.write("mpd.slice.200-299.json", slice(R"({"pid": 250, "tracks": [{"track_uri": "t:1"}, {"track_uri": "t:2"}]})"));
  dir.write("README.md", "not a slice");
  const Dataset d = import(dir.path().string());
  EXPECT_EQ(names(d.users), (std::vector<std::string>{"250", "1500"}));
  EXPECT_EQ(names(d.items), (std::vector<std::string>{"t:1", "t:2"}));
  EXPECT_EQ(d.interactions.size(), 3);
}

TEST(ImportMpd, SameSliceAsJsonAndGzipIsAnError) {
  TempDir dir;
  dir.write("mpd.slice.0-999.json", slice("{\"pid\": 1, \"tracks\": []}"));
  dir.write("mpd.slice.0-999.json.gz", "not read");
  EXPECT_NE(import_error(dir.path().string()).reason().find("second file for the slice"), std::string::npos);
}

TEST(ImportMpd, GzippedSliceAndGzippedCsvTracksAreRead) {
  TempDir dir;
  const Dataset plain = import(dir.write("plain/mpd.slice.0-999.json", kSubsetSlice));
  std::filesystem::create_directories(dir.path() / "gz");
  write_gzip(dir.file("gz/mpd.slice.0-999.json.gz"), kSubsetSlice);
  expect_same_dataset(plain, import(dir.file("gz/mpd.slice.0-999.json.gz")));
  expect_same_dataset(plain, import(dir.file("gz")));  // a directory of .json.gz slices

  dir.write("csv/playlists.csv", kSubsetPlaylistsCsv);
  write_gzip(dir.file("csv/playlist_tracks.csv.gz"), kSubsetTracksCsv);
  expect_same_dataset(plain, import(dir.file("csv")));
}

// ---- JSON errors: file, physical line, field path ----

TEST(ImportMpd, TruncatedJsonNamesTheLastLine) {
  TempDir dir;
  const std::string path = dir.write("mpd.slice.0-999.json",
                                     "{\"playlists\": [\n{\"pid\": 1, \"tracks\": [\n{\"track_uri\": \"spotify:tr");
  const InputError error = import_error(path);
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "playlists[0].tracks[0].track_uri");
  EXPECT_NE(error.reason().find("truncated"), std::string::npos) << error.what();
}

TEST(ImportMpd, SyntaxErrorNamesItsLine) {
  TempDir dir;
  const std::string path =
      dir.write("mpd.slice.0-999.json", slice("{\"pid\": 1, \"tracks\": []}\n{\"pid\": 2, \"tracks\": []}"));
  const InputError error = import_error(path);
  EXPECT_EQ(error.line(), 4u);  // the missing comma is noticed at the second '{'
  EXPECT_NE(error.reason().find("invalid JSON"), std::string::npos) << error.what();
}

TEST(ImportMpd, PlaylistWithoutPidNamesItsFirstLine) {
  TempDir dir;
  const InputError error = import_error(dir.write(
      "mpd.slice.0-999.json", slice("{\"pid\": 1, \"tracks\": []},\n{\"name\": \"no pid\",\n \"tracks\": []}")));
  EXPECT_EQ(error.line(), 4u);
  EXPECT_EQ(error.field(), "playlists[1].pid");
  EXPECT_NE(error.reason().find("missing"), std::string::npos);
}

TEST(ImportMpd, PlaylistWithoutTracksIsAnError) {
  TempDir dir;
  const InputError error =
      import_error(dir.write("mpd.slice.0-999.json", slice("{\"pid\": 1,\n \"name\": \"no tracks\"}")));
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "playlists[0].tracks");
}

TEST(ImportMpd, TrackWithoutTrackUriNamesTheTrack) {
  TempDir dir;
  const InputError error = import_error(dir.write(
      "mpd.slice.0-999.json",
      slice("{\"pid\": 1, \"name\": \"a\", \"tracks\": [\n  {\"track_uri\": \"t:1\"},\n  {\"track_name\": \"no uri\"}\n]}")));
  EXPECT_EQ(error.line(), 5u);
  EXPECT_EQ(error.field(), "playlists[0].tracks[1].track_uri");
}

TEST(ImportMpd, PidAsStringNamesTheValueLine) {
  TempDir dir;
  const InputError error =
      import_error(dir.write("mpd.slice.0-999.json", slice("{\"name\": \"a\",\n \"pid\": \"12\",\n \"tracks\": []}")));
  EXPECT_EQ(error.line(), 4u);
  EXPECT_EQ(error.field(), "playlists[0].pid");
  EXPECT_NE(error.reason().find("integer"), std::string::npos);
}

TEST(ImportMpd, NegativePidBeforeANewlineNamesItsOwnLine) {
  TempDir dir;
  // The parser reads one byte past a number; that byte being '\n' must not shift the line.
  const InputError error =
      import_error(dir.write("mpd.slice.0-999.json", slice("{\"tracks\": [],\n \"pid\": -3\n}")));
  EXPECT_EQ(error.line(), 4u);
  EXPECT_EQ(error.field(), "playlists[0].pid");
}

TEST(ImportMpd, TracksNotAnArrayIsAnError) {
  TempDir dir;
  const InputError error =
      import_error(dir.write("mpd.slice.0-999.json", slice("{\"pid\": 1,\n \"tracks\": {\"track_uri\": \"t:1\"}}")));
  EXPECT_EQ(error.line(), 4u);
  EXPECT_EQ(error.field(), "playlists[0].tracks");
}

TEST(ImportMpd, EmptyTrackUriIsAnError) {
  TempDir dir;
  const InputError error = import_error(
      dir.write("mpd.slice.0-999.json", slice("{\"pid\": 1, \"tracks\": [\n{\"track_uri\": \"t:1\"},\n{\"track_uri\": \"\"}]}")));
  EXPECT_EQ(error.line(), 5u);
  EXPECT_EQ(error.field(), "playlists[0].tracks[1].track_uri");
  EXPECT_EQ(error.reason(), "empty id");
}

TEST(ImportMpd, InvalidUtf8NamesItsLine) {
  TempDir dir;
  const InputError error = import_error(dir.write(
      "mpd.slice.0-999.json",
      slice("{\"pid\": 1, \"tracks\": [\n{\"track_uri\": \"t:1\",\n \"track_name\": \"bad \xC3\x28 byte\"}]}")));
  EXPECT_EQ(error.line(), 5u);
  EXPECT_NE(error.reason().find("UTF-8"), std::string::npos) << error.what();
}

TEST(ImportMpd, DuplicatePidAcrossSlicesNamesBothFiles) {
  TempDir dir;
  const std::string first = dir.write("mpd.slice.0-999.json", slice("{\"pid\": 5, \"tracks\": []}"));
  const std::string second =
      dir.write("mpd.slice.1000-1999.json", slice("{\"pid\": 6, \"tracks\": []},\n{\"pid\": 5, \"tracks\": []}"));
  const InputError error = import_error(dir.path().string());
  EXPECT_EQ(error.file(), second);
  EXPECT_EQ(error.line(), 4u);
  EXPECT_EQ(error.field(), "playlists[1].pid");
  EXPECT_NE(error.reason().find(first), std::string::npos) << error.what();
}

TEST(ImportMpd, DuplicatePositionInAPlaylistIsAnError) {
  TempDir dir;
  const InputError error = import_error(dir.write(
      "mpd.slice.0-999.json",
      slice("{\"pid\": 1, \"tracks\": [\n{\"pos\": 0, \"track_uri\": \"t:1\"},\n{\"pos\": 0, \"track_uri\": \"t:2\"}]}")));
  EXPECT_EQ(error.line(), 5u);
  EXPECT_EQ(error.field(), "playlists[0].tracks[1].pos");
}

TEST(ImportMpd, WrongTypesOfKnownFieldsAreErrors) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"pid\": 1.5, \"tracks\": []}", "playlists[0].pid"},
      {"{\"pid\": 1, \"num_followers\": -2, \"tracks\": []}", "playlists[0].num_followers"},
      {"{\"pid\": 1, \"collaborative\": \"maybe\", \"tracks\": []}", "playlists[0].collaborative"},
      {"{\"pid\": 1, \"name\": [\"a\"], \"tracks\": []}", "playlists[0].name"},
      {"{\"pid\": 1, \"tracks\": [{\"track_uri\": 7}]}", "playlists[0].tracks[0].track_uri"},
      {"{\"pid\": 1, \"tracks\": [{\"track_uri\": \"t\", \"pos\": -1}]}", "playlists[0].tracks[0].pos"},
      {"{\"pid\": 1, \"tracks\": [\"spotify:track:A\"]}", "playlists[0].tracks[0]"},
      {"{\"pid\": 1, \"pid\": 2, \"tracks\": []}", "playlists[0].pid"},
      {"3", "playlists[0]"},
  };
  for (const auto& [body, field] : cases) {
    const InputError error = import_error(dir.write("mpd.slice.0-999.json", slice(body)));
    EXPECT_EQ(error.line(), 3u) << body;
    EXPECT_EQ(error.field(), field) << body;
  }
  EXPECT_EQ(import_error(dir.write("mpd.slice.0-999.json", "{\"playlists\": {}}")).field(), "playlists");
  EXPECT_EQ(import_error(dir.write("mpd.slice.0-999.json", "[]")).line(), 1u);
  EXPECT_EQ(import_error(dir.write("mpd.slice.0-999.json", "{\"info\": {},\n\"other\": 1\n}")).line(), 3u);
}

TEST(ImportMpd, EmptyInputsAreErrors) {
  TempDir dir;
  const InputError empty_file = import_error(dir.write("a/mpd.slice.0-999.json", " \n"));
  EXPECT_EQ(empty_file.line(), 1u);
  EXPECT_NE(empty_file.reason().find("empty file"), std::string::npos);
  std::filesystem::create_directories(dir.path() / "empty");
  EXPECT_NE(import_error(dir.file("empty")).reason().find("mpd.slice"), std::string::npos);
  EXPECT_NE(import_error(dir.file("missing")).reason().find("no such file"), std::string::npos);
  EXPECT_NE(import_error(dir.write("b/mpd.slice.0-999.json", slice(""))).reason().find("no playlists"),
            std::string::npos);
  const InputError no_playlists = import_error(dir.write("c/mpd.slice.x.json", "{}"));  // any file name works
  EXPECT_EQ(no_playlists.line(), 1u);
  EXPECT_EQ(no_playlists.field(), "playlists");
  dir.write("d/mpd.slice.zero-999.json", slice("{\"pid\": 1, \"tracks\": []}"));
  EXPECT_NE(import_error(dir.file("d")).reason().find("file name"), std::string::npos);
}

// ---- skip mode ----

TEST(ImportMpd, SkipModeLeavesOutBadPlaylistsAndTracksOnly) {
  TempDir dir;
  const std::string path = dir.write("mpd.slice.0-999.json", slice(
      "{\"pid\": 1, \"tracks\": [{\"track_uri\": \"t:1\"}]},\n"
      "{\"pid\": \"2\", \"tracks\": [{\"track_uri\": \"t:2\"}]},\n"
      "{\"pid\": 3, \"tracks\": [{\"track_name\": \"no uri\"}, {\"track_uri\": \"t:3\"}]},\n"
      "{\"pid\": 4}"));
  IssueLog log(OnError::kSkip);
  const Dataset d = import(path, OnError::kSkip, &log);
  EXPECT_EQ(names(d.users), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(user_items(d, 1), (std::vector<std::string>{"t:3"}));
  EXPECT_EQ(d.interactions.positions, (std::vector<std::int32_t>{0, 1}));  // t:3 keeps its array index
  EXPECT_EQ(log.skipped(), 3u);
  EXPECT_NE(log.first_messages()[0].find(":4: field 'playlists[1].pid'"), std::string::npos) << log.first_messages()[0];
}

TEST(ImportMpd, SkipModeSyntaxErrorEndsOnlyThatFile) {
  TempDir dir;
  dir.write("mpd.slice.0-999.json",
            slice("{\"pid\": 1, \"tracks\": [{\"track_uri\": \"t:1\"}]},\n{\"pid\": 2 \"tracks\": []},\n{\"pid\": 3, \"tracks\": []}"));
  dir.write("mpd.slice.1000-1999.json", slice("{\"pid\": 1000, \"tracks\": [{\"track_uri\": \"t:2\"}]}"));
  IssueLog log(OnError::kSkip);
  const Dataset d = import(dir.path().string(), OnError::kSkip, &log);
  EXPECT_EQ(names(d.users), (std::vector<std::string>{"1", "1000"}));
  EXPECT_EQ(log.skipped(), 1u);
}

// ---- the parallel import (a directory of slices read by several threads) ----

Dataset import_threads(const std::string& path, int threads, IssueLog& log) {
  ImportOptions options;
  options.threads = threads;
  return import_mpd(path, options, log);
}

// Slices that exercise every ordering rule of the replay: a pid of an earlier slice (the dropped playlist is the
// first in its file to name t:new, with a different name than the later one that is kept), a pid repeated inside a
// file after the earlier slice's, a duplicate position, a track without uri, a syntax error, an empty file, a .gz.
void write_tricky_slices(TempDir& dir) {
  dir.write("mpd.slice.0-999.json", slice(
      "{\"pid\": 1, \"tracks\": [{\"track_uri\": \"t:a\", \"track_name\": \"A\"}, {\"track_uri\": \"t:b\"}]},\n"
      "{\"pid\": 2, \"tracks\": [{\"track_uri\": \"t:b\", \"track_name\": \"B\"}]}"));
  dir.write("mpd.slice.1000-1999.json", slice(
      "{\"pid\": 2, \"tracks\": [{\"track_uri\": \"t:new\", \"track_name\": \"dropped name\"}, "
      "{\"track_uri\": \"t:x\", \"pos\": 0}, {\"track_uri\": \"t:y\", \"pos\": 0}]},\n"
      "{\"pid\": 3, \"tracks\": [{\"track_uri\": \"t:c\"}, {\"track_name\": \"no uri\"}, {\"track_uri\": \"t:new\", "
      "\"track_name\": \"kept name\"}]},\n"
      "{\"pid\": 2, \"tracks\": [{\"track_uri\": \"t:z\"}]},\n"
      "{\"pid\": 4, \"tracks\": [{\"track_uri\": \"t:p\", \"pos\": 1}, {\"track_uri\": \"t:q\", \"pos\": 1}]}"));
  dir.write("mpd.slice.2000-2999.json", slice("{\"pid\": 5, \"tracks\": [{\"track_uri\": \"t:a\"}]},\n{\"pid\": 6 \"tracks\": []}"));
  dir.write("mpd.slice.3000-3999.json", "  \n");
  write_gzip(dir.file("mpd.slice.4000-4999.json.gz"),
             slice("{\"pid\": 7, \"tracks\": [{\"track_uri\": \"t:new\"}, {\"track_uri\": \"t:d\"}]},\n"
                   "{\"pid\": 1, \"tracks\": [{\"track_uri\": \"t:e\"}]}"));
  for (int k = 5; k < 12; ++k)  // more slices than threads, so recordings wait for their turn
    dir.write("mpd.slice." + std::to_string(k * 1000) + "-" + std::to_string(k * 1000 + 999) + ".json",
              slice("{\"pid\": " + std::to_string(100 + k) + ", \"tracks\": [{\"track_uri\": \"t:" +
                    std::to_string(k % 3) + "\"}, {\"track_uri\": \"t:a\"}]}"));
}

TEST(ImportMpdParallel, SkipModeGivesTheSameDatasetAndIssuesAsOneThread) {
  TempDir dir;
  write_tricky_slices(dir);
  IssueLog one(OnError::kSkip);
  const Dataset sequential = import_threads(dir.path().string(), 1, one);
  // The fixture must really drop what it means to drop.
  EXPECT_EQ(names(sequential.users), (std::vector<std::string>{"1", "2", "3", "4", "5", "7", "105", "106", "107",
                                                                "108", "109", "110", "111"}));
  EXPECT_EQ(sequential.item_attributes.string_value("name", sequential.items.find("t:new")), "kept name");
  ASSERT_EQ(one.skipped(), 7u);
  for (int threads : {2, 3, 8}) {
    IssueLog many(OnError::kSkip);
    const Dataset parallel = import_threads(dir.path().string(), threads, many);
    SCOPED_TRACE(threads);
    expect_same_dataset(sequential, parallel);
    EXPECT_EQ(names(sequential.items), names(parallel.items));
    EXPECT_EQ(many.skipped(), one.skipped());
    EXPECT_EQ(many.first_messages(), one.first_messages());
  }
}

TEST(ImportMpdParallel, FailModeStopsAtTheSameFirstProblem) {
  TempDir dir;
  write_tricky_slices(dir);
  auto first_error = [&](int threads) {
    IssueLog log(OnError::kFail);
    try {
      import_threads(dir.path().string(), threads, log);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  const std::string sequential = first_error(1);
  EXPECT_NE(sequential.find("mpd.slice.1000-1999.json:3: field 'playlists[0].pid'"), std::string::npos) << sequential;
  EXPECT_NE(sequential.find("already in"), std::string::npos) << sequential;
  for (int threads : {2, 4}) EXPECT_EQ(first_error(threads), sequential) << threads << " threads";
}

// ---- CSV conversion errors ----

TEST(ImportMpd, CsvTrackRowWithUnknownPidNamesTheLine) {
  TempDir dir;
  dir.write("playlists.csv", "pid_global,name\n1,a\n");
  const std::string tracks = dir.write("playlist_tracks.csv", "pid_global,pos,track_uri\n1,0,t:1\n9,0,t:2\n");
  const InputError error = import_error(dir.path().string());
  EXPECT_EQ(error.file(), tracks);
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "pid_global");
  EXPECT_NE(error.reason().find("not in playlists.csv"), std::string::npos);
}

TEST(ImportMpd, CsvBadValuesNameLineAndColumn) {
  TempDir dir;
  dir.write("playlists.csv", "pid_global,name,num_followers\n1,a,3\n2,b,x\n");
  dir.write("playlist_tracks.csv", "pid_global,pos,track_uri\n1,0,t:1\n");
  InputError error = import_error(dir.path().string());
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "num_followers");

  dir.write("playlists.csv", "pid_global,name\n1,a\n");
  dir.write("playlist_tracks.csv", "pid_global,pos,track_uri\n1,0,t:1\n1,first,t:2\n");
  error = import_error(dir.path().string());
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "pos");

  dir.write("playlist_tracks.csv", "pid_global,pos,track_uri\n1,0,t:1\n1,1,\n");
  error = import_error(dir.path().string());
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "track_uri");

  dir.write("playlist_tracks.csv", "pid_global,pos,track_uri\n1,1,t:1\n1,0,t:2\n1,1,t:3\n");
  error = import_error(dir.path().string());
  EXPECT_EQ(error.line(), 4u);
  EXPECT_NE(error.reason().find("duplicate position"), std::string::npos);

  dir.write("playlists.csv", "pid_global,name\n1,a\n1,b\n");
  error = import_error(dir.path().string());
  EXPECT_EQ(error.line(), 3u);
  EXPECT_NE(error.reason().find("duplicate pid"), std::string::npos);
}

TEST(ImportMpd, CsvMissingTracksFileOrColumnIsAnError) {
  TempDir dir;
  dir.write("playlists.csv", "pid_global,name\n1,a\n");
  EXPECT_NE(import_error(dir.path().string()).reason().find("playlist_tracks.csv"), std::string::npos);
  dir.write("playlist_tracks.csv", "pid_global,pos,uri\n1,0,t:1\n");
  EXPECT_EQ(import_error(dir.path().string()).field(), "track_uri");
  EXPECT_NE(import_error(dir.file("playlists.csv")).reason().find("directory"), std::string::npos);
}

TEST(ImportMpd, CsvSkipModeDropsABadPlaylistWithItsTracksInOneReport) {
  TempDir dir;
  dir.write("playlists.csv", "pid_global,name,num_followers\n1,a,3\n2,b,-1\n");
  dir.write("playlist_tracks.csv", "pid_global,pos,track_uri\n1,0,t:1\n2,0,t:2\n2,1,t:3\n1,1,t:4\n");
  IssueLog log(OnError::kSkip);
  const Dataset d = import(dir.path().string(), OnError::kSkip, &log);
  EXPECT_EQ(names(d.users), (std::vector<std::string>{"1"}));
  EXPECT_EQ(user_items(d, 0), (std::vector<std::string>{"t:1", "t:4"}));
  EXPECT_EQ(log.skipped(), 1u);
  EXPECT_NE(log.first_messages()[0].find("left out"), std::string::npos);
}

// ---- the real subset, when this machine has it (never required) ----

TEST(ImportMpdRealData, JsonSampleMatchesTheCsvConversion) {
  const std::string root = "/work/shared/data/mpd-subset";
  if (!std::filesystem::exists(root + "/playlists.csv") || !std::filesystem::exists(root + "/json-sample"))
    GTEST_SKIP() << root << " is not on this machine";
  const Dataset csv = import(root);
  EXPECT_EQ(csv.n_users(), 4257);
  EXPECT_EQ(csv.interactions.size(), 412455);
  EXPECT_EQ(csv.n_items(), 144028);
  const Dataset json = import(root + "/json-sample");
  ASSERT_GT(json.n_users(), 0);
  IssueLog log;
  expect_same_dataset(json, import_threads(root + "/json-sample", 1, log));  // `import` read it with all cores
  for (std::int32_t u = 0; u < json.n_users(); ++u) {
    const std::int32_t c = csv.users.find(json.users.name(u));
    ASSERT_NE(c, IdMap::kMissing) << json.users.name(u);
    EXPECT_EQ(user_items(json, u), user_items(csv, c)) << "pid " << json.users.name(u);
    EXPECT_EQ(json.user_attributes.string_value("name", u), csv.user_attributes.string_value("name", c));
    EXPECT_EQ(number(json.user_attributes, "num_followers", u), number(csv.user_attributes, "num_followers", c));
  }
}

}  // namespace
}  // namespace segue

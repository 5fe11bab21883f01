// The corpus of tests/malformed/ (README.md there) fed to every importer that
// reads text: each file ends in an InputError naming the file and, where the
// damage has one, the line — never a crash, a hang or data silently kept.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/error.h"
#include "data/importer.h"
#include "test_util.h"

namespace segue {
namespace {

namespace fs = std::filesystem;
using segue::testing::TempDir;

std::string corpus(const std::string& name) { return std::string(SEGUE_SOURCE_DIR) + "/tests/malformed/" + name; }

// Where each text importer reads a file, for a corpus file copied there.
struct Target {
  std::string format;
  std::string file;   // the copy's path inside the temp dir ({gz} = ".gz" for a gzipped corpus file)
  std::string input;  // what import_dataset is given: the copy or its directory
};
const std::vector<Target>& targets() {
  static const std::vector<Target> all{
      {"csv", "log.csv{gz}", "log.csv{gz}"},
      {"lastfm", "lastfm/user_artists.dat{gz}", "lastfm"},
      {"mpd", "mpd/playlists.csv", "mpd"},
      {"spotify-skips", "log_0.csv{gz}", "log_0.csv{gz}"},
      {"tracks", "SpotifyFeatures.csv{gz}", "SpotifyFeatures.csv{gz}"},
      {"recbole", "ml.inter", "ml.inter"},
  };
  return all;
}

std::string with_gz(std::string path, bool gz) {
  const auto at = path.find("{gz}");
  if (at != std::string::npos) path.replace(at, 4, gz ? ".gz" : "");
  return path;
}

InputError import_error(const std::string& format, const std::string& input) {
  IssueLog issues;
  try {
    import_dataset(format, input, ImportOptions{}, issues);
  } catch (const InputError& error) {
    return error;
  }
  ADD_FAILURE() << format << " accepted " << input;
  return InputError("", 0, "", "");
}

TEST(MalformedInputs, TextDamageIsNamedByEveryImporter) {
  struct Case {
    std::string file;
    std::size_t line;  // 0: the file as a whole
    std::string reason;
  };
  const std::vector<Case> cases{{"invalid_utf8.csv", 4, "invalid UTF-8"},
                                {"nul_byte.csv", 4, "NUL byte"},
                                {"utf16.csv", 1, "NUL byte"},
                                {"truncated.csv.gz", 0, "truncated gzip"}};
  for (const Case& c : cases) {
    const bool gz = c.file.ends_with(".gz");
    for (const Target& t : targets()) {
      if (gz && t.file.find("{gz}") == std::string::npos) continue;  // that importer reads no .gz there
      SCOPED_TRACE(c.file + " as " + t.format);
      TempDir dir;
      const std::string copy = dir.file(with_gz(t.file, gz));
      fs::create_directories(fs::path(copy).parent_path());
      fs::copy_file(corpus(c.file), copy);
      if (t.format == "mpd")
        dir.write("mpd/playlist_tracks.csv", "pid_global,pos,track_uri\n1,0,t\n");
      const InputError e = import_error(t.format, dir.file(with_gz(t.input, gz)));
      EXPECT_EQ(e.file(), copy) << e.what();
      if (c.line > 0) {
        EXPECT_EQ(e.line(), c.line) << e.what();
      }
      EXPECT_NE(std::string(e.what()).find(c.reason), std::string::npos) << e.what();
    }
  }
}

TEST(MalformedInputs, FieldDamageNamesLineAndField) {
  ImportOptions options;
  options.columns.weight = "weight";
  IssueLog issues;
  auto error_of = [&](const std::string& path) {
    try {
      import_dataset("csv", path, options, issues);
    } catch (const InputError& error) {
      return error;
    }
    ADD_FAILURE() << "accepted " << path;
    return InputError("", 0, "", "");
  };
  // Two files concatenated: the second BOM and header are a row whose weight is "weight".
  InputError e = error_of(corpus("bom_in_the_middle.csv"));
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.field(), "weight");
  e = error_of(corpus("number_1e309.csv"));
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.field(), "weight");
  // A 10 MB id (a lost quote or delimiter): refused with its size, not kept.
  TempDir dir;
  const std::string long_line = dir.write("long.csv", "user_id,item_id,weight\nu1,i1,1\nu2," +
                                                          std::string(10u << 20, 'x') + ",1\n");
  e = error_of(long_line);
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.field(), "item_id");
  EXPECT_NE(std::string(e.what()).find("10485760 bytes"), std::string::npos) << e.what();
  // Negative zero is a valid weight, kept as 0 without its sign.
  const Dataset d = import_dataset("csv", corpus("negative_zero.csv"), options, issues);
  ASSERT_EQ(d.interactions.size(), 2);
  for (float w : d.interactions.weights) EXPECT_FALSE(std::signbit(w)) << w;
}

TEST(MalformedInputs, JsonDamageIsNamed) {
  TempDir dir;
  // 50,000 nested arrays where a playlist belongs: refused at the first, no deep recursion.
  const std::string nested = dir.file("mpd.slice.0-999.json");
  fs::copy_file(corpus("deeply_nested.json"), nested);
  InputError e = import_error("mpd", nested);
  EXPECT_EQ(e.file(), nested);
  EXPECT_EQ(e.field(), "playlists[0]");
  const std::string escape = dir.file("mpd.slice.1000-1999.json");
  fs::copy_file(corpus("nul_escape.json"), escape);
  e = import_error("mpd", escape);
  EXPECT_EQ(e.file(), escape);
  EXPECT_EQ(e.line(), 1u);
  EXPECT_EQ(e.field(), "playlists[0].tracks[0].track_uri");
  EXPECT_NE(std::string(e.what()).find("NUL"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace segue

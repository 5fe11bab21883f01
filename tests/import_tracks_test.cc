// Tests for the track-catalogue importer: the Kaggle SpotifyFeatures layout and
// the generic items CSV, on small fixtures written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "data/importer.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::expect_input_error;

using testing::TempDir;

const std::string kKaggleHeader =
    "genre,artist_name,track_name,track_id,popularity,acousticness,danceability,duration_ms,energy,"
    "instrumentalness,key,liveness,loudness,mode,speechiness,tempo,time_signature,valence\n";

// Columns: 0 genre, 1 artist, 2 name, 3 id, 4 popularity, 8 energy, 10 key, 13 mode.
std::string kaggle_row(const std::string& genre, const std::string& id, const std::string& popularity = "0",
                       const std::string& energy = "0.91", const std::string& key = "C#",
                       const std::string& mode = "Major") {
  return genre + ",Henri Salvador,\"C'est beau, de faire un Show\"," + id + "," + popularity +
         ",0.611,0.389,99373," + energy + ",0," + key + ",0.346,-1.828," + mode + ",0.0525,166.969,4,0.814\n";
}

const std::string kKaggle = kKaggleHeader + kaggle_row("Movie", "0BRjO6ga9RKCKjfDqeFgWV") +
                            "Country,Artist B,Song B,1111111111111111111111,50,0.1,0.2,200000,0.3,0.0,A#,0.1,-5.0,"
                            "Minor,0.04,120.0,3,0.5\n" +
                            kaggle_row("Dance", "0BRjO6ga9RKCKjfDqeFgWV", "7");

Dataset import_file(const std::string& path) {
  IssueLog issues;
  return import_tracks(path, ImportOptions{}, issues);
}

float number(const Dataset& data, const std::string& column, std::int32_t item) {
  const NumericColumn* values = data.item_attributes.find_number(column);
  if (values == nullptr) throw std::runtime_error("no numeric column " + column);
  return values->values[item];
}

std::vector<std::string> tags_of(const Dataset& data, std::int32_t item) {
  const TokenLists& tags = data.item_attributes.tags;
  std::vector<std::string> out;
  for (std::int64_t k = tags.indptr[item]; k < tags.indptr[item + 1]; ++k)
    out.emplace_back(tags.vocab.name(tags.tokens[k]));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ImportTracks, KaggleTracksBecomeItemsKeyedByMpdUri) {
  TempDir dir;
  const Dataset data = import_file(dir.write("tracks.csv", kKaggle));
  data.validate();
  EXPECT_EQ(data.n_items(), 2);
  EXPECT_EQ(data.n_users(), 0);
  EXPECT_EQ(data.interactions.size(), 0);
  const std::int32_t item = data.items.find("spotify:track:0BRjO6ga9RKCKjfDqeFgWV");
  const std::int32_t other = data.items.find("spotify:track:1111111111111111111111");
  ASSERT_GE(item, 0);
  ASSERT_GE(other, 0);
  EXPECT_EQ(data.item_attributes.string_value("name", item), "C'est beau, de faire un Show");
  EXPECT_EQ(data.item_attributes.string_value("artist", item), "Henri Salvador");
  EXPECT_EQ(number(data, "key", item), 1.0f);
  EXPECT_EQ(data.item_attributes.string_value("key_name", item), "C#");
  EXPECT_EQ(number(data, "key", other), 10.0f);  // A#
  EXPECT_EQ(number(data, "mode", item), 1.0f);
  EXPECT_EQ(number(data, "mode", other), 0.0f);
  EXPECT_FLOAT_EQ(number(data, "energy", item), 0.91f);
  EXPECT_EQ(number(data, "duration_ms", other), 200000.0f);
  EXPECT_EQ(number(data, "time_signature", other), 3.0f);
  EXPECT_FLOAT_EQ(number(data, "loudness", other), -5.0f);
}

TEST(ImportTracks, TrackUnderSeveralGenresIsOneItemWithAllGenres) {
  TempDir dir;
  IssueLog issues;
  const Dataset data = import_tracks(dir.write("tracks.csv", kKaggle), ImportOptions{}, issues);
  ASSERT_EQ(issues.notes().size(), 1u);  // the merge is said, not silent
  EXPECT_EQ(issues.notes()[0].rfind("1 rows repeat", 0), 0u);
  const std::int32_t item = data.items.find("spotify:track:0BRjO6ga9RKCKjfDqeFgWV");
  EXPECT_EQ(data.item_attributes.string_value("genre", item), "Movie|Dance");
  EXPECT_EQ(tags_of(data, item), (std::vector<std::string>{"Dance", "Movie"}));
  EXPECT_EQ(number(data, "popularity", item), 0.0f);  // the first row's values are kept
}

TEST(ImportTracks, UnknownKeyNamesLineAndField) {
  TempDir dir;
  const std::string path = dir.write("tracks.csv", kKaggleHeader + kaggle_row("Movie", "a") +
                                                       kaggle_row("Movie", "b", "1", "0.5", "H"));
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "key");
}

TEST(ImportTracks, NanInfAndJunkFeaturesAreErrors) {
  TempDir dir;
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "0.5x", ""}) {
    const std::string path = dir.write("tracks.csv", kKaggleHeader + kaggle_row("Movie", "a", "1", bad));
    const InputError error = expect_input_error([&] { import_file(path); });
    EXPECT_EQ(error.line(), 2u) << bad;
    EXPECT_EQ(error.field(), "energy") << bad;
  }
}

TEST(ImportTracks, BadModeEmptyIdAndWrongFieldCountAreErrors) {
  TempDir dir;
  std::string path = dir.write("tracks.csv", kKaggleHeader + kaggle_row("Movie", "a", "1", "0.5", "C", "major"));
  EXPECT_EQ(expect_input_error([&] { import_file(path); }).field(), "mode");
  path = dir.write("tracks.csv", kKaggleHeader + kaggle_row("Movie", "a") + kaggle_row("Movie", ""));
  InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "track_id");
  path = dir.write("tracks.csv", kKaggleHeader + kaggle_row("Movie", "a") + "Movie,x,y,b,1\n");
  error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_NE(error.reason().find("expected 18 fields"), std::string::npos);
}

TEST(ImportTracks, MissingKaggleColumnIsNamed) {
  TempDir dir;
  std::string header = kKaggleHeader;
  header.erase(header.find(",danceability"), std::string(",danceability").size());
  const std::string path = dir.write("tracks.csv", header);
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_EQ(error.field(), "danceability");
}

TEST(ImportTracks, SkipModeDropsBadRowsOnly) {
  TempDir dir;
  const std::string path = dir.write("tracks.csv", kKaggleHeader + kaggle_row("Movie", "a") +
                                                       kaggle_row("Movie", "b", "1", "nan") + kaggle_row("Movie", "c"));
  IssueLog issues(OnError::kSkip);
  const Dataset data = import_tracks(path, ImportOptions{}, issues);
  EXPECT_EQ(issues.skipped(), 1u);
  EXPECT_EQ(data.n_items(), 2);
  EXPECT_FALSE(data.items.contains("spotify:track:b"));
}

TEST(ImportTracks, GenericItemsTypeColumnsByContent) {
  TempDir dir;
  const std::string path = dir.write("items.csv",
                                     "item_id,name,artist,album,genre,year,tags,bpm,label,text\n"
                                     "i1,Song,Band,Record,rock,1999,rock|indie pop| ,120.5,Sub Pop,\"a, b\"\n"
                                     "i2,Other,Band,,jazz,,,98,12,\n"
                                     "i3,,,,,2001,jazz,,,\n");
  const Dataset data = import_file(path);
  data.validate();
  ASSERT_EQ(data.n_items(), 3);
  const std::int32_t i1 = data.items.find("i1");
  const std::int32_t i2 = data.items.find("i2");
  const std::int32_t i3 = data.items.find("i3");
  EXPECT_EQ(data.item_attributes.string_value("name", i1), "Song");
  EXPECT_EQ(data.item_attributes.string_value("album", i1), "Record");
  EXPECT_EQ(data.item_attributes.string_value("genre", i2), "jazz");
  EXPECT_EQ(data.item_attributes.string_value("text", i1), "a, b");
  EXPECT_EQ(number(data, "year", i1), 1999.0f);
  EXPECT_TRUE(std::isnan(number(data, "year", i2)));
  EXPECT_FLOAT_EQ(number(data, "bpm", i1), 120.5f);
  EXPECT_TRUE(std::isnan(number(data, "bpm", i3)));
  // "Sub Pop" makes the whole label column text, so "12" stays a string.
  EXPECT_EQ(data.item_attributes.find_number("label"), nullptr);
  EXPECT_EQ(data.item_attributes.string_value("label", i2), "12");
  EXPECT_EQ(tags_of(data, i1), (std::vector<std::string>{"indie pop", "rock"}));
  EXPECT_TRUE(tags_of(data, i2).empty());
  EXPECT_EQ(tags_of(data, i3), (std::vector<std::string>{"jazz"}));
}

TEST(ImportTracks, GenericBadYearDuplicateAndEmptyIdAreErrors) {
  TempDir dir;
  std::string path = dir.write("items.tsv", "item_id\tyear\ni1\t1999\ni2\tsoon\n");
  InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "year");
  path = dir.write("items.csv", "item_id,name\ni1,a\ni2,b\ni1,c\n");
  error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 4u);
  EXPECT_NE(error.reason().find("line 2"), std::string::npos);
  path = dir.write("items.csv", "item_id,name\n,a\n");
  error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 2u);
  EXPECT_EQ(error.field(), "item_id");
}

TEST(ImportTracks, UnknownLayoutIsAnError) {
  TempDir dir;
  const std::string path = dir.write("what.csv", "id,title\n1,x\n");
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_NE(error.reason().find("item_id"), std::string::npos);
}

}  // namespace
}  // namespace segue

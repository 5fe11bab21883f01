// The item-feature pipeline (features/item_features.h): every value here is
// checked by hand against docs/FEATURES.md.
#include "features/item_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "data/export_items.h"
#include "features/feature_matrix.h"
#include "io/model_file.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

IdMap ids(std::initializer_list<const char*> names) {
  IdMap m;
  for (const char* n : names) m.intern(n);
  return m;
}

// Row `item` as name -> value.
std::map<std::string, float> row(const FeatureMatrix& m, std::int32_t item) {
  std::map<std::string, float> out;
  const auto idx = m.row_indices(item);
  const auto val = m.row_values(item);
  for (std::size_t j = 0; j < idx.size(); ++j) out[m.names[static_cast<std::size_t>(idx[j])]] = val[j];
  return out;
}

const FeatureGroupReport* group(const ItemFeatureReport& r, const std::string& name) {
  for (const auto& g : r.groups)
    if (g.group == name) return &g;
  return nullptr;
}

// energy 1, 2, 3 (and one missing): mean 2, population sd sqrt(2/3), so the
// z-scores are -1.2247, 0, 1.2247. Two bins: cut = sorted[3 * 1 / 2] = 2, so
// 1 -> bin 0, 2 and 3 -> bin 1.
TEST(ItemFeatures, StandardisesNumericColumnsAndBins) {
  TempDir dir;
  const std::string path = dir.write("items.csv", "item_id,energy\na,1\nb,2\nc,3\nd,\n");
  IdMap items = ids({"a", "b", "c", "d", "e"});
  ItemFeatureOptions options;
  options.bins = 2;
  ItemFeatureReport report;
  const FeatureMatrix m = build_item_features(path, items, options, &report);
  ASSERT_EQ(m.n_rows, 5);
  const double z = 1.0 / std::sqrt(2.0 / 3.0);
  EXPECT_NEAR(row(m, 0).at("energy"), -z, 1e-6);
  EXPECT_NEAR(row(m, 1).at("energy"), 0.0, 1e-6);
  EXPECT_NEAR(row(m, 2).at("energy"), z, 1e-6);
  EXPECT_EQ(row(m, 0).at("energy_bin=0"), 1.0f);
  EXPECT_EQ(row(m, 1).count("energy_bin=1"), 1u);
  EXPECT_EQ(row(m, 2).count("energy_bin=1"), 1u);
  EXPECT_TRUE(row(m, 3).empty());  // described, value missing: no feature
  EXPECT_TRUE(row(m, 4).empty());  // not in the file
  EXPECT_EQ(m.described, (std::vector<std::uint8_t>{1, 1, 1, 1, 0}));
  EXPECT_EQ(report.missing_values, 1);
  EXPECT_EQ(report.items_without_features, 1);
  EXPECT_EQ(report.described_training_items, 4);
  EXPECT_EQ(report.added_items, 0);
  ASSERT_NE(group(report, "audio"), nullptr);
  EXPECT_EQ(group(report, "audio")->features, 1);
  EXPECT_EQ(group(report, "audio_bin")->features, 2);
  // NaN is a missing value too.
  const std::string nan = dir.write("nan.csv", "item_id,energy\na,1\nb,NaN\n");
  IdMap other = ids({"a", "b"});
  build_item_features(nan, other, options, &report);
  EXPECT_EQ(report.missing_values, 1);
}

// Names "Love Song", "love", "Other Song!" (min_df 1): N = 3; df(love) = df(song)
// = 2, idf = ln(4/3) + 1; df(other) = 1, idf = ln(4/2) + 1; rows L2-normalised.
TEST(ItemFeatures, NameWordsAreTfIdfWeighted) {
  TempDir dir;
  const std::string path = dir.write("items.csv", "item_id,name\na,Love Song\nb,love\nc,Other Song!\n");
  IdMap items = ids({"a", "b", "c"});
  ItemFeatureOptions options;
  options.min_df = 1;
  const FeatureMatrix m = build_item_features(path, items, options);
  EXPECT_NEAR(row(m, 0).at("word=love"), 1 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(row(m, 0).at("word=song"), 1 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(row(m, 1).at("word=love"), 1.0, 1e-6);
  const double idf_song = std::log(4.0 / 3.0) + 1, idf_other = std::log(2.0) + 1;
  const double norm = std::hypot(idf_song, idf_other);
  EXPECT_NEAR(row(m, 2).at("word=song"), idf_song / norm, 1e-6);
  EXPECT_NEAR(row(m, 2).at("word=other"), idf_other / norm, 1e-6);
  // Default min_df 2 drops "other": c keeps only "song" (weight 1).
  IdMap again = ids({"a", "b", "c"});
  ItemFeatureReport report;
  const FeatureMatrix d = build_item_features(path, again, {}, &report);
  EXPECT_EQ(row(d, 2).size(), 1u);
  EXPECT_NEAR(row(d, 2).at("word=song"), 1.0, 1e-6);
  EXPECT_EQ(report.dropped_terms, 1);
}

TEST(ItemFeatures, CategoricalYearAndTags) {
  TempDir dir;
  const std::string path = dir.write("items.csv",
                                     "item_id,artist,album,genre,year,tags\n"
                                     "a,Queen,Jazz,rock|pop,1978,rock:3|pop|rock\n"
                                     "b,Queen,,rock,2001-05-01,pop\n"
                                     "c,ABBA,Arrival,pop,1989.0,\n");
  IdMap items = ids({"a", "b", "c"});
  ItemFeatureOptions options;
  options.min_df = 1;
  const FeatureMatrix m = build_item_features(path, items, options);
  const auto a = row(m, 0), b = row(m, 1), c = row(m, 2);
  EXPECT_EQ(a.at("artist=Queen"), 1.0f);
  EXPECT_EQ(a.at("album=Jazz"), 1.0f);
  EXPECT_EQ(a.at("genre=rock"), 1.0f);
  EXPECT_EQ(a.at("genre=pop"), 1.0f);
  EXPECT_EQ(a.at("year=1970s"), 1.0f);
  EXPECT_EQ(b.at("year=2000s"), 1.0f);
  EXPECT_EQ(c.at("year=1980s"), 1.0f);
  EXPECT_EQ(c.at("artist=ABBA"), 1.0f);
  // rock: 3 + 1 = 4, pop: 1 -> weights 4/4 and 1/4.
  EXPECT_FLOAT_EQ(a.at("tag=rock"), 1.0f);
  EXPECT_FLOAT_EQ(a.at("tag=pop"), 0.25f);
  EXPECT_FLOAT_EQ(b.at("tag=pop"), 1.0f);
  EXPECT_EQ(b.count("album="), 0u);
  EXPECT_EQ(c.count("tag=pop"), 0u);
  std::vector<std::string> groups = m.groups;
  EXPECT_EQ(groups, (std::vector<std::string>{"artist", "album", "genre", "year", "tag"}));
}

TEST(ItemFeatures, UnicodeWordsStayWhole) {
  EXPECT_EQ(tokenize_words("Beyoncé — Crazy in Love (Remix) 東京 ÜBER x, don't"),
            (std::vector<std::string>{"beyoncé", "crazy", "in", "love", "remix", "東京", "über", "don"}));
  EXPECT_EQ(tokenize_words("Мой «друг»…Ночь"), (std::vector<std::string>{"Мой", "друг", "Ночь"}));
  EXPECT_TRUE(tokenize_words("   ,.! a").empty());
  TempDir dir;
  const std::string path = dir.write("items.csv", "item_id,name,text\na,東京 Love,ночь\nb,東京,ночь\n");
  IdMap items = ids({"a", "b"});
  const FeatureMatrix m = build_item_features(path, items);
  EXPECT_EQ(row(m, 1).size(), 2u);
  EXPECT_EQ(row(m, 1).count("word=東京"), 1u);
  EXPECT_EQ(row(m, 1).count("word=ночь"), 1u);
}

TEST(ItemFeatures, CatalogueItemsExtendTheIdSpace) {
  TempDir dir;
  const std::string path = dir.write("items.csv", "item_id,artist\nb,X\nnew1,X\nnew2,Y\n");
  IdMap items = ids({"a", "b"});
  ItemFeatureReport report;
  const FeatureMatrix m = build_item_features(path, items, {}, &report);
  EXPECT_EQ(items.size(), 4);
  EXPECT_EQ(items.find("new1"), 2);
  EXPECT_EQ(items.find("new2"), 3);
  EXPECT_EQ(m.n_rows, 4);
  EXPECT_EQ(m.described, (std::vector<std::uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(report.added_items, 2);
  EXPECT_EQ(report.items_before, 2);
  EXPECT_EQ(report.items_after, 4);
  EXPECT_EQ(row(m, 2).at("artist=X"), 1.0f);
  // Without the extension the rows are counted and left out.
  IdMap fixed = ids({"a", "b"});
  ItemFeatureOptions options;
  options.extend_catalogue = false;
  const FeatureMatrix f = build_item_features(path, fixed, options, &report);
  EXPECT_EQ(fixed.size(), 2);
  EXPECT_EQ(f.n_rows, 2);
  EXPECT_EQ(report.ignored_rows, 2);
}

TEST(ItemFeatures, OtherColumnsAreNumericOrText) {
  TempDir dir;
  const std::string path =
      dir.write("items.csv", "item_id,plays,mood,url\na,10,Calm Night,http://x\nb,30,calm day,http://y\n");
  IdMap items = ids({"a", "b"});
  ItemFeatureReport report;
  const FeatureMatrix m = build_item_features(path, items, {}, &report);
  EXPECT_EQ(report.numeric_columns, (std::vector<std::string>{"plays"}));
  EXPECT_EQ(report.text_columns, (std::vector<std::string>{"mood"}));
  EXPECT_EQ(report.ignored_columns, (std::vector<std::string>{"url"}));
  EXPECT_NEAR(row(m, 0).at("plays"), -1.0, 1e-6);
  EXPECT_EQ(row(m, 0).count("word=calm"), 1u);  // df 2
  EXPECT_EQ(row(m, 0).count("word=night"), 0u);  // df 1 < min_df 2
  EXPECT_EQ(row(m, 0).count("word=http"), 0u);
  ASSERT_NE(group(report, "numeric"), nullptr);
}

// `segue audio analyze` writes key as a pitch class name and mode as a word:
// C# = 1, A = 9, Bb = 10 and major = 1, minor = 0 (Spotify's numbers), then
// standardised like any audio column. key 1, 9, 10: mean 20/3.
TEST(ItemFeatures, KeyNamesAndModeWordsFromAudioAnalysisAreNumbers) {
  TempDir dir;
  const std::string path = dir.write("audio.csv", "item_id,key,mode\na,C#,major\nb,A,minor\nc,Bb,1\n");
  IdMap items = ids({"a", "b", "c"});
  ItemFeatureOptions options;
  options.bins = 0;
  const FeatureMatrix m = build_item_features(path, items, options);
  const double mean = 20.0 / 3.0;
  const double sd = std::sqrt(((1 - mean) * (1 - mean) + (9 - mean) * (9 - mean) + (10 - mean) * (10 - mean)) / 3.0);
  EXPECT_NEAR(row(m, 0).at("key"), (1 - mean) / sd, 1e-5);
  EXPECT_NEAR(row(m, 1).at("key"), (9 - mean) / sd, 1e-5);
  EXPECT_NEAR(row(m, 2).at("key"), (10 - mean) / sd, 1e-5);
  // mode 1, 0, 1: mean 2/3, sd sqrt(2)/3.
  EXPECT_NEAR(row(m, 1).at("mode"), (0 - 2.0 / 3.0) / (std::sqrt(2.0) / 3.0), 1e-5);
  // Anything else in those columns is still an error naming the cell.
  IdMap other = ids({"a"});
  const InputError e = testing::expect_input_error(
      [&] { build_item_features(dir.write("bad.csv", "item_id,key\na,H\n"), other); });
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.field(), "key");
}

TEST(ItemFeatures, BadInputNamesFileLineAndColumn) {
  TempDir dir;
  IdMap items = ids({"a", "b"});
  InputError e = testing::expect_input_error(
      [&] { build_item_features(dir.write("noid.csv", "id,energy\na,1\n"), items); });
  EXPECT_EQ(e.line(), 1u);
  EXPECT_EQ(e.field(), "item_id");
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("twice.csv", "item_id,energy\na,1\nb,2\na,3\n"), items); });
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.field(), "item_id");
  EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("loud.csv", "item_id,energy\na,0.5\nb,loud\n"), items); });
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.field(), "energy");
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("inf.csv", "item_id,tempo\na,120\nb,-inf\n"), items); });
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.field(), "tempo");
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("inf2.csv", "item_id,plays\na,3\nb,inf\n"), items); });
  EXPECT_EQ(e.field(), "plays");
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("year.csv", "item_id,year\na,19x4\n"), items); });
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.field(), "year");
  // Far outside an integer's range: rejected before any conversion (converting 1e300 to long is undefined).
  for (const char* huge : {"1e300", "-1e300", "9.3e18", "1e4"}) {
    e = testing::expect_input_error([&] {
      build_item_features(dir.write("huge.csv", std::string("item_id,year\na,1994\nb,") + huge + "\n"), items);
    });
    EXPECT_EQ(e.line(), 3u) << huge;
    EXPECT_EQ(e.field(), "year") << huge;
  }
  // A repeated column name (found by fuzz_item_features): one item would get the same feature twice.
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("dup.csv", "item_id,artist,tags,artist\na,X,t,X\n"), items); });
  EXPECT_EQ(e.line(), 1u);
  EXPECT_EQ(e.field(), "artist");
  EXPECT_NE(std::string(e.what()).find("column 2"), std::string::npos) << e.what();
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("width.csv", "item_id,energy\na,1,2\n"), items); });
  EXPECT_EQ(e.line(), 2u);
  e = testing::expect_input_error([&] { build_item_features(dir.write("empty.csv", "item_id,energy\n,1\n"), items); });
  EXPECT_EQ(e.field(), "item_id");
  // A failure leaves the id map as it was, even after rows of new items.
  e = testing::expect_input_error(
      [&] { build_item_features(dir.write("new.csv", "item_id,energy\nz,1\nb,oops\n"), items); });
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(items.size(), 2);
}

TEST(ItemFeatures, SaveLoadRoundTripThroughAModelFile) {
  TempDir dir;
  const std::string path = dir.write("items.csv",
                                     "item_id,artist,name,energy,tags\n"
                                     "a,Queen,Love Song,0.5,rock|pop\n"
                                     "b,Queen,Love,0.7,rock\n"
                                     "c,ABBA,Song Ночь,,pop\n");
  IdMap items = ids({"a", "x"});
  const FeatureMatrix m = build_item_features(path, items);
  const std::string file = dir.file("model.bin");
  {
    ModelWriter out(file);
    m.save(out, "features");
    out.commit();
  }
  const ModelReader in(file);
  const FeatureMatrix back = FeatureMatrix::load(in, "features");
  EXPECT_EQ(back.n_rows, m.n_rows);
  EXPECT_EQ(back.n_features, m.n_features);
  EXPECT_EQ(back.indptr, m.indptr);
  EXPECT_EQ(back.indices, m.indices);
  EXPECT_EQ(back.values, m.values);
  EXPECT_EQ(back.names, m.names);
  EXPECT_EQ(back.group_of, m.group_of);
  EXPECT_EQ(back.groups, m.groups);
  EXPECT_EQ(back.described, m.described);
  EXPECT_EQ(m.described, (std::vector<std::uint8_t>{1, 0, 1, 1}));
}

// `segue export --format items`: the store's attributes, tag counts as "tag:N",
// the audio catalogue joined on spotify:track:ID; an item without any value
// gets no row. Read back, the tag weights are count / the largest count.
TEST(ExportItems, WritesAttributesTagsAndAudioJoin) {
  TempDir dir;
  DatasetBuilder builder;
  const std::int32_t a = builder.item("spotify:track:AAA");
  const std::int32_t b = builder.item("spotify:track:BBB");
  builder.item("spotify:track:CCC");  // nothing known about it
  builder.set_item_string("name", a, "Love, Song");
  builder.set_item_string("artist", a, "Queen");
  builder.set_item_string("artist", b, "ABBA");
  builder.add_item_tag(a, "rock", 4.0f);
  builder.add_item_tag(a, "pop|disco", 1.0f);
  builder.add_item_tag(b, "pop|disco", 2.0f);
  const Dataset dataset = builder.finish("test");
  const std::string tracks = dir.write(
      "tracks.csv",
      "genre,artist_name,track_name,track_id,popularity,acousticness,danceability,duration_ms,energy,"
      "instrumentalness,key,liveness,loudness,mode,speechiness,tempo,time_signature,valence\n"
      "Dance,Queen,Love Song,AAA,50,0.1,0.8,200000,0.9,0,C#,0.1,-5,Major,0.05,120,4,0.7\n"
      "Dance,X,Y,ZZZ,50,0.1,0.8,200000,0.3,0,C,0.1,-5,Minor,0.05,120,4,0.7\n");
  IssueLog issues;
  const ExportItemsReport r = export_items_csv(dataset, dir.file("items.csv"), tracks, issues);
  EXPECT_EQ(r.items, 3);
  EXPECT_EQ(r.rows, 2);
  EXPECT_EQ(r.empty_items, 1);
  EXPECT_EQ(r.audio_tracks, 2);
  EXPECT_EQ(r.audio_matched, 1);
  const std::string text = testing::read_file(dir.file("items.csv"));
  EXPECT_EQ(text.find("key_name"), std::string::npos) << text;
  EXPECT_NE(text.find("\"Love, Song\""), std::string::npos) << text;
  EXPECT_NE(text.find("rock:4|pop/disco"), std::string::npos) << text;
  EXPECT_NE(text.find("pop/disco:2"), std::string::npos) << text;
  IdMap items;
  ItemFeatureOptions options;
  options.min_df = 1;
  const FeatureMatrix m = build_item_features(dir.file("items.csv"), items, options);
  ASSERT_EQ(m.n_rows, 2);
  const auto first = row(m, 0);
  EXPECT_FLOAT_EQ(first.at("tag=rock"), 1.0f);
  EXPECT_FLOAT_EQ(first.at("tag=pop/disco"), 0.25f);
  EXPECT_EQ(first.at("genre=Dance"), 1.0f);
  EXPECT_EQ(first.at("artist=Queen"), 1.0f);
  EXPECT_EQ(first.count("energy"), 1u);
  EXPECT_EQ(row(m, 1).count("energy"), 0u);  // BBB is not in the audio catalogue
}

}  // namespace
}  // namespace segue

// Tests for the Spotify Sequential Skip Prediction importer, on hand-made logs
// and track-feature files that follow the challenge's published schema.
#include <gtest/gtest.h>

#include <cmath>

#include "data/importer.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::expect_input_error;

using testing::TempDir;

const std::string kHeader =
    "session_id,session_position,session_length,track_id_clean,skip_1,skip_2,skip_3,not_skipped,context_switch,"
    "no_pause_before_play,short_pause_before_play,long_pause_before_play,hist_user_behavior_n_seekfwd,"
    "hist_user_behavior_n_seekback,hist_user_behavior_is_shuffle,hour_of_day,date,premium,context_type,"
    "hist_user_behavior_reason_start,hist_user_behavior_reason_end\n";

// Two sessions; s1 line 3 and s2 line 5 are skips (skip_2 true), in every boolean spelling.
const std::string kLog = kHeader +
    "s1,1,3,t_a,false,false,false,true,0,0,0,0,0,0,true,16,2018-07-15,true,editorial_playlist,appload,trackdone\n"
    "s1,2,3,t_b,True,True,True,False,0,1,0,0,2,1,true,16,2018-07-15,true,editorial_playlist,trackdone,fwdbtn\n"
    "s1,3,3,t_a,false,false,false,true,0,1,0,0,0,0,true,17,2018-07-15,true,editorial_playlist,fwdbtn,trackdone\n"
    "s2,1,2,t_c,1,1,0,0,1,0,0,1,0,0,0,23,2018-07-16,false,user_collection,clickrow,fwdbtn\n"
    "s2,2,2,t_a,0,0,0,1,0,0,1,0,0,3,0,0,2018-07-17,false,user_collection,fwdbtn,endplay\n";

const std::string kFeatureHeader =
    "track_id,duration,release_year,us_popularity_estimate,acousticness,beat_strength,bounciness,danceability,"
    "dyn_range_mean,energy,flatness,instrumentalness,key,liveness,loudness,mechanism,mode,organism,speechiness,"
    "tempo,time_signature,valence,acoustic_vector_0,acoustic_vector_1,acoustic_vector_2,acoustic_vector_3,"
    "acoustic_vector_4,acoustic_vector_5,acoustic_vector_6,acoustic_vector_7\n";

std::string feature_row(const std::string& id, const std::string& mode, const std::string& energy) {
  return id + ",180.5,2018,99.5,0.5,0.4,0.3,0.6,8.1," + energy + ",0.9,0.0,5,0.1,-7.5,0.3," + mode +
         ",0.2,0.05,120.0,4,0.7,-0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8\n";
}

// One line of kLog with `field` (0-based column) replaced.
std::string with_field(const std::string& line, int field, const std::string& value) {
  std::size_t start = 0;
  for (int i = 0; i < field; ++i) start = line.find(',', start) + 1;
  std::size_t end = line.find_first_of(",\n", start);
  return line.substr(0, start) + value + line.substr(end);
}

std::string log_line(int n) {  // physical line n of kLog (2..6)
  std::size_t start = 0;
  for (int i = 1; i < n; ++i) start = kLog.find('\n', start) + 1;
  return kLog.substr(start, kLog.find('\n', start) - start + 1);
}

Dataset import_file(const std::string& path) {
  IssueLog issues;
  return import_spotify_skips(path, ImportOptions{}, issues);
}

const ContextColumn& context(const Dataset& data, const std::string& name) {
  for (const auto& column : data.interactions.context)
    if (column.name == name) return column;
  throw std::runtime_error("no context column " + name);
}

TEST(ImportSkips, SessionsBecomeUsersWithPositionsAndTimes) {
  TempDir dir;
  const Dataset data = import_file(dir.write("log_0.csv", kLog));
  data.validate();
  ASSERT_EQ(data.n_users(), 2);
  ASSERT_EQ(data.n_items(), 3);
  ASSERT_EQ(data.interactions.size(), 5);
  EXPECT_EQ(data.users.name(0), "s1");
  EXPECT_EQ(data.users.name(1), "s2");
  const Interactions& x = data.interactions;
  EXPECT_EQ(data.items.name(x.items[0]), "t_a");
  EXPECT_EQ(data.items.name(x.items[1]), "t_b");
  EXPECT_EQ(data.items.name(x.items[3]), "t_c");
  EXPECT_EQ(x.positions, (std::vector<std::int32_t>{1, 2, 3, 1, 2}));
  EXPECT_EQ(x.timestamps, (std::vector<std::int64_t>{1531670400, 1531670400, 1531674000, 1531782000, 1531785600}));
  ASSERT_EQ(x.sessions.size(), 5u);
  EXPECT_EQ(data.sessions.name(x.sessions[0]), "s1");
  EXPECT_EQ(data.sessions.name(x.sessions[4]), "s2");
}

TEST(ImportSkips, Skip2MarksSkipEvents) {
  TempDir dir;
  const Dataset data = import_file(dir.write("log_0.csv", kLog));
  const Interactions& x = data.interactions;
  std::vector<std::string> names;
  for (std::int64_t e = 0; e < x.size(); ++e) names.emplace_back(data.event_names[x.event(e)]);
  EXPECT_EQ(names, (std::vector<std::string>{"play", "skip", "play", "skip", "play"}));
  EXPECT_LT(data.event_signal[x.event(1)], 0.0f);  // skips are negative feedback
}

TEST(ImportSkips, KeepsContextColumns) {
  TempDir dir;
  const Dataset data = import_file(dir.write("log_0.csv", kLog));
  const ContextColumn& hour = context(data, "hour_of_day");
  EXPECT_FALSE(hour.categorical);
  EXPECT_EQ(hour.values, (std::vector<float>{16, 16, 17, 23, 0}));
  EXPECT_EQ(context(data, "skip_1").values, (std::vector<float>{0, 1, 0, 1, 0}));
  EXPECT_EQ(context(data, "not_skipped").values, (std::vector<float>{1, 0, 1, 0, 1}));
  EXPECT_EQ(context(data, "hist_user_behavior_n_seekback").values, (std::vector<float>{0, 1, 0, 0, 3}));
  EXPECT_EQ(context(data, "session_length").values, (std::vector<float>{3, 3, 3, 2, 2}));
  const ContextColumn& type = context(data, "context_type");
  ASSERT_TRUE(type.categorical);
  EXPECT_EQ(type.vocab.name(type.codes[0]), "editorial_playlist");
  EXPECT_EQ(type.vocab.name(type.codes[3]), "user_collection");
  const ContextColumn& premium = context(data, "premium");
  EXPECT_EQ(premium.vocab.name(premium.codes[0]), "true");
  EXPECT_EQ(premium.vocab.name(premium.codes[4]), "false");
  const ContextColumn& end = context(data, "hist_user_behavior_reason_end");
  EXPECT_EQ(end.vocab.name(end.codes[4]), "endplay");
}

TEST(ImportSkips, DirectoryJoinsTrackFeaturesAndAddsCatalogueTracks) {
  TempDir dir;
  dir.write("training_set/log_0_20180715_000000000000.csv", kLog);
  dir.write("track_features/tf_000000000000.csv",
            kFeatureHeader + feature_row("t_a", "major", "0.75") + feature_row("t_new", "minor", "0.25"));
  IssueLog issues;
  const Dataset data = import_spotify_skips(dir.path().string(), ImportOptions{}, issues);
  data.validate();
  ASSERT_EQ(data.n_items(), 4);  // t_new has features but no plays
  EXPECT_EQ(data.interactions.size(), 5);
  const std::int32_t a = data.items.find("t_a");
  const std::int32_t fresh = data.items.find("t_new");
  const std::int32_t c = data.items.find("t_c");
  ASSERT_GE(fresh, 0);
  const NumericColumn* energy = data.item_attributes.find_number("energy");
  const NumericColumn* mode = data.item_attributes.find_number("mode");
  const NumericColumn* vector7 = data.item_attributes.find_number("acoustic_vector_7");
  ASSERT_NE(energy, nullptr);
  ASSERT_NE(mode, nullptr);
  ASSERT_NE(vector7, nullptr);
  EXPECT_FLOAT_EQ(energy->values[a], 0.75f);
  EXPECT_FLOAT_EQ(energy->values[fresh], 0.25f);
  EXPECT_TRUE(std::isnan(energy->values[c]));  // no feature row for t_c
  EXPECT_EQ(mode->values[a], 1.0f);
  EXPECT_EQ(mode->values[fresh], 0.0f);
  EXPECT_FLOAT_EQ(vector7->values[a], 0.8f);
}

TEST(ImportSkips, BadBooleanNamesLineAndField) {
  TempDir dir;
  const std::string path = dir.write("log_0.csv", kHeader + log_line(2) + with_field(log_line(3), 5, "yes"));
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "skip_2");
  EXPECT_NE(error.reason().find("boolean"), std::string::npos);
}

TEST(ImportSkips, PositionBeyondSessionLengthIsAnError) {
  TempDir dir;
  const std::string path = dir.write("log_0.csv", kHeader + log_line(2) + with_field(log_line(3), 1, "4"));
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "session_position");
}

TEST(ImportSkips, HourOutOfRangeIsAnError) {
  TempDir dir;
  const std::string path = dir.write("log_0.csv", kHeader + with_field(log_line(2), 15, "24"));
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 2u);
  EXPECT_EQ(error.field(), "hour_of_day");
}

TEST(ImportSkips, BadDateIsAnError) {
  TempDir dir;
  const std::string path = dir.write("log_0.csv", kHeader + with_field(log_line(2), 16, "2018-02-30"));
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 2u);
  EXPECT_EQ(error.field(), "date");
}

TEST(ImportSkips, OutOfOrderPositionsAreAnError) {
  TempDir dir;
  const std::string path = dir.write("log_0.csv", kHeader + log_line(3) + log_line(2));
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "session_position");
}

TEST(ImportSkips, SessionResumingLaterIsAnError) {
  TempDir dir;
  const std::string path = dir.write("log_0.csv", kHeader + log_line(2) + log_line(5) + log_line(3));
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 4u);
  EXPECT_EQ(error.field(), "session_id");
  EXPECT_NE(error.reason().find("contiguous"), std::string::npos);
}

TEST(ImportSkips, MissingRequiredColumnNamesIt) {
  TempDir dir;
  const std::string path = dir.write("log_0.csv", "session_id,session_position,session_length,track_id_clean,hour_of_day,date\n"
                                                  "s1,1,1,t_a,3,2018-07-15\n");
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_EQ(error.field(), "skip_2");
}

TEST(ImportSkips, WrongFieldCountNamesTheLine) {
  TempDir dir;
  std::string short_line = log_line(3);
  short_line.erase(short_line.rfind(','));
  short_line += "\n";
  const std::string path = dir.write("log_0.csv", kHeader + log_line(2) + short_line);
  const InputError error = expect_input_error([&] { import_file(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_NE(error.reason().find("expected 21 fields"), std::string::npos);
}

TEST(ImportSkips, NanFeatureNamesLineAndField) {
  TempDir dir;
  dir.write("log_0.csv", kLog);
  dir.write("tf_0.csv", kFeatureHeader + feature_row("t_a", "major", "0.5") + feature_row("t_b", "minor", "nan"));
  IssueLog issues;
  const InputError error =
      expect_input_error([&] { import_spotify_skips(dir.path().string(), ImportOptions{}, issues); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "energy");
  EXPECT_NE(error.file().find("tf_0.csv"), std::string::npos);
}

TEST(ImportSkips, BadModeAndDuplicateFeatureRowsAreErrors) {
  TempDir dir;
  dir.write("log_0.csv", kLog);
  dir.write("tf_0.csv", kFeatureHeader + feature_row("t_a", "Major?", "0.5"));
  IssueLog issues;
  InputError error = expect_input_error([&] { import_spotify_skips(dir.path().string(), ImportOptions{}, issues); });
  EXPECT_EQ(error.field(), "mode");
  dir.write("tf_0.csv", kFeatureHeader + feature_row("t_a", "major", "0.5") + feature_row("t_a", "major", "0.5"));
  error = expect_input_error([&] { import_spotify_skips(dir.path().string(), ImportOptions{}, issues); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "track_id");
}

TEST(ImportSkips, SkipModeLeavesBadRowsOutAndCountsThem) {
  TempDir dir;
  const std::string path = dir.write(
      "log_0.csv", kHeader + log_line(2) + with_field(log_line(3), 4, "maybe") + log_line(4) + log_line(5) +
                       with_field(log_line(6), 1, "0"));
  IssueLog issues(OnError::kSkip);
  const Dataset data = import_spotify_skips(path, ImportOptions{}, issues);
  data.validate();
  EXPECT_EQ(issues.skipped(), 2u);
  EXPECT_EQ(data.interactions.size(), 3);
  EXPECT_EQ(data.interactions.positions, (std::vector<std::int32_t>{1, 3, 1}));  // a gap where the bad row was
  EXPECT_EQ(data.n_items(), 2);  // t_b only appeared on the bad row
}

TEST(ImportSkips, DirectoryWithoutLogsAndMissingPathAreErrors) {
  TempDir dir;
  dir.write("tf_0.csv", kFeatureHeader);
  InputError error = expect_input_error([&] { import_file(dir.path().string()); });
  EXPECT_NE(error.reason().find("log_"), std::string::npos);
  error = expect_input_error([&] { import_file(dir.file("nothing-here.csv")); });
  EXPECT_EQ(error.line(), 0u);
}

}  // namespace
}  // namespace segue

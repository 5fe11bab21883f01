// Tests for moods (audio-feature ranges as filter or boost) and hour-of-day
// profiles, on hand-made items whose features sit on either side of each bound.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "context/moods.h"
#include "data/error.h"

namespace segue {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Items as rows of named audio features (NaN = missing).
Attributes items(std::initializer_list<std::pair<const char*, std::vector<float>>> columns) {
  Attributes out;
  for (const auto& [name, values] : columns) out.numbers.push_back({name, values});
  return out;
}

MoodMatch match(std::string_view mood, const Attributes& attributes) {
  const std::int32_t n = static_cast<std::int32_t>(attributes.numbers.front().values.size());
  return match_mood(find_mood(mood), attributes, n);
}

std::vector<std::uint8_t> passes(std::string_view mood, const Attributes& attributes) {
  return match(mood, attributes).passes;
}

TEST(Moods, CalmIsLowEnergyAndSlow) {
  // energy < 0.4 and tempo < 100 (both strict)
  const Attributes a = items({{"energy", {0.1f, 0.39f, 0.4f, 0.2f, 0.9f}}, {"tempo", {70, 99.9f, 80, 100, 150}}});
  EXPECT_EQ(passes("calm", a), (std::vector<std::uint8_t>{1, 1, 0, 0, 0}));
  const MoodMatch m = match("calm", a);
  EXPECT_FLOAT_EQ(m.fraction[2], 0.5f);  // slow but energy at the bound
  EXPECT_FLOAT_EQ(m.fraction[4], 0.0f);
}

TEST(Moods, WorkoutIsEnergeticFastAndDanceable) {
  // energy > 0.7, tempo > 120, danceability > 0.6
  const Attributes a = items({{"energy", {0.8f, 0.7f, 0.9f, 0.9f}},
                              {"tempo", {128, 140, 120, 130}},
                              {"danceability", {0.65f, 0.9f, 0.9f, 0.6f}}});
  EXPECT_EQ(passes("workout", a), (std::vector<std::uint8_t>{1, 0, 0, 0}));
  const MoodMatch m = match("workout", a);
  EXPECT_NEAR(m.fraction[1], 2.0f / 3.0f, 1e-6f);
  EXPECT_NEAR(m.fraction[3], 2.0f / 3.0f, 1e-6f);
}

TEST(Moods, FocusIsInstrumentalWithoutSpeechAndMidEnergy) {
  // instrumentalness > 0.5, speechiness < 0.1, 0.2 <= energy <= 0.6 (inclusive)
  const Attributes a = items({{"instrumentalness", {0.9f, 0.9f, 0.9f, 0.5f, 0.9f, 0.9f}},
                              {"speechiness", {0.05f, 0.05f, 0.05f, 0.05f, 0.1f, 0.05f}},
                              {"energy", {0.2f, 0.6f, 0.61f, 0.4f, 0.4f, 0.19f}}});
  EXPECT_EQ(passes("focus", a), (std::vector<std::uint8_t>{1, 1, 0, 0, 0, 0}));
}

TEST(Moods, PartySadHappyAcoustic) {
  // party: danceability > 0.7, energy > 0.6, speechiness < 0.33
  const Attributes party = items({{"danceability", {0.8f, 0.8f, 0.7f}},
                                  {"energy", {0.7f, 0.7f, 0.9f}},
                                  {"speechiness", {0.1f, 0.5f, 0.1f}}});
  EXPECT_EQ(passes("party", party), (std::vector<std::uint8_t>{1, 0, 0}));
  // sad: valence < 0.3, energy < 0.5; happy: valence > 0.7, energy > 0.5
  const Attributes mood = items({{"valence", {0.1f, 0.1f, 0.3f, 0.9f, 0.9f, 0.7f}},
                                 {"energy", {0.3f, 0.9f, 0.3f, 0.8f, 0.5f, 0.8f}}});
  EXPECT_EQ(passes("sad", mood), (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0}));  // angry (low valence, loud) is not sad
  EXPECT_EQ(passes("happy", mood), (std::vector<std::uint8_t>{0, 0, 0, 1, 0, 0}));
  // acoustic: acousticness > 0.8
  const Attributes acoustic = items({{"acousticness", {0.95f, 0.8f, 0.2f}}});
  EXPECT_EQ(passes("acoustic", acoustic), (std::vector<std::uint8_t>{1, 0, 0}));
}

TEST(Moods, UnknownMoodListsKnownOnes) {
  try {
    find_mood("chill");
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("'chill'"), std::string::npos) << what;
    for (const char* name : {"calm", "workout", "focus", "party", "sad", "happy", "acoustic"})
      EXPECT_NE(what.find(name), std::string::npos) << what;
  }
  EXPECT_EQ(known_moods().size(), 7u);
  EXPECT_THROW(parse_mood_request("workout:maybe"), UsageError);
  EXPECT_THROW(parse_mood_request("Workout"), UsageError);
  EXPECT_EQ(parse_mood_request("workout").mode, MoodMode::kFilter);
  EXPECT_EQ(parse_mood_request("workout:boost").mode, MoodMode::kBoost);
  EXPECT_EQ(parse_mood_request("calm:filter").mood->name, "calm");
}

TEST(Moods, MissingFeaturesAreFilteredOutAndUnboosted) {
  // Item 1 has no features at all, item 2 lacks tempo only, item 3 is a row beyond the column.
  const Attributes a = items({{"energy", {0.1f, kNaN, 0.1f}}, {"tempo", {80, kNaN, kNaN}}});
  const MoodMatch m = match_mood(find_mood("calm"), a, 4);
  EXPECT_EQ(m.passes, (std::vector<std::uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(m.fraction, (std::vector<float>{1.0f, 0.0f, 0.5f, 0.0f}));
  std::vector<float> scores{1.0f, 5.0f, 2.0f, 3.0f};
  EXPECT_EQ(apply_mood_filter(scores, m), 1);
  EXPECT_EQ(scores[0], 1.0f);
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(std::isinf(scores[i]) && scores[i] < 0) << i;
  // A store without the column at all: a clear error, not an empty list.
  const Attributes no_tempo = items({{"energy", {0.1f}}});
  try {
    match_mood(find_mood("calm"), no_tempo, 1);
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("'tempo'"), std::string::npos) << error.what();
  }
}

TEST(Moods, BoostAddsBoostTimesMatchFraction) {
  const Attributes a = items({{"energy", {0.8f, 0.8f, 0.1f, kNaN}},
                              {"tempo", {130, 110, 90, kNaN}},
                              {"danceability", {0.7f, 0.7f, 0.1f, kNaN}}});
  const MoodMatch m = match("workout", a);
  std::vector<float> scores{0.5f, 0.5f, 0.5f, 0.5f};
  apply_mood_boost(scores, m, 0.3f);
  EXPECT_FLOAT_EQ(scores[0], 0.5f + 0.3f);
  EXPECT_FLOAT_EQ(scores[1], 0.5f + 0.3f * 2.0f / 3.0f);
  EXPECT_FLOAT_EQ(scores[2], 0.5f);
  EXPECT_FLOAT_EQ(scores[3], 0.5f);  // no features: no boost
  std::vector<float> wrong(2, 0.0f);
  EXPECT_THROW(apply_mood_boost(wrong, m, 0.3f), UsageError);
  EXPECT_THROW(apply_mood_filter(wrong, m), UsageError);
  EXPECT_THROW(apply_mood_boost(scores, m, kNaN), UsageError);
}

TEST(Moods, ConditionsPrintTheirRanges) {
  const Mood& focus = find_mood("focus");
  EXPECT_EQ(focus.conditions[0].to_string(), "instrumentalness > 0.5");
  EXPECT_EQ(focus.conditions[1].to_string(), "speechiness < 0.1");
  EXPECT_EQ(focus.conditions[2].to_string(), "energy 0.2-0.6");
}

// Two users, three items; timestamps at known UTC hours, one event untimed.
Dataset timed_dataset() {
  Dataset data;
  data.users.intern("u0");
  data.users.intern("u1");
  data.items.intern("a");
  data.items.intern("b");
  data.items.intern("c");
  Interactions& x = data.interactions;
  x.n_users = 2;
  x.n_items = 3;
  const std::int64_t day = 1531612800;  // 2018-07-15 00:00 UTC
  // u0: a@08, a@08, b@20; u1: b@20, c@untimed
  x.items = {0, 0, 1, 1, 2};
  x.timestamps = {day + 8 * 3600, day + 8 * 3600 + 59, day + 86400 + 20 * 3600, day + 20 * 3600 + 1, kNoTime};
  x.indptr = {0, 3, 5};
  return data;
}

TEST(HourProfiles, SharesPerHourWithSmoothing) {
  const Dataset data = timed_dataset();
  const HourProfiles raw = hour_profiles(data, 0.0f);
  EXPECT_EQ(raw.user_events, (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(raw.item_events, (std::vector<std::int64_t>{2, 2, 0}));
  EXPECT_FLOAT_EQ(raw.users[0][8], 2.0f / 3.0f);
  EXPECT_FLOAT_EQ(raw.users[0][20], 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(raw.users[1][20], 1.0f);
  EXPECT_FLOAT_EQ(raw.items[0][8], 1.0f);
  EXPECT_FLOAT_EQ(raw.items[1][20], 1.0f);
  for (int h = 0; h < 24; ++h) EXPECT_FLOAT_EQ(raw.items[2][h], 1.0f / 24.0f);  // untimed only: uniform
  // alpha = 24 pseudo-events, one per hour: (2 + 1) / (3 + 24) at 08 for u0.
  const HourProfiles smooth = hour_profiles(data, 24.0f);
  EXPECT_FLOAT_EQ(smooth.users[0][8], 3.0f / 27.0f);
  EXPECT_FLOAT_EQ(smooth.users[0][3], 1.0f / 27.0f);
  float total = 0.0f;
  for (float p : smooth.users[0]) total += p;
  EXPECT_NEAR(total, 1.0f, 1e-5f);
  EXPECT_FLOAT_EQ(hour_affinity(raw.users[1], 20), 24.0f);
  EXPECT_FLOAT_EQ(hour_affinity(raw.users[1], 7), 0.0f);
  EXPECT_THROW(hour_profiles(data, -1.0f), UsageError);
}

TEST(HourProfiles, FallsBackToHourOfDayContext) {
  Dataset data = timed_dataset();
  data.interactions.timestamps.clear();
  ContextColumn hour;
  hour.name = "hour_of_day";
  hour.categorical = false;
  hour.values = {3, 3, 4, kNaN, 23};
  data.interactions.context.push_back(hour);
  const HourProfiles p = hour_profiles(data, 0.0f);
  EXPECT_EQ(p.user_events, (std::vector<std::int64_t>{3, 1}));
  EXPECT_FLOAT_EQ(p.users[0][3], 2.0f / 3.0f);
  EXPECT_FLOAT_EQ(p.items[2][23], 1.0f);
  EXPECT_EQ(p.item_events[1], 1);
}

}  // namespace
}  // namespace segue

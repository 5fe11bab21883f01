// Mood / activity requests ("calm", "workout", "focus", ...) mapped to ranges of
// audio features, applied to scores as a hard filter or a soft boost, and
// hour-of-day listening profiles for conditioning on time. Ranges, sources and
// the missing-feature rules: docs/CONTEXT.md.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace segue {

// One condition on one audio feature (an item numeric attribute by name).
struct MoodCondition {
  enum class Op { kBelow, kAbove, kBetween };  // x < hi; x > lo; lo <= x <= hi
  std::string feature;
  Op op = Op::kBelow;
  float lo = 0.0f;
  float hi = 0.0f;
  bool holds(float x) const;  // false for NaN
  std::string to_string() const;  // "energy < 0.4", "energy 0.2-0.6"
};

struct Mood {
  std::string name;
  std::vector<MoodCondition> conditions;
};

// The built-in moods, in the order of docs/CONTEXT.md.
const std::vector<Mood>& known_moods();
std::string known_mood_names();  // "calm, workout, ..."

// The mood named `name`; UsageError listing the known ones otherwise.
const Mood& find_mood(std::string_view name);

enum class MoodMode { kFilter, kBoost };

// "workout", "workout:filter" or "workout:boost" (no suffix = filter).
// UsageError for an unknown mood or mode.
struct MoodRequest {
  const Mood* mood = nullptr;
  MoodMode mode = MoodMode::kFilter;
};
MoodRequest parse_mood_request(std::string_view text);

// Per item row of `items`: the share of the mood's conditions the item meets
// (a missing value — NaN — meets none), and whether it meets all of them.
// UsageError when `items` has no numeric column for one of the mood's features
// at all (the data carries no audio features of that kind).
struct MoodMatch {
  std::vector<float> fraction;      // in [0, 1]
  std::vector<std::uint8_t> passes; // 1 = every condition holds (so no feature is missing)
};
MoodMatch match_mood(const Mood& mood, const Attributes& items, std::int32_t n_items);

// Hard filter: scores of items that do not pass become -infinity (out of any
// top-k); returns how many items pass. scores[i] belongs to match row i.
std::int64_t apply_mood_filter(std::span<float> scores, const MoodMatch& match);
// Soft boost: scores[i] += boost * fraction[i] (0 for items without features).
void apply_mood_boost(std::span<float> scores, const MoodMatch& match, float boost);

// Hour-of-day profiles: the share of each user's / item's timed events that
// fall in each hour 0..23, smoothed toward uniform by `alpha` pseudo-events
// ((count_h + alpha/24) / (total + alpha)), so a row with no timed events is
// uniform (1/24 each). Hours come from the timestamps (UTC hour of the unix
// time; for Spotify skip logs that is the log's hour_of_day), else from a
// numeric "hour_of_day" context column; events with neither are not counted.
struct HourProfiles {
  std::vector<std::array<float, 24>> users;
  std::vector<std::array<float, 24>> items;
  std::vector<std::int64_t> user_events;  // timed events counted per user
  std::vector<std::int64_t> item_events;
};
HourProfiles hour_profiles(const Dataset& data, float alpha = 1.0f);

// Hour of an event (0..23) as hour_profiles() reads it; -1 when unknown.
int event_hour(const Interactions& x, std::int64_t event, const ContextColumn* hour_column);

// How much more than uniform the profile listens at `hour`: 24 · profile[hour]
// (1 = no preference). log() of it is an additive score adjustment.
inline float hour_affinity(const std::array<float, 24>& profile, int hour) { return 24.0f * profile[static_cast<std::size_t>(hour)]; }

}  // namespace segue

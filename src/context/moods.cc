// Moods as audio-feature ranges, filter/boost, and hour-of-day profiles.
#include "context/moods.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "data/error.h"

namespace segue {

bool MoodCondition::holds(float x) const {
  if (std::isnan(x)) return false;
  switch (op) {
    case Op::kBelow:
      return x < hi;
    case Op::kAbove:
      return x > lo;
    case Op::kBetween:
      return x >= lo && x <= hi;
  }
  return false;
}

std::string MoodCondition::to_string() const {
  char buffer[96];
  switch (op) {
    case Op::kBelow:
      std::snprintf(buffer, sizeof buffer, "%s < %g", feature.c_str(), static_cast<double>(hi));
      break;
    case Op::kAbove:
      std::snprintf(buffer, sizeof buffer, "%s > %g", feature.c_str(), static_cast<double>(lo));
      break;
    case Op::kBetween:
      std::snprintf(buffer, sizeof buffer, "%s %g-%g", feature.c_str(), static_cast<double>(lo),
                    static_cast<double>(hi));
      break;
  }
  return buffer;
}

namespace {

MoodCondition below(const char* feature, float hi) { return {feature, MoodCondition::Op::kBelow, 0.0f, hi}; }
MoodCondition above(const char* feature, float lo) { return {feature, MoodCondition::Op::kAbove, lo, 0.0f}; }
MoodCondition between(const char* feature, float lo, float hi) {
  return {feature, MoodCondition::Op::kBetween, lo, hi};
}

}  // namespace

// Keep in step with the table in docs/CONTEXT.md.
const std::vector<Mood>& known_moods() {
  static const std::vector<Mood> moods = {
      {"calm", {below("energy", 0.4f), below("tempo", 100.0f)}},
      {"workout", {above("energy", 0.7f), above("tempo", 120.0f), above("danceability", 0.6f)}},
      {"focus", {above("instrumentalness", 0.5f), below("speechiness", 0.1f), between("energy", 0.2f, 0.6f)}},
      {"party", {above("danceability", 0.7f), above("energy", 0.6f), below("speechiness", 0.33f)}},
      {"sad", {below("valence", 0.3f), below("energy", 0.5f)}},
      {"happy", {above("valence", 0.7f), above("energy", 0.5f)}},
      {"acoustic", {above("acousticness", 0.8f)}},
  };
  return moods;
}

std::string known_mood_names() {
  std::string out;
  for (const Mood& mood : known_moods()) out += (out.empty() ? "" : ", ") + mood.name;
  return out;
}

const Mood& find_mood(std::string_view name) {
  for (const Mood& mood : known_moods())
    if (mood.name == name) return mood;
  throw UsageError("unknown mood '" + std::string(name) + "' (known: " + known_mood_names() + ")");
}

MoodRequest parse_mood_request(std::string_view text) {
  MoodRequest request;
  const std::size_t colon = text.find(':');
  request.mood = &find_mood(text.substr(0, colon));
  if (colon == std::string_view::npos) return request;
  const std::string_view mode = text.substr(colon + 1);
  if (mode == "filter") {
    request.mode = MoodMode::kFilter;
  } else if (mode == "boost") {
    request.mode = MoodMode::kBoost;
  } else {
    throw UsageError("mood '" + std::string(text) + "': the mode after ':' must be filter or boost, got '" +
                     std::string(mode) + "'");
  }
  return request;
}

MoodMatch match_mood(const Mood& mood, const Attributes& items, std::int32_t n_items) {
  std::vector<const NumericColumn*> columns;
  for (const MoodCondition& condition : mood.conditions) {
    const NumericColumn* column = items.find_number(condition.feature);
    if (column == nullptr)
      throw UsageError("mood '" + mood.name + "' needs the item audio feature '" + condition.feature +
                       "', which the data has no column for");
    columns.push_back(column);
  }
  MoodMatch match;
  const auto n = static_cast<std::size_t>(n_items);
  match.fraction.assign(n, 0.0f);
  match.passes.assign(n, 0);
  const float share = 1.0f / static_cast<float>(mood.conditions.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t met = 0;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::vector<float>& values = columns[c]->values;
      const float x = i < values.size() ? values[i] : std::numeric_limits<float>::quiet_NaN();
      met += mood.conditions[c].holds(x) ? 1 : 0;
    }
    match.fraction[i] = met == columns.size() ? 1.0f : share * static_cast<float>(met);
    match.passes[i] = met == columns.size() ? 1 : 0;
  }
  return match;
}

std::int64_t apply_mood_filter(std::span<float> scores, const MoodMatch& match) {
  if (scores.size() != match.passes.size()) throw UsageError("apply_mood_filter: scores and match differ in size");
  std::int64_t kept = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (match.passes[i]) {
      ++kept;
    } else {
      scores[i] = -std::numeric_limits<float>::infinity();
    }
  }
  return kept;
}

void apply_mood_boost(std::span<float> scores, const MoodMatch& match, float boost) {
  if (scores.size() != match.fraction.size()) throw UsageError("apply_mood_boost: scores and match differ in size");
  if (!std::isfinite(boost)) throw UsageError("mood boost must be a finite number");
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i] += boost * match.fraction[i];
}

int event_hour(const Interactions& x, std::int64_t event, const ContextColumn* hour_column) {
  if (!x.timestamps.empty() && x.timestamps[event] != kNoTime) {
    std::int64_t seconds = x.timestamps[event] % 86400;
    if (seconds < 0) seconds += 86400;
    return static_cast<int>(seconds / 3600);
  }
  if (hour_column != nullptr && !hour_column->categorical && !hour_column->values.empty()) {
    const float h = hour_column->values[event];
    if (std::isfinite(h) && h >= 0.0f && h < 24.0f) return static_cast<int>(h);
  }
  return -1;
}

HourProfiles hour_profiles(const Dataset& data, float alpha) {
  if (!(alpha >= 0.0f) || !std::isfinite(alpha)) throw UsageError("hour profile smoothing alpha must be >= 0");
  const Interactions& x = data.interactions;
  const ContextColumn* hour_column = nullptr;
  for (const ContextColumn& column : x.context)
    if (column.name == "hour_of_day") hour_column = &column;
  std::vector<std::array<std::int64_t, 24>> user_counts(static_cast<std::size_t>(x.n_users), std::array<std::int64_t, 24>{});
  std::vector<std::array<std::int64_t, 24>> item_counts(static_cast<std::size_t>(x.n_items), std::array<std::int64_t, 24>{});
  HourProfiles out;
  out.user_events.assign(static_cast<std::size_t>(x.n_users), 0);
  out.item_events.assign(static_cast<std::size_t>(x.n_items), 0);
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const int hour = event_hour(x, e, hour_column);
      if (hour < 0) continue;
      const std::int32_t item = x.items[e];
      ++user_counts[u][hour];
      ++item_counts[item][hour];
      ++out.user_events[u];
      ++out.item_events[item];
    }
  }
  const auto normalise = [alpha](const std::array<std::int64_t, 24>& counts, std::int64_t total) {
    std::array<float, 24> p{};
    const double denominator = static_cast<double>(total) + alpha;
    for (std::size_t h = 0; h < 24; ++h)
      p[h] = denominator > 0.0 ? static_cast<float>((static_cast<double>(counts[h]) + alpha / 24.0) / denominator)
                               : 1.0f / 24.0f;
    return p;
  };
  out.users.resize(user_counts.size());
  out.items.resize(item_counts.size());
  for (std::size_t u = 0; u < user_counts.size(); ++u) out.users[u] = normalise(user_counts[u], out.user_events[u]);
  for (std::size_t i = 0; i < item_counts.size(); ++i) out.items[i] = normalise(item_counts[i], out.item_events[i]);
  return out;
}

}  // namespace segue

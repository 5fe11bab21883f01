#include "data/stats.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "data/timestamp.h"

namespace segue {
namespace {

Distribution describe(std::vector<std::int64_t> counts) {
  Distribution d;
  if (counts.empty()) return d;
  std::nth_element(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(counts.size() / 2), counts.end());
  d.median = counts[counts.size() / 2];
  const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
  d.min = *lo;
  d.max = *hi;
  double sum = 0;
  for (auto c : counts) sum += static_cast<double>(c);
  d.mean = sum / static_cast<double>(counts.size());
  return d;
}

nlohmann::json to_json(const Distribution& d) {
  return {{"min", d.min}, {"median", d.median}, {"mean", d.mean}, {"max", d.max}};
}

template <class Columns>
std::vector<std::string> names(const Columns& columns) {
  std::vector<std::string> out;
  for (const auto& c : columns) out.push_back(c.name);
  return out;
}

}  // namespace

DatasetStats compute_stats(const Dataset& dataset) {
  const Interactions& x = dataset.interactions;
  DatasetStats s;
  s.source = dataset.source;
  s.users = dataset.n_users();
  s.items = dataset.n_items();
  s.interactions = x.size();
  s.density = s.users > 0 && s.items > 0 ? static_cast<double>(s.interactions) / (static_cast<double>(s.users) * static_cast<double>(s.items)) : 0.0;

  std::vector<std::int64_t> per_user;
  std::vector<std::int64_t> per_item(static_cast<std::size_t>(s.items), 0);
  std::vector<std::int32_t> last_user(static_cast<std::size_t>(s.items), -1);
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    if (x.count(u) == 0) continue;
    per_user.push_back(x.count(u));
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const std::int32_t i = x.items[e];
      if (last_user[i] != u) {  // distinct users per item, and distinct pairs
        last_user[i] = u;
        ++per_item[i];
        ++s.pairs;
      }
    }
  }
  s.users_with_events = static_cast<std::int64_t>(per_user.size());
  s.events_per_user = describe(per_user);
  std::vector<std::int64_t> item_counts;
  for (auto c : per_item)
    if (c > 0) item_counts.push_back(c);
  s.items_with_events = static_cast<std::int64_t>(item_counts.size());
  s.users_per_item = describe(item_counts);

  std::vector<std::int64_t> by_type(dataset.event_names.size(), 0);
  if (x.events.empty()) {
    by_type[0] = x.size();
  } else {
    for (auto code : x.events) ++by_type[code];
  }
  for (std::size_t t = 0; t < by_type.size(); ++t)
    if (by_type[t] > 0) s.events_by_type.emplace_back(dataset.event_names[t], by_type[t]);

  s.has_weights = !x.weights.empty();
  if (s.has_weights && !x.weights.empty()) {
    const auto [lo, hi] = std::minmax_element(x.weights.begin(), x.weights.end());
    s.weight_min = *lo;
    s.weight_max = *hi;
    double sum = 0;
    for (float w : x.weights) sum += w;
    s.weight_mean = sum / static_cast<double>(x.weights.size());
  }
  s.has_timestamps = false;
  for (auto t : x.timestamps) {
    if (t == kNoTime) continue;
    if (!s.has_timestamps) s.time_min = s.time_max = t;
    s.has_timestamps = true;
    s.time_min = std::min(s.time_min, t);
    s.time_max = std::max(s.time_max, t);
  }
  s.has_positions = !x.positions.empty();
  s.sessions = dataset.sessions.size();
  s.friend_edges = dataset.friends.edges() / 2;
  s.context_columns = names(x.context);
  s.user_columns = names(dataset.user_attributes.strings);
  for (auto& n : names(dataset.user_attributes.numbers)) s.user_columns.push_back(n);
  s.item_columns = names(dataset.item_attributes.strings);
  for (auto& n : names(dataset.item_attributes.numbers)) s.item_columns.push_back(n);
  s.item_tags = static_cast<std::int64_t>(dataset.item_attributes.tags.tokens.size());
  s.tag_vocabulary = dataset.item_attributes.tags.vocab.size();
  return s;
}

nlohmann::json to_json(const DatasetStats& s) {
  nlohmann::json events = nlohmann::json::object();
  for (const auto& [name, count] : s.events_by_type) events[name] = count;
  nlohmann::json out = {
      {"source", s.source},
      {"users", s.users},
      {"items", s.items},
      {"interactions", s.interactions},
      {"density", s.density},
      {"distinct_pairs", s.pairs},
      {"users_with_events", s.users_with_events},
      {"items_with_events", s.items_with_events},
      {"events_per_user", to_json(s.events_per_user)},
      {"users_per_item", to_json(s.users_per_item)},
      {"events_by_type", events},
      {"sessions", s.sessions},
      {"friend_edges", s.friend_edges},
      {"context_columns", s.context_columns},
      {"user_columns", s.user_columns},
      {"item_columns", s.item_columns},
      {"item_tags", s.item_tags},
      {"tag_vocabulary", s.tag_vocabulary},
      {"has_positions", s.has_positions},
  };
  out["weights"] = s.has_weights ? nlohmann::json{{"min", s.weight_min}, {"max", s.weight_max}, {"mean", s.weight_mean}}
                                 : nlohmann::json(nullptr);
  out["time_range"] = s.has_timestamps ? nlohmann::json{format_timestamp(s.time_min), format_timestamp(s.time_max)}
                                       : nlohmann::json(nullptr);
  return out;
}

std::string to_text(const DatasetStats& s) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "users %lld, items %lld, interactions %lld (distinct pairs %lld), density %.3g\n",
                static_cast<long long>(s.users), static_cast<long long>(s.items),
                static_cast<long long>(s.interactions), static_cast<long long>(s.pairs), s.density);
  out << line;
  std::snprintf(line, sizeof line, "events per user: min %lld, median %lld, mean %.1f, max %lld (%lld users with events)\n",
                static_cast<long long>(s.events_per_user.min), static_cast<long long>(s.events_per_user.median),
                s.events_per_user.mean, static_cast<long long>(s.events_per_user.max),
                static_cast<long long>(s.users_with_events));
  out << line;
  std::snprintf(line, sizeof line, "users per item:  min %lld, median %lld, mean %.1f, max %lld (%lld items with events)\n",
                static_cast<long long>(s.users_per_item.min), static_cast<long long>(s.users_per_item.median),
                s.users_per_item.mean, static_cast<long long>(s.users_per_item.max),
                static_cast<long long>(s.items_with_events));
  out << line;
  out << "events:";
  for (const auto& [name, count] : s.events_by_type) out << " " << name << "=" << count;
  out << "\n";
  if (s.has_weights) out << "weights: min " << s.weight_min << ", mean " << s.weight_mean << ", max " << s.weight_max << "\n";
  if (s.has_timestamps) out << "time: " << format_timestamp(s.time_min) << " .. " << format_timestamp(s.time_max) << "\n";
  if (s.sessions > 0) out << "sessions: " << s.sessions << "\n";
  if (s.friend_edges > 0) out << "friendships: " << s.friend_edges << "\n";
  auto list = [&out](const char* label, const std::vector<std::string>& v) {
    if (v.empty()) return;
    out << label << ":";
    for (const auto& n : v) out << " " << n;
    out << "\n";
  };
  list("context", s.context_columns);
  list("user attributes", s.user_columns);
  list("item attributes", s.item_columns);
  if (s.item_tags > 0) out << "item tags: " << s.item_tags << " assignments, " << s.tag_vocabulary << " distinct tags\n";
  out << "source: " << s.source << "\n";
  return out.str();
}

}  // namespace segue

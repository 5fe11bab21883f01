#include "serve/live_events.h"

#include <algorithm>
#include <functional>

#include "data/id_map.h"

namespace segue {

LiveEvents::LiveEvents(std::size_t max_events_per_user, std::size_t max_users, std::size_t max_names)
    : max_events_(std::max<std::size_t>(max_events_per_user, 1)), max_users_(max_users), max_names_(max_names) {}

LiveEvents::Shard& LiveEvents::shard(std::string_view user) const {
  return shards_[std::hash<std::string_view>{}(user) % kShards];
}

std::int32_t LiveEvents::intern(const std::string& name) {
  {
    std::shared_lock<std::shared_mutex> read(names_mutex_);
    const auto it = name_ids_.find(name);
    if (it != name_ids_.end()) return it->second;
  }
  std::unique_lock<std::shared_mutex> write(names_mutex_);
  if (names_.size() >= max_names_) {
    const auto it = name_ids_.find(name);
    return it != name_ids_.end() ? it->second : -1;
  }
  const auto [it, added] = name_ids_.emplace(name, static_cast<std::int32_t>(names_.size()));
  if (added) names_.push_back(name);
  return it->second;
}

bool LiveEvents::add(const std::string& user, const std::vector<LiveEvent>& events) {
  std::vector<Stored> stored;
  stored.reserve(events.size());
  for (const LiveEvent& e : events) {
    const std::int32_t item = intern(e.item), event = intern(e.event);
    if (item < 0 || event < 0) {
      dropped_events_.fetch_add(1);
      continue;
    }
    stored.push_back({e.timestamp, e.sequence, item, event, e.signal});
  }
  Shard& s = shard(user);
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.users.find(user);
  if (it == s.users.end()) {
    if (n_users_.load() >= max_users_) {
      dropped_users_.fetch_add(1);
      return false;
    }
    it = s.users.emplace(user, std::vector<Stored>{}).first;
    n_users_.fetch_add(1);
  }
  std::vector<Stored>& log = it->second;
  log.insert(log.end(), stored.begin(), stored.end());
  if (log.size() > max_events_) log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(log.size() - max_events_));
  return true;
}

LiveProfile LiveEvents::profile(const std::string& user, const IdMap& items) const {
  LiveProfile out;
  std::vector<Stored> log;
  {
    Shard& s = shard(user);
    std::lock_guard<std::mutex> lock(s.mutex);
    const auto it = s.users.find(user);
    if (it == s.users.end()) return out;
    log = it->second;
  }
  std::vector<std::pair<std::int32_t, float>> signals;
  signals.reserve(log.size());
  {
    std::shared_lock<std::shared_mutex> read(names_mutex_);
    for (const Stored& e : log) {
      ++out.events;
      const std::int32_t item = items.find(names_[static_cast<std::size_t>(e.item)]);
      if (item == IdMap::kMissing) ++out.unknown_items;
      else signals.emplace_back(item, e.signal);
    }
  }
  std::sort(signals.begin(), signals.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t k = 0; k < signals.size();) {
    const std::int32_t item = signals[k].first;
    float net = 0.0f;
    for (; k < signals.size() && signals[k].first == item; ++k) net += signals[k].second;
    out.touched.push_back(item);
    if (net > 0) out.positives.push_back(item), out.weights.push_back(net);
    else if (net < 0) out.skipped.push_back(item);
  }
  return out;
}

std::vector<LiveEvent> LiveEvents::recent(const std::string& user, std::size_t limit) const {
  std::vector<Stored> newest;
  {
    Shard& s = shard(user);
    std::lock_guard<std::mutex> lock(s.mutex);
    const auto it = s.users.find(user);
    if (it == s.users.end()) return {};
    const std::vector<Stored>& log = it->second;
    const std::size_t take = std::min(limit, log.size());
    newest.assign(log.rbegin(), log.rbegin() + static_cast<std::ptrdiff_t>(take));
  }
  std::vector<LiveEvent> out;
  std::shared_lock<std::shared_mutex> read(names_mutex_);
  for (const Stored& e : newest)
    out.push_back({names_[static_cast<std::size_t>(e.item)], names_[static_cast<std::size_t>(e.event)], e.signal,
                   e.timestamp, e.sequence});
  return out;
}

std::size_t LiveEvents::users() const { return n_users_.load(); }
std::int64_t LiveEvents::dropped_users() const { return dropped_users_.load(); }

std::size_t LiveEvents::names() const {
  std::shared_lock<std::shared_mutex> read(names_mutex_);
  return names_.size();
}

}  // namespace segue

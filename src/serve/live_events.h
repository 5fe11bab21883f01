// LiveEvents: each listener's feedback received since the model was trained,
// in memory, so that the next request reflects it (read-your-writes). Items
// are kept as the data's string ids, so the state survives a model reload and
// holds items the model does not know yet. Bounded: at most
// `max_events_per_user` events per listener (the oldest leave memory, never
// the database) and `max_users` listeners (beyond it, new listeners' events
// are stored but not reflected until a restart or retrain; counted), and at
// most `max_names` distinct item and event names (beyond it, events naming a
// new item are stored but not reflected; counted): without that bound, events
// for ever new item ids would grow memory without end. An event costs 32
// bytes here: item and event names are interned once for everyone.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <shared_mutex>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace segue {

class IdMap;

struct LiveEvent {
  std::string item;
  std::string event;
  float signal = 0.0f;  // weight × the event's signal (skip < 0)
  std::int64_t timestamp = 0;
  std::int64_t sequence = 0;
};

// A listener's received events as a request uses them, in a model's item ids.
struct LiveProfile {
  std::vector<std::int32_t> positives;  // net signal > 0, sorted
  std::vector<float> weights;           // their net signals
  std::vector<std::int32_t> skipped;    // net signal < 0, sorted
  std::vector<std::int32_t> touched;    // every known item with any event, sorted (excluded from lists)
  std::int64_t events = 0;              // events considered
  std::int64_t unknown_items = 0;       // events whose item the model does not know
};

class LiveEvents {
 public:
  explicit LiveEvents(std::size_t max_events_per_user = 1000, std::size_t max_users = 1'000'000,
                      std::size_t max_names = 2'000'000);

  // Adds one listener's events (in commit order). False when the listener is
  // new and the user cap is reached (nothing kept).
  bool add(const std::string& user, const std::vector<LiveEvent>& events);
  // The listener's events mapped onto `items` (a model's item ids).
  LiveProfile profile(const std::string& user, const IdMap& items) const;
  // Newest first, at most `limit`.
  std::vector<LiveEvent> recent(const std::string& user, std::size_t limit) const;

  std::size_t users() const;
  std::int64_t dropped_users() const;
  std::int64_t dropped_events() const { return dropped_events_.load(); }  // new names past max_names
  std::size_t names() const;
  std::size_t max_events_per_user() const { return max_events_; }

 private:
  static constexpr std::size_t kShards = 32;
  struct Stored {
    std::int64_t timestamp = 0;
    std::int64_t sequence = 0;
    std::int32_t item = 0;   // into names_
    std::int32_t event = 0;  // into names_
    float signal = 0.0f;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::vector<Stored>> users;  // oldest first
  };
  Shard& shard(std::string_view user) const;
  std::int32_t intern(const std::string& name);  // -1 when the name is new and the table is full

  // Interned item ids and event names; a deque keeps references stable as it grows.
  mutable std::shared_mutex names_mutex_;
  std::unordered_map<std::string, std::int32_t> name_ids_;
  std::deque<std::string> names_;

  std::size_t max_events_;
  std::size_t max_users_;
  mutable Shard shards_[kShards];
  std::atomic<std::size_t> n_users_{0};
  std::atomic<std::int64_t> dropped_users_{0};
  std::size_t max_names_;
  std::atomic<std::int64_t> dropped_events_{0};
};

}  // namespace segue

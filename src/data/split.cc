// The split methods. Each marks every event train, test or dropped; finish()
// turns the marks into index lists, enforces the "test users have training
// data" invariant where the method promises it, and fills the counts.
#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "data/error.h"

namespace segue {
namespace {

enum Side : std::int8_t { kDropped = -1, kTrain = 0, kTest = 1 };

// mt19937_64 is fully specified by the standard; the draws below are ours, so
// the same seed gives the same split everywhere (unlike std::shuffle or
// std::uniform_int_distribution, whose algorithms are implementation-defined).
class SplitRng {
 public:
  explicit SplitRng(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n), n > 0, by rejection (no modulo bias).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (true) {
      const std::uint64_t x = engine_();
      if (x >= threshold) return x % n;
    }
  }

  // Fisher–Yates for the first k slots: v[0..k) becomes a uniform k-sample.
  template <class T>
  void shuffle_prefix(std::vector<T>& v, std::size_t k) {
    k = std::min(k, v.size());
    for (std::size_t i = 0; i < k && i + 1 < v.size(); ++i) {
      const std::size_t j = i + static_cast<std::size_t>(below(v.size() - i));
      std::swap(v[i], v[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

// Share of n, rounded, kept within [lo, hi].
std::int64_t share(double fraction, std::int64_t n, std::int64_t lo, std::int64_t hi) {
  const auto k = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n)));
  return std::clamp(k, lo, std::max(lo, hi));
}

// The user's events ordered oldest first: by timestamp when the data has
// them, else by playlist position, else import order; playlists ask for
// positions first. Ties keep import order; missing times/positions sort
// first, i.e. count as oldest.
enum class Order { kTimeFirst, kPositionFirst };

void events_in_order(const Interactions& x, std::int32_t u, Order prefer, std::vector<std::int64_t>& order) {
  order.resize(static_cast<std::size_t>(x.count(u)));
  std::iota(order.begin(), order.end(), x.begin(u));
  const bool by_time = !x.timestamps.empty() && (prefer == Order::kTimeFirst || x.positions.empty());
  if (by_time) {
    std::stable_sort(order.begin(), order.end(),
                     [&](std::int64_t a, std::int64_t b) { return x.timestamps[a] < x.timestamps[b]; });
  } else if (!x.positions.empty()) {
    std::stable_sort(order.begin(), order.end(),
                     [&](std::int64_t a, std::int64_t b) { return x.positions[a] < x.positions[b]; });
  }
}

void split_random(const Interactions& x, const SplitOptions& options, std::vector<std::int8_t>& side) {
  SplitRng rng(options.seed);
  std::vector<std::int64_t> events;
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    const std::int64_t n = x.count(u);
    if (n < 2) continue;  // a single event cannot be both history and target
    events.resize(static_cast<std::size_t>(n));
    std::iota(events.begin(), events.end(), x.begin(u));
    const std::int64_t n_test = share(options.test_fraction, n, 1, n - 1);
    rng.shuffle_prefix(events, static_cast<std::size_t>(n_test));
    for (std::int64_t k = 0; k < n_test; ++k) side[events[k]] = kTest;
  }
}

void split_leave_last(const Interactions& x, const SplitOptions& options, std::vector<std::int8_t>& side) {
  std::vector<std::int64_t> order;
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    if (x.count(u) < options.leave_n + 1) continue;
    events_in_order(x, u, Order::kTimeFirst, order);
    for (std::size_t k = order.size() - static_cast<std::size_t>(options.leave_n); k < order.size(); ++k)
      side[order[k]] = kTest;
  }
}

void split_temporal(const Dataset& data, const SplitOptions& options, std::vector<std::int8_t>& side, Split& split) {
  const Interactions& x = data.interactions;
  std::vector<std::int64_t> times;
  times.reserve(x.timestamps.size());
  for (std::int64_t t : x.timestamps)
    if (t != kNoTime) times.push_back(t);
  if (times.empty())
    throw UsageError("split temporal: the data set has no timestamps (" + data.source +
                     "); use --method leave-last or random");
  std::int64_t cut = options.cut_time;
  if (cut == kNoTime) {
    const auto index = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::floor((1.0 - options.test_fraction) * static_cast<double>(times.size()))), 0,
        static_cast<std::int64_t>(times.size()) - 1);
    std::nth_element(times.begin(), times.begin() + index, times.end());
    cut = times[index];
  }
  split.cut_time = cut;
  for (std::int64_t e = 0; e < x.size(); ++e) {
    const std::int64_t t = x.timestamps[e];
    if (t == kNoTime) {
      side[e] = kDropped;  // cannot tell which side of the cut it is on
      ++split.untimed_events;
    } else {
      side[e] = t >= cut ? kTest : kTrain;
    }
  }
}

// Ids in [0, n) with count(id) > 0, then a seeded sample of `fraction` of them.
std::vector<char> pick_cold(const std::vector<std::int64_t>& counts, double fraction, std::uint64_t seed,
                            std::int32_t& picked) {
  std::vector<std::int32_t> active;
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0) active.push_back(static_cast<std::int32_t>(i));
  const auto n = static_cast<std::int64_t>(active.size());
  const std::int64_t k = n < 2 ? 0 : share(fraction, n, 1, n - 1);  // keep both sides non-empty
  SplitRng rng(seed);
  rng.shuffle_prefix(active, static_cast<std::size_t>(k));
  std::vector<char> cold(counts.size(), 0);
  for (std::int64_t j = 0; j < k; ++j) cold[active[j]] = 1;
  picked = static_cast<std::int32_t>(k);
  return cold;
}

void split_cold_items(const Interactions& x, const SplitOptions& options, std::vector<std::int8_t>& side,
                      Split& split) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(x.n_items), 0);
  for (std::int32_t i : x.items) ++counts[i];
  const std::vector<char> cold = pick_cold(counts, options.cold_fraction, options.seed, split.cold_entities);
  for (std::int64_t e = 0; e < x.size(); ++e) side[e] = cold[x.items[e]] ? kTest : kTrain;
}

void split_cold_users(const Interactions& x, const SplitOptions& options, std::vector<std::int8_t>& side,
                      Split& split) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(x.n_users), 0);
  for (std::int32_t u = 0; u < x.n_users; ++u) counts[u] = x.count(u);
  const std::vector<char> cold = pick_cold(counts, options.cold_fraction, options.seed, split.cold_entities);
  for (std::int32_t u = 0; u < x.n_users; ++u)
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) side[e] = cold[u] ? kTest : kTrain;
}

// RecSys Challenge 2018: test playlists get a seed size dealt round-robin (only
// sizes below the playlist's length); the first `seed` tracks by position are
// train, the rest hidden in test.
void split_playlists(const Interactions& x, const SplitOptions& options, std::vector<std::int8_t>& side,
                     Split& split) {
  std::vector<std::int32_t> eligible;
  const std::int64_t min_events = std::max(options.min_playlist_events, 1);
  for (std::int32_t u = 0; u < x.n_users; ++u)
    if (x.count(u) >= min_events) eligible.push_back(u);
  const auto n = static_cast<std::int64_t>(eligible.size());
  const std::int64_t n_test = n == 0 ? 0 : share(options.test_fraction, n, 1, n);
  SplitRng rng(options.seed);
  rng.shuffle_prefix(eligible, eligible.size());

  const std::vector<int>& counts = options.seed_counts;
  std::size_t cursor = 0;
  std::vector<std::int64_t> order;
  for (std::int64_t j = 0; j < n_test; ++j) {
    const std::int32_t u = eligible[j];
    const std::int64_t length = x.count(u);
    int seed = -1;
    for (std::size_t step = 0; step < counts.size(); ++step) {
      const std::size_t c = (cursor + step) % counts.size();
      if (counts[c] < length) {
        seed = counts[c];
        cursor = c + 1;
        break;
      }
    }
    if (seed < 0) continue;  // every seed size is too long for it: stays whole in train
    events_in_order(x, u, Order::kPositionFirst, order);
    for (std::size_t k = static_cast<std::size_t>(seed); k < order.size(); ++k) side[order[k]] = kTest;
    split.playlists.push_back({u, seed, static_cast<std::int32_t>(length - seed)});
    if (seed == 0) split.cold = ColdStart::kPlaylists;
  }
  std::sort(split.playlists.begin(), split.playlists.end(),
            [](const TestPlaylist& a, const TestPlaylist& b) { return a.user < b.user; });
}

// Marks into index lists; drops test events of users without training events
// when the method promises that every test user has history.
void finish(const Interactions& x, std::vector<std::int8_t>& side, bool require_train, Split& split) {
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    bool has_train = false, has_test = false;
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      has_train |= side[e] == kTrain;
      has_test |= side[e] == kTest;
    }
    if (require_train && has_test && !has_train) {
      for (std::int64_t e = x.begin(u); e < x.end(u); ++e)
        if (side[e] == kTest) side[e] = kDropped;
      ++split.dropped_test_users;
      has_test = false;
    }
    split.train_users += has_train ? 1 : 0;
    split.test_users += has_test ? 1 : 0;
  }
  for (std::int64_t e = 0; e < x.size(); ++e) {
    if (side[e] == kTrain) {
      split.train.push_back(e);
    } else if (side[e] == kTest) {
      split.test.push_back(e);
    } else {
      ++split.dropped_events;
    }
  }
}

}  // namespace

const std::vector<std::string>& split_methods() {
  static const std::vector<std::string> methods{"random",     "leave-last", "temporal",
                                                "cold-items", "cold-users", "playlist-continuation"};
  return methods;
}

void validate(const SplitOptions& options) {
  const auto& methods = split_methods();
  if (std::find(methods.begin(), methods.end(), options.method) == methods.end())
    throw UsageError("split: unknown method '" + options.method +
                     "' (expected random, leave-last, temporal, cold-items, cold-users or playlist-continuation)");
  auto fraction = [](double value, const char* name) {
    if (!(value > 0.0 && value < 1.0))
      throw UsageError(std::string("split: ") + name + " must be in (0, 1), got " + std::to_string(value));
  };
  fraction(options.test_fraction, "test_fraction");
  fraction(options.cold_fraction, "cold_fraction");
  if (options.leave_n < 1) throw UsageError("split: leave_n must be >= 1, got " + std::to_string(options.leave_n));
  if (options.seed_counts.empty()) throw UsageError("split: seed_counts must not be empty");
  for (int count : options.seed_counts)
    if (count < 0) throw UsageError("split: seed_counts must be >= 0, got " + std::to_string(count));
  if (options.min_playlist_events < 1)
    throw UsageError("split: min_playlist_events must be >= 1, got " + std::to_string(options.min_playlist_events));
}

const char* to_string(ColdStart cold) {
  switch (cold) {
    case ColdStart::kNone: return "none";
    case ColdStart::kItems: return "items";
    case ColdStart::kUsers: return "users";
    case ColdStart::kPlaylists: return "playlists";
  }
  return "none";
}

Split split_dataset(const Dataset& data, const SplitOptions& options) {
  validate(options);
  const Interactions& x = data.interactions;
  std::vector<std::int8_t> side(static_cast<std::size_t>(x.size()), kTrain);
  Split split;
  bool require_train = true;
  if (options.method == "random") {
    split_random(x, options, side);
  } else if (options.method == "leave-last") {
    split_leave_last(x, options, side);
  } else if (options.method == "temporal") {
    split_temporal(data, options, side, split);
  } else if (options.method == "cold-items") {
    split_cold_items(x, options, side, split);
    split.cold = ColdStart::kItems;
  } else if (options.method == "cold-users") {
    split_cold_users(x, options, side, split);
    split.cold = ColdStart::kUsers;
    require_train = false;
  } else {
    split_playlists(x, options, side, split);
    require_train = false;  // only 0-seed playlists lack train events, by design
  }
  finish(x, side, require_train, split);
  return split;
}

}  // namespace segue

// Train/test splits of a Dataset (random, leave-last, temporal, cold-items,
// cold-users, playlist-continuation), deterministic under a seed on every
// platform, and the writer for their CSV/JSON output (docs/SPLITS.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace segue {

struct SplitOptions {
  // random | leave-last | temporal | cold-items | cold-users | playlist-continuation
  std::string method;
  std::uint64_t seed = 42;
  // random: share of each user's events held out; temporal: share of the time
  // range (by event count) after the cut; playlist-continuation: share of the
  // eligible playlists that become test playlists.
  double test_fraction = 0.2;
  int leave_n = 1;             // leave-last: events per user held out
  double cold_fraction = 0.2;  // cold-items / cold-users: share of items / users held out whole
  // temporal: explicit cut (unix seconds; events at or after it are test);
  // kNoTime = cut at the 1 - test_fraction quantile of event times.
  std::int64_t cut_time = kNoTime;
  // playlist-continuation: seed sizes dealt round-robin, and the fewest events
  // a playlist needs to be picked as a test playlist.
  std::vector<int> seed_counts{0, 1, 5, 10, 25, 100};
  int min_playlist_events = 2;
};

// Throws UsageError naming the option when a value is out of range or the method is unknown.
void validate(const SplitOptions& options);
const std::vector<std::string>& split_methods();

// Which side of the split is cold-start (test entities without training data).
enum class ColdStart { kNone, kItems, kUsers, kPlaylists };
const char* to_string(ColdStart cold);

// One test playlist of a playlist-continuation split.
struct TestPlaylist {
  std::int32_t user = 0;
  std::int32_t num_seed = 0;    // first events (by position) kept in train
  std::int32_t num_hidden = 0;  // the rest, in test
};

struct Split {
  std::vector<std::int64_t> train, test;  // event indices into dataset.interactions, ascending
  ColdStart cold = ColdStart::kNone;
  std::int64_t train_users = 0, test_users = 0;  // users with at least one event on that side
  std::int32_t cold_entities = 0;                // cold-items: items held out; cold-users: users held out
  // Events in neither train nor test, and why (never silent).
  std::int64_t dropped_events = 0;
  std::int64_t dropped_test_users = 0;  // test users removed for lack of training events
  std::int64_t untimed_events = 0;      // temporal: events without a timestamp (dropped)
  std::int64_t cut_time = kNoTime;      // temporal: the cut used
  std::vector<TestPlaylist> playlists;  // playlist-continuation, ascending by user
};

Split split_dataset(const Dataset& data, const SplitOptions& options);

// Writes dir/train.csv, dir/test.csv, dir/split.json and, for
// playlist-continuation, dir/test_playlists.csv; creates dir, each file
// written to a temporary name and renamed. Throws std::runtime_error naming
// the file when writing fails.
void write_split(const Dataset& data, const Split& split, const SplitOptions& options, const std::string& dir);

}  // namespace segue

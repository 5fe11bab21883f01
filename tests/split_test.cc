// Tests for the train/test splits: every method's determinism under a seed,
// partition and history invariants, and write_split's files read back.
#include "data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "data/csv_reader.h"
#include "data/dataset_builder.h"
#include "data/error.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

// 30 users with 3..14 events each over 40 items, timestamps interleaved
// across users and imported newest-first for some users.
Dataset listening_log(bool with_time = true) {
  DatasetBuilder b;
  for (int u = 0; u < 30; ++u) {
    const int n = 3 + u % 12;
    for (int k = 0; k < n; ++k) {
      DatasetBuilder::Event e;
      e.user = b.user("user" + std::to_string(u));
      e.item = b.item("item" + std::to_string((u * 7 + k * 3) % 40));
      e.weight = 1.0f + static_cast<float>(k % 3);
      const int step = u % 2 == 0 ? k : n - 1 - k;  // odd users imported newest first
      if (with_time) e.time = 1000 + step * 100 + u;
      b.add(e);
    }
  }
  return b.finish("log");
}

// Playlists with positions and titles, tracks imported in shuffled order.
Dataset playlists() {
  DatasetBuilder b;
  for (int p = 0; p < 40; ++p) {
    const std::string pid = "pl" + std::to_string(p);
    const std::int32_t user = b.user(pid);
    const int n = 2 + (p * 5) % 30;
    for (int k = 0; k < n; ++k) {
      DatasetBuilder::Event e;
      e.user = user;
      e.position = std::gcd(7, n) == 1 ? (k * 7) % n : k;  // a permutation of 0..n-1
      e.item = b.item("track" + std::to_string((p + e.position) % 50));
      b.add(e);
    }
    b.set_user_string("name", user, p == 3 ? "Road \"trip\", 2018" : "title " + std::to_string(p));
  }
  return b.finish("mpd");
}

SplitOptions options_for(const std::string& method, std::uint64_t seed = 42) {
  SplitOptions o;
  o.method = method;
  o.seed = seed;
  return o;
}

std::int32_t owner(const Interactions& x, std::int64_t e) {
  return static_cast<std::int32_t>(std::upper_bound(x.indptr.begin(), x.indptr.end(), e) - x.indptr.begin() - 1);
}

// Train and test disjoint, ascending, and together all events but the dropped ones.
void expect_partition(const Dataset& d, const Split& s) {
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
  EXPECT_TRUE(std::is_sorted(s.test.begin(), s.test.end()));
  std::vector<std::int64_t> all;
  std::set_union(s.train.begin(), s.train.end(), s.test.begin(), s.test.end(), std::back_inserter(all));
  EXPECT_EQ(all.size(), s.train.size() + s.test.size()) << "an event is in both train and test";
  EXPECT_EQ(static_cast<std::int64_t>(all.size()) + s.dropped_events, d.interactions.size());
}

void expect_test_users_have_train(const Dataset& d, const Split& s) {
  std::set<std::int32_t> train_users;
  for (std::int64_t e : s.train) train_users.insert(owner(d.interactions, e));
  for (std::int64_t e : s.test) EXPECT_TRUE(train_users.count(owner(d.interactions, e))) << "event " << e;
}

TEST(Split, EveryMethodIsDeterministicUnderItsSeed) {
  const Dataset log = listening_log();
  const Dataset mpd = playlists();
  for (const std::string& method : split_methods()) {
    const Dataset& d = method == "playlist-continuation" ? mpd : log;
    const Split a = split_dataset(d, options_for(method, 7));
    const Split b = split_dataset(d, options_for(method, 7));
    EXPECT_EQ(a.train, b.train) << method;
    EXPECT_EQ(a.test, b.test) << method;
    if (method == "leave-last" || method == "temporal") continue;  // no randomness to vary
    const Split c = split_dataset(d, options_for(method, 8));
    EXPECT_NE(a.test, c.test) << method << ": a different seed should give a different split";
  }
}

TEST(Split, RandomHoldsOutAShareOfEachUserAndKeepsHistory) {
  DatasetBuilder b;
  DatasetBuilder::Event lone;
  lone.user = b.user("lonely");
  lone.item = b.item("x");
  b.add(lone);
  Dataset d = b.finish("one");
  const Split single = split_dataset(d, options_for("random"));
  EXPECT_EQ(single.train, (std::vector<std::int64_t>{0}));  // one event stays in train
  EXPECT_TRUE(single.test.empty());

  const Dataset log = listening_log();
  const Split s = split_dataset(log, options_for("random"));
  expect_partition(log, s);
  expect_test_users_have_train(log, s);
  EXPECT_EQ(s.dropped_events, 0);
  std::map<std::int32_t, int> test_count;
  for (std::int64_t e : s.test) ++test_count[owner(log.interactions, e)];
  for (std::int32_t u = 0; u < log.n_users(); ++u) {
    const auto n = log.interactions.count(u);
    EXPECT_EQ(test_count[u], std::clamp<std::int64_t>(std::llround(0.2 * n), 1, n - 1)) << "user " << u;
  }
}

TEST(Split, LeaveLastTakesTheLatestEventsByTime) {
  const Dataset log = listening_log();
  SplitOptions o = options_for("leave-last");
  o.leave_n = 2;
  const Split s = split_dataset(log, o);
  expect_partition(log, s);
  expect_test_users_have_train(log, s);
  const Interactions& x = log.interactions;
  std::map<std::int32_t, std::vector<std::int64_t>> test_times;
  for (std::int64_t e : s.test) test_times[owner(x, e)].push_back(x.timestamps[e]);
  for (std::int32_t u = 0; u < log.n_users(); ++u) {
    std::vector<std::int64_t> times(x.timestamps.begin() + x.begin(u), x.timestamps.begin() + x.end(u));
    std::sort(times.rbegin(), times.rend());
    std::vector<std::int64_t> got = test_times[u];
    std::sort(got.rbegin(), got.rend());
    EXPECT_EQ(got, std::vector<std::int64_t>(times.begin(), times.begin() + 2)) << "user " << u;
  }
}

TEST(Split, LeaveLastFallsBackToPositionsAndSkipsShortUsers) {
  const Dataset mpd = playlists();
  SplitOptions o = options_for("leave-last");
  o.leave_n = 3;
  const Split s = split_dataset(mpd, o);
  expect_partition(mpd, s);
  const Interactions& x = mpd.interactions;
  for (std::int64_t e : s.test) {
    const std::int32_t u = owner(x, e);
    ASSERT_GE(x.count(u), 4);
    EXPECT_GE(x.positions[e], x.count(u) - 3) << "not one of the last three positions";
  }
  for (std::int32_t u = 0; u < mpd.n_users(); ++u) {
    if (x.count(u) >= 4) continue;
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e)
      EXPECT_TRUE(std::binary_search(s.train.begin(), s.train.end(), e)) << "short playlist split";
  }
}

TEST(Split, TemporalCutsAtTheQuantileAndReportsDroppedUsers) {
  DatasetBuilder b;
  auto add = [&](const char* user, const char* item, std::int64_t time) {
    DatasetBuilder::Event e;
    e.user = b.user(user);
    e.item = b.item(item);
    e.time = time;
    b.add(e);
  };
  for (int t = 0; t < 8; ++t) add("old", "a", 100 + t);
  add("newcomer", "b", 500);  // only after the cut: no history, dropped from test
  add("newcomer", "c", 600);
  DatasetBuilder::Event untimed;
  untimed.user = b.user("old");
  untimed.item = b.item("z");
  b.add(untimed);
  const Dataset d = b.finish("t");
  SplitOptions o = options_for("temporal");
  o.test_fraction = 0.3;  // 10 timed events: the cut is the 7th smallest time
  const Split s = split_dataset(d, o);
  EXPECT_EQ(s.cut_time, 107);
  EXPECT_EQ(s.untimed_events, 1);
  EXPECT_EQ(s.dropped_test_users, 1);
  EXPECT_EQ(s.dropped_events, 3);  // the untimed one and newcomer's two
  EXPECT_EQ(s.train.size(), 7u);
  EXPECT_EQ(s.test.size(), 1u);  // old's event at 107
  EXPECT_EQ(d.interactions.timestamps[s.test[0]], 107);
  expect_partition(d, s);
  expect_test_users_have_train(d, s);

  o.cut_time = 104;
  EXPECT_EQ(split_dataset(d, o).test.size(), 4u);
}

TEST(Split, TemporalWithoutTimestampsSaysSo) {
  const Dataset d = listening_log(false);
  try {
    split_dataset(d, options_for("temporal"));
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("no timestamps"), std::string::npos);
  }
}

TEST(Split, ColdItemsNeverAppearInTrain) {
  const Dataset log = listening_log();
  SplitOptions o = options_for("cold-items");
  o.cold_fraction = 0.25;
  const Split s = split_dataset(log, o);
  expect_partition(log, s);
  expect_test_users_have_train(log, s);
  EXPECT_EQ(s.cold, ColdStart::kItems);
  EXPECT_EQ(s.cold_entities, 10);  // 25% of 40 items
  std::set<std::int32_t> train_items, test_items;
  for (std::int64_t e : s.train) train_items.insert(log.interactions.items[e]);
  for (std::int64_t e : s.test) test_items.insert(log.interactions.items[e]);
  for (std::int32_t i : test_items) EXPECT_FALSE(train_items.count(i)) << log.items.name(i);
  EXPECT_LE(static_cast<std::int64_t>(test_items.size()), s.cold_entities);
}

TEST(Split, ColdUsersGoWholeToTest) {
  const Dataset log = listening_log();
  const Split s = split_dataset(log, options_for("cold-users"));
  expect_partition(log, s);
  EXPECT_EQ(s.cold, ColdStart::kUsers);
  EXPECT_EQ(s.cold_entities, 6);  // 20% of 30
  EXPECT_EQ(s.test_users, 6);
  EXPECT_EQ(s.train_users, 24);
  std::set<std::int32_t> train_users;
  for (std::int64_t e : s.train) train_users.insert(owner(log.interactions, e));
  for (std::int64_t e : s.test) EXPECT_FALSE(train_users.count(owner(log.interactions, e)));
}

TEST(Split, PlaylistContinuationSeedsAreTheFirstPositions) {
  const Dataset mpd = playlists();
  SplitOptions o = options_for("playlist-continuation");
  o.test_fraction = 0.5;
  const Split s = split_dataset(mpd, o);
  expect_partition(mpd, s);
  ASSERT_EQ(s.playlists.size(), 20u);
  const Interactions& x = mpd.interactions;
  std::set<int> seen_seeds;
  for (const TestPlaylist& p : s.playlists) {
    const std::set<int> allowed{0, 1, 5, 10, 25, 100};
    EXPECT_TRUE(allowed.count(p.num_seed));
    EXPECT_LT(p.num_seed, x.count(p.user));
    EXPECT_EQ(p.num_seed + p.num_hidden, x.count(p.user));
    seen_seeds.insert(p.num_seed);
    for (std::int64_t e = x.begin(p.user); e < x.end(p.user); ++e) {
      const bool in_train = std::binary_search(s.train.begin(), s.train.end(), e);
      EXPECT_EQ(in_train, x.positions[e] < p.num_seed) << "playlist " << mpd.users.name(p.user);
    }
  }
  EXPECT_GE(seen_seeds.size(), 4u) << "seed sizes should be dealt round-robin";
  EXPECT_TRUE(seen_seeds.count(0));
  EXPECT_EQ(s.cold, ColdStart::kPlaylists);
}

TEST(Split, PlaylistContinuationOrdersByPositionEvenWithTimestamps) {
  DatasetBuilder b;
  for (int k = 0; k < 12; ++k) {
    DatasetBuilder::Event e;
    e.user = b.user("pl");
    e.position = 11 - k;  // imported last position first ...
    e.time = 1000 + k;    // ... with times running against the positions
    std::string track = "t";
    track += std::to_string(k);  // (not "t" + ...: GCC 12 -Wrestrict false positive)
    e.item = b.item(track);
    b.add(e);
  }
  const Dataset d = b.finish("p");
  SplitOptions o = options_for("playlist-continuation");
  o.seed_counts = {5, 100};  // 100 >= 12 tracks, so 5 is the only size that fits
  const Split s = split_dataset(d, o);
  ASSERT_EQ(s.playlists.size(), 1u);
  EXPECT_EQ(s.playlists[0].num_seed, 5);
  EXPECT_EQ(s.playlists[0].num_hidden, 7);
  EXPECT_EQ(s.cold, ColdStart::kNone);  // no 0-seed playlist
  for (std::int64_t e : s.train) EXPECT_LT(d.interactions.positions[e], 5);
  EXPECT_EQ(s.train.size(), 5u);
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  CsvReader reader(path);
  std::vector<std::vector<std::string>> rows{reader.header()};
  while (reader.next()) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < reader.size(); ++i) row.emplace_back(reader.field(i));
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(Split, WriteSplitFilesReadBackAsTheEvents) {
  DatasetBuilder b;
  auto add = [&](const char* user, const char* item, float weight, std::int64_t time, const char* event) {
    DatasetBuilder::Event e;
    e.user = b.user(user);
    e.item = b.item(item);
    e.weight = weight;
    e.time = time;
    e.event = b.event_code(event);
    b.add(e);
  };
  add("u,1", "song \"A\"", 0.1f, 1500000000, "play");
  add("u,1", "b", 3.0f, 1500000100, "skip");
  add("u,1", "c", 2.5f, kNoTime, "play");
  add("u2", "b", 1.0f, 1500000200, "like");
  add("u2", "c", 7.0f, 1500000300, "play");
  const Dataset d = b.finish("w");
  const SplitOptions o = options_for("leave-last");
  const Split s = split_dataset(d, o);
  TempDir dir;
  const std::string out = dir.file("nested/split");
  write_split(d, s, o, out);

  const auto train = read_csv(out + "/train.csv");
  const auto test = read_csv(out + "/test.csv");
  const std::vector<std::string> header{"user_id", "item_id", "weight", "timestamp", "event"};
  EXPECT_EQ(train[0], header);
  EXPECT_EQ(test[0], header);
  // u,1's latest event by time is b at ...100 (the untimed one counts as oldest).
  const std::vector<std::vector<std::string>> expected_train{
      {"u,1", "song \"A\"", "0.1", "1500000000", "play"},
      {"u,1", "c", "2.5", "", "play"},
      {"u2", "b", "1", "1500000200", "like"}};
  const std::vector<std::vector<std::string>> expected_test{
      {"u,1", "b", "3", "1500000100", "skip"}, {"u2", "c", "7", "1500000300", "play"}};
  EXPECT_EQ(std::vector(train.begin() + 1, train.end()), expected_train);
  EXPECT_EQ(std::vector(test.begin() + 1, test.end()), expected_test);
  EXPECT_NE(testing::read_file(out + "/train.csv").find("\"u,1\",\"song \"\"A\"\"\""), std::string::npos);

  const std::string json = testing::read_file(out + "/split.json");
  EXPECT_NE(json.find("\"method\": \"leave-last\""), std::string::npos);
  EXPECT_NE(json.find("\"cold_start\": \"none\""), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out + "/test_playlists.csv"));
  for (const auto& entry : std::filesystem::directory_iterator(out))
    EXPECT_EQ(entry.path().extension().string() == ".tmp", false) << "temporary file left behind";
}

TEST(Split, WriteSplitPlaylistFilesKeepTitlesAndPositions) {
  const Dataset mpd = playlists();
  SplitOptions o = options_for("playlist-continuation");
  o.test_fraction = 0.5;
  const Split s = split_dataset(mpd, o);
  TempDir dir;
  write_split(mpd, s, o, dir.path().string());
  const auto train = read_csv(dir.file("train.csv"));
  EXPECT_EQ(train[0], (std::vector<std::string>{"user_id", "item_id", "weight", "timestamp", "position"}));
  EXPECT_EQ(train.size(), s.train.size() + 1);
  const auto titles = read_csv(dir.file("test_playlists.csv"));
  EXPECT_EQ(titles[0], (std::vector<std::string>{"user_id", "name", "num_seed", "num_hidden"}));
  ASSERT_EQ(titles.size(), s.playlists.size() + 1);
  for (std::size_t k = 0; k < s.playlists.size(); ++k) {
    const TestPlaylist& p = s.playlists[k];
    EXPECT_EQ(titles[k + 1][0], mpd.users.name(p.user));
    EXPECT_EQ(titles[k + 1][1], mpd.user_attributes.string_value("name", p.user));
    EXPECT_EQ(titles[k + 1][2], std::to_string(p.num_seed));
    EXPECT_EQ(titles[k + 1][3], std::to_string(p.num_hidden));
  }
  const std::string json = testing::read_file(dir.file("split.json"));
  EXPECT_NE(json.find("\"cold_start\": \"playlists\""), std::string::npos);
}

TEST(Split, BadOptionsNameTheOption) {
  const Dataset log = listening_log();
  auto message = [&](SplitOptions o) {
    try {
      split_dataset(log, o);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(options_for("shuffle")).find("unknown method 'shuffle'"), std::string::npos);
  SplitOptions o = options_for("random");
  o.test_fraction = 1.5;
  EXPECT_NE(message(o).find("test_fraction"), std::string::npos);
  o = options_for("leave-last");
  o.leave_n = 0;
  EXPECT_NE(message(o).find("leave_n"), std::string::npos);
}

}  // namespace
}  // namespace segue

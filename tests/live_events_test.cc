// LiveEvents: each listener's received events as requests use them.
#include <gtest/gtest.h>

#include "data/id_map.h"
#include "serve/live_events.h"

namespace segue {
namespace {

TEST(LiveEvents, ProfileNetsSignalsAndMapsItemsThroughTheModel) {
  LiveEvents live(/*max_events_per_user=*/4);
  IdMap items;
  for (const char* id : {"a", "b", "c"}) items.intern(id);
  ASSERT_TRUE(live.add("u", {{"a", "play", 1.0f, 10, 1}, {"b", "skip", -1.0f, 11, 2}, {"new", "like", 4.0f, 12, 3}}));
  live.add("u", {{"a", "play", 1.0f, 13, 4}});
  LiveProfile p = live.profile("u", items);
  EXPECT_EQ(p.events, 4);
  EXPECT_EQ(p.unknown_items, 1);  // "new" is not in the model: kept, counted
  EXPECT_EQ(p.positives, std::vector<std::int32_t>{items.find("a")});
  EXPECT_EQ(p.weights, std::vector<float>{2.0f});
  EXPECT_EQ(p.skipped, std::vector<std::int32_t>{items.find("b")});
  EXPECT_EQ(p.touched, (std::vector<std::int32_t>{items.find("a"), items.find("b")}));
  // Newest first, with names; the cap (4) drops the oldest from memory.
  live.add("u", {{"c", "like", 4.0f, 14, 5}});
  const auto recent = live.recent("u", 10);
  ASSERT_EQ(recent.size(), 4u);
  EXPECT_EQ(recent[0].item, "c");
  EXPECT_EQ(recent[0].event, "like");
  EXPECT_EQ(recent[0].sequence, 5);
  EXPECT_EQ(recent[3].item, "b");  // the first play of "a" left memory
  EXPECT_EQ(live.profile("u", items).weights.size(), 2u);  // a (1 play left) and c
  EXPECT_TRUE(live.profile("nobody", items).touched.empty());
  EXPECT_EQ(live.users(), 1u);
}

TEST(LiveEvents, TheUserCapRefusesNewListenersOnly) {
  LiveEvents live(10, /*max_users=*/1);
  EXPECT_TRUE(live.add("first", {{"a", "play", 1.0f, 1, 1}}));
  EXPECT_FALSE(live.add("second", {{"a", "play", 1.0f, 2, 2}}));
  EXPECT_TRUE(live.add("first", {{"b", "play", 1.0f, 3, 3}}));
  EXPECT_EQ(live.dropped_users(), 1);
  EXPECT_EQ(live.recent("first", 10).size(), 2u);
}

// Events for ever new item ids must not grow memory without end: past max_names, an event naming a new item
// is not kept live (it is still in the database), and counted; known names keep working.
TEST(LiveEvents, TheNameCapBoundsMemoryAndCountsWhatItLeavesOut) {
  LiveEvents live(100, 100, /*max_names=*/3);  // "play" and two items
  IdMap items;
  for (const char* id : {"a", "b", "c"}) items.intern(id);
  EXPECT_TRUE(live.add("u", {{"a", "play", 1.0f, 1, 1}, {"b", "play", 1.0f, 2, 2}}));
  EXPECT_EQ(live.names(), 3u);
  EXPECT_TRUE(live.add("u", {{"c", "play", 1.0f, 3, 3}, {"a", "play", 1.0f, 4, 4}, {"d", "play", 1.0f, 5, 5}}));
  EXPECT_EQ(live.names(), 3u);
  EXPECT_EQ(live.dropped_events(), 2);  // c and d
  const LiveProfile p = live.profile("u", items);
  EXPECT_EQ(p.events, 3);
  EXPECT_EQ(p.positives, (std::vector<std::int32_t>{items.find("a"), items.find("b")}));
}

}  // namespace
}  // namespace segue

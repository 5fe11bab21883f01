#include "data/dataset_builder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "data/error.h"
#include "data/stats.h"

namespace segue {
namespace {

TEST(DatasetBuilder, GroupsByUserKeepingEachUsersOrder) {
  DatasetBuilder b;
  const auto u1 = b.user("u1"), u2 = b.user("u2");
  const auto a = b.item("a"), c = b.item("c"), d = b.item("d");
  b.add({.user = u2, .item = a});
  b.add({.user = u1, .item = d});
  b.add({.user = u2, .item = c});
  b.add({.user = u1, .item = a});
  const Dataset data = b.finish("test");
  data.validate();
  const Interactions& x = data.interactions;
  EXPECT_EQ(x.indptr, (std::vector<std::int64_t>{0, 2, 4}));
  EXPECT_EQ(x.items, (std::vector<std::int32_t>{d, a, a, c}));
  // Nothing optional was set, so nothing optional is stored.
  EXPECT_TRUE(x.weights.empty());
  EXPECT_TRUE(x.timestamps.empty());
  EXPECT_TRUE(x.events.empty());
}

TEST(DatasetBuilder, EventCodesComeFromTheSignalTable) {
  DatasetBuilder b(SignalTable::parse("save=3"));
  EXPECT_EQ(b.event_code("play"), 0);
  const auto skip = b.event_code("skip");
  const auto save = b.event_code("save");
  EXPECT_EQ(b.event_code("bookmark"), -1);
  b.add({.user = b.user("u"), .item = b.item("i"), .event = save});
  b.add({.user = b.user("u"), .item = b.item("j"), .event = skip});
  const Dataset data = b.finish("test");
  EXPECT_EQ(data.event_names[save], "save");
  EXPECT_FLOAT_EQ(data.event_signal[save], 3.0f);
  EXPECT_FLOAT_EQ(data.event_signal[skip], -1.0f);
}

TEST(DatasetBuilder, SideDataIsPaddedMergedAndSymmetric) {
  DatasetBuilder b;
  const auto u = b.user("u"), v = b.user("v"), w = b.user("w");
  const auto i = b.item("i"), j = b.item("j");
  b.add({.user = u, .item = i});
  b.set_item_string("name", j, "Jay");
  b.set_item_number("energy", i, 0.5f);
  b.add_item_tag(i, "rock", 1);
  b.add_item_tag(i, "rock", 2);
  b.add_item_tag(i, "indie", 1);
  b.add_friend(u, v);
  b.add_friend(v, u);  // the same friendship twice
  b.add_friend(w, w);  // self-loops are ignored
  const Dataset data = b.finish("test");
  data.validate();
  EXPECT_EQ(data.item_attributes.string_value("name", i), "");
  EXPECT_EQ(data.item_attributes.string_value("name", j), "Jay");
  EXPECT_TRUE(std::isnan(data.item_attributes.find_number("energy")->values[j]));
  const TokenLists& tags = data.item_attributes.tags;
  ASSERT_EQ(tags.indptr[i + 1] - tags.indptr[i], 2);
  float rock = 0;
  for (std::int64_t k = tags.indptr[i]; k < tags.indptr[i + 1]; ++k)
    if (tags.tokens[k] == tags.vocab.find("rock")) rock = tags.counts[k];
  EXPECT_FLOAT_EQ(rock, 3.0f);  // the two "rock" assignments merged
  EXPECT_EQ(data.friends.edges(), 2);
  EXPECT_EQ(compute_stats(data).friend_edges, 1);
}

TEST(DatasetBuilder, ContextColumnsAlignWithEvents) {
  DatasetBuilder b;
  const int device = b.context_column("device", true);
  const int hour = b.context_column("hour", false);
  b.add({.user = b.user("u2"), .item = b.item("a")});
  b.set_context(device, "phone");
  b.set_context(hour, 7.0f);
  b.add({.user = b.user("u1"), .item = b.item("b")});  // no context given
  const Dataset data = b.finish("test");
  data.validate();
  const auto& x = data.interactions;
  // u2 (id 0) comes first; u1's event has missing context.
  EXPECT_EQ(x.context[0].vocab.name(x.context[0].codes[0]), "phone");
  EXPECT_FLOAT_EQ(x.context[1].values[0], 7.0f);
  EXPECT_EQ(x.context[0].codes[1], -1);
  EXPECT_TRUE(std::isnan(x.context[1].values[1]));
}

TEST(SignalTable, ParsesOverridesAndRejectsJunk) {
  const SignalTable table = SignalTable::parse("like=5,save=3");
  EXPECT_FLOAT_EQ(table.entries()[table.find("like")].second, 5.0f);
  EXPECT_GE(table.find("save"), 0);
  EXPECT_GE(table.find("skip"), 0);
  EXPECT_THROW(SignalTable::parse("like"), UsageError);
  EXPECT_THROW(SignalTable::parse("like=lots"), UsageError);
  EXPECT_THROW(SignalTable::parse("=1"), UsageError);
}

}  // namespace
}  // namespace segue

// Tests for the dataset filters: k-core cascades, duplicate merging, weight
// threshold, and that side data stays aligned with the renumbered ids.
#include "data/filters.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "data/dataset_builder.h"
#include "data/error.h"

namespace segue {
namespace {

struct Row {
  std::string user, item;
  float weight = 1.0f;
  std::int64_t time = kNoTime;
  std::string event = "play";
};

Dataset build(const std::vector<Row>& rows) {
  DatasetBuilder b;
  for (const Row& r : rows) {
    DatasetBuilder::Event e;
    e.user = b.user(r.user);
    e.item = b.item(r.item);
    e.weight = r.weight;
    e.time = r.time;
    e.event = b.event_code(r.event);
    b.add(e);
  }
  return b.finish("test");
}

std::vector<std::string> names(const IdMap& map) {
  std::vector<std::string> out;
  for (std::int32_t i = 0; i < map.size(); ++i) out.emplace_back(map.name(i));
  return out;
}

// (user, item) of every event, by name, in CSR order.
std::vector<std::pair<std::string, std::string>> pairs(const Dataset& d) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::int32_t u = 0; u < d.n_users(); ++u)
    for (std::int64_t e = d.interactions.begin(u); e < d.interactions.end(u); ++e)
      out.emplace_back(std::string(d.users.name(u)), std::string(d.items.name(d.interactions.items[e])));
  return out;
}

// u5 falling out drops d, which drops u4, which drops c, which drops u3: four
// rounds of removals after the first, so a single pass would keep too much.
Dataset cascade() {
  DatasetBuilder b;
  const std::vector<std::pair<const char*, const char*>> events{
      {"u1", "a"}, {"u1", "a"}, {"u1", "b"}, {"u2", "a"}, {"u2", "b"}, {"u3", "b"}, {"u3", "c"},
      {"u4", "c"}, {"u4", "d"}, {"u5", "d"}, {"u6", "x"}, {"u6", "x"}};
  for (const auto& [user, item] : events) {
    DatasetBuilder::Event e;
    e.user = b.user(user);
    e.item = b.item(item);
    b.add(e);
  }
  b.item("catalogue-only");  // no events: below any k >= 1
  return b.finish("cascade");
}

TEST(Filters, KcoreCascadesUntilEveryoneMeetsTheThreshold) {
  const Dataset data = cascade();
  const Dataset core = kcore(data, 2, 2);
  EXPECT_NO_THROW(core.validate());
  EXPECT_EQ(names(core.users), (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(names(core.items), (std::vector<std::string>{"a", "b"}));
  // Duplicate events survive (k-core counts distinct items but keeps events).
  const std::vector<std::pair<std::string, std::string>> expected{
      {"u1", "a"}, {"u1", "a"}, {"u1", "b"}, {"u2", "a"}, {"u2", "b"}};
  EXPECT_EQ(pairs(core), expected);
}

TEST(Filters, KcoreCountsDistinctItemsNotEvents) {
  const Dataset core = kcore(cascade(), 2, 1);
  // u6 has two events but one distinct item, so it goes; so does x.
  const auto users = names(core.users);
  EXPECT_EQ(std::count(users.begin(), users.end(), "u6"), 0);
  const auto items = names(core.items);
  EXPECT_EQ(std::count(items.begin(), items.end(), "x"), 0);
  EXPECT_EQ(std::count(items.begin(), items.end(), "catalogue-only"), 0);
}

TEST(Filters, KcoreIsIdempotent) {
  const Dataset once = kcore(cascade(), 2, 2);
  const Dataset twice = kcore(once, 2, 2);
  EXPECT_EQ(once.users, twice.users);
  EXPECT_EQ(once.items, twice.items);
  EXPECT_EQ(once.interactions.indptr, twice.interactions.indptr);
  EXPECT_EQ(once.interactions.items, twice.interactions.items);
}

TEST(Filters, KcoreZeroKeepsEverything) {
  const Dataset data = cascade();
  const Dataset same = kcore(data, 0, 0);
  EXPECT_EQ(same.users, data.users);
  EXPECT_EQ(same.items, data.items);
  EXPECT_EQ(same.interactions.items, data.interactions.items);
  EXPECT_THROW(kcore(data, -1, 2), UsageError);
}

TEST(Filters, KcoreOnlyItemsKeepsUsersWithoutEvents) {
  // min_user = 0: users are unconstrained even when all their items go.
  const Dataset core = kcore(cascade(), 0, 2);
  EXPECT_EQ(core.n_users(), 6);
  const auto items = names(core.items);
  EXPECT_EQ(items, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(core.interactions.count(5), 0);  // u6 lost x
}

std::vector<Row> duplicate_rows() {
  return {{"u1", "a", 1.0f, 10, "play"},
          {"u1", "b", 5.0f, 20, "play"},
          {"u1", "a", 3.0f, 30, "play"},
          {"u1", "a", 2.0f, 40, "like"},
          {"u2", "a", 7.0f, 50, "play"}};
}

struct Event {
  std::string item;
  float weight;
  std::int64_t time;
  std::string event;
  bool operator==(const Event&) const = default;
};

std::vector<Event> events_of(const Dataset& d, std::int32_t u) {
  std::vector<Event> out;
  const Interactions& x = d.interactions;
  for (std::int64_t e = x.begin(u); e < x.end(u); ++e)
    out.push_back({std::string(d.items.name(x.items[e])), x.weight(e), x.timestamps[e], d.event_names[x.event(e)]});
  return out;
}

TEST(Filters, DuplicatesSumAddsWeightsAndKeepsTheFirstEvent) {
  const Dataset merged = merge_duplicates(build(duplicate_rows()), Duplicates::kSum);
  EXPECT_EQ(events_of(merged, 0),
            (std::vector<Event>{{"a", 4.0f, 10, "play"}, {"b", 5.0f, 20, "play"}, {"a", 2.0f, 40, "like"}}));
  EXPECT_EQ(events_of(merged, 1), (std::vector<Event>{{"a", 7.0f, 50, "play"}}));
}

TEST(Filters, DuplicatesMaxTakesTheLargestWeight) {
  const Dataset merged = merge_duplicates(build(duplicate_rows()), Duplicates::kMax);
  EXPECT_EQ(events_of(merged, 0),
            (std::vector<Event>{{"a", 3.0f, 10, "play"}, {"b", 5.0f, 20, "play"}, {"a", 2.0f, 40, "like"}}));
}

TEST(Filters, DuplicatesFirstAndLastKeepThatEventWhole) {
  const Dataset data = build(duplicate_rows());
  EXPECT_EQ(events_of(merge_duplicates(data, Duplicates::kFirst), 0),
            (std::vector<Event>{{"a", 1.0f, 10, "play"}, {"b", 5.0f, 20, "play"}, {"a", 2.0f, 40, "like"}}));
  EXPECT_EQ(events_of(merge_duplicates(data, Duplicates::kLast), 0),
            (std::vector<Event>{{"b", 5.0f, 20, "play"}, {"a", 3.0f, 30, "play"}, {"a", 2.0f, 40, "like"}}));
  EXPECT_EQ(merge_duplicates(data, Duplicates::kKeep).interactions.size(), 5);
}

TEST(Filters, DuplicatesSumCreatesWeightsWhenTheDataHasNone) {
  const Dataset data = build({{"u1", "a"}, {"u1", "a"}, {"u1", "b"}});
  ASSERT_TRUE(data.interactions.weights.empty());
  const Dataset merged = merge_duplicates(data, Duplicates::kSum);
  ASSERT_EQ(merged.interactions.size(), 2);
  EXPECT_EQ(merged.interactions.weight(0), 2.0f);
  EXPECT_EQ(merged.interactions.weight(1), 1.0f);
}

TEST(Filters, ParseDuplicatesNamesTheBadValue) {
  EXPECT_EQ(parse_duplicates("sum"), Duplicates::kSum);
  EXPECT_EQ(parse_duplicates("last"), Duplicates::kLast);
  try {
    parse_duplicates("median");
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("median"), std::string::npos);
  }
}

TEST(Filters, MinWeightDropsLighterEventsOnly) {
  const Dataset filtered = filter_min_weight(build(duplicate_rows()), 3.0f);
  EXPECT_EQ(events_of(filtered, 0), (std::vector<Event>{{"b", 5.0f, 20, "play"}, {"a", 3.0f, 30, "play"}}));
  EXPECT_EQ(filtered.n_users(), 2);  // no user or item is dropped by this filter
  EXPECT_THROW(filter_min_weight(build(duplicate_rows()), std::nanf("")), UsageError);
}

// Side data on every axis, so a renumbering mistake shows up as a wrong value.
Dataset with_side_data() {
  DatasetBuilder b;
  const int device = b.context_column("device", true);
  const int hour = b.context_column("hour", false);
  const std::vector<std::tuple<const char*, const char*, const char*, float>> events{
      {"alice", "song1", "phone", 1}, {"alice", "song2", "web", 2}, {"bob", "song9", "tv", 3},
      {"carol", "song1", "car", 4},   {"carol", "song2", "web", 5}};
  for (const auto& [user, item, dev, h] : events) {
    DatasetBuilder::Event e;
    e.user = b.user(user);
    e.item = b.item(item);
    b.add(e);
    b.set_context(device, dev);
    b.set_context(hour, h);
  }
  for (const char* user : {"alice", "bob", "carol"}) b.set_user_string("name", b.user(user), std::string("Name of ") + user);
  for (const char* item : {"song1", "song2", "song9"}) {
    b.set_item_string("artist", b.item(item), std::string("artist of ") + item);
    b.set_item_number("tempo", b.item(item), item[4] == '9' ? 99.0f : 100.0f + (item[4] - '0'));
    b.add_item_tag(b.item(item), std::string("tag-") + item);
  }
  b.add_friend(b.user("alice"), b.user("bob"));
  b.add_friend(b.user("bob"), b.user("carol"));
  b.add_friend(b.user("alice"), b.user("carol"));
  return b.finish("side");
}

TEST(Filters, SideDataStaysAlignedAfterDroppingUsersAndItems) {
  const Dataset core = kcore(with_side_data(), 2, 2);  // bob and song9 go
  ASSERT_NO_THROW(core.validate());
  ASSERT_EQ(names(core.users), (std::vector<std::string>{"alice", "carol"}));
  ASSERT_EQ(names(core.items), (std::vector<std::string>{"song1", "song2"}));
  EXPECT_EQ(core.user_attributes.string_value("name", 1), "Name of carol");
  EXPECT_EQ(core.item_attributes.string_value("artist", 1), "artist of song2");
  EXPECT_EQ(core.item_attributes.find_number("tempo")->values, (std::vector<float>{101.0f, 102.0f}));
  const TokenLists& tags = core.item_attributes.tags;
  ASSERT_EQ(tags.rows(), 2);
  EXPECT_EQ(tags.vocab.name(tags.tokens[tags.indptr[1]]), "tag-song2");
  // Friends: only alice <-> carol survives, in the new ids.
  EXPECT_EQ(core.friends.indptr, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(core.friends.neighbors, (std::vector<std::int32_t>{1, 0}));
  // Context follows its event: carol's events were car, web and hours 4, 5.
  const ContextColumn& device = core.interactions.context[0];
  const ContextColumn& hour = core.interactions.context[1];
  const std::int64_t first = core.interactions.begin(1);
  EXPECT_EQ(device.vocab.name(device.codes[first]), "car");
  EXPECT_EQ(device.vocab.name(device.codes[first + 1]), "web");
  EXPECT_EQ(hour.values[first], 4.0f);
  EXPECT_EQ(hour.values[first + 1], 5.0f);
}

TEST(Filters, SelectEventsKeepsIdsAndChecksTheMask) {
  const Dataset data = with_side_data();
  const Dataset some = select_events(data, {1, 0, 0, 1, 1});
  EXPECT_EQ(some.users, data.users);
  EXPECT_EQ(some.items, data.items);
  EXPECT_EQ(some.interactions.indptr, (std::vector<std::int64_t>{0, 1, 1, 3}));
  EXPECT_THROW(select_events(data, {1, 0}), std::invalid_argument);
  const Dataset used = drop_unused(some, true, true);  // bob and song9 have no events left
  EXPECT_EQ(names(used.users), (std::vector<std::string>{"alice", "carol"}));
  EXPECT_EQ(names(used.items), (std::vector<std::string>{"song1", "song2"}));
  EXPECT_NO_THROW(used.validate());
}

TEST(Filters, ApplyFiltersRunsInOrderAndReportsEachStep) {
  std::vector<Row> rows = duplicate_rows();
  rows.push_back({"u3", "c", 0.5f, 60, "play"});
  FilterOptions options;
  options.duplicates = Duplicates::kSum;
  options.min_weight = 1.0f;
  options.kcore_items = 2;
  FilterReport report;
  const Dataset out = apply_filters(build(rows), options, &report);
  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_EQ(report.steps[0].name, "duplicates");
  EXPECT_EQ(report.steps[0].events_removed, 1);
  EXPECT_EQ(report.steps[1].name, "min_weight");
  EXPECT_EQ(report.steps[1].events_removed, 1);  // u3's 0.5
  EXPECT_EQ(report.steps[2].name, "kcore");
  EXPECT_EQ(report.steps[2].items_removed, 2);  // b (one user) and c (none left)
  EXPECT_EQ(report.steps[2].users_removed, 0);  // kcore_users = 0 leaves users alone
  EXPECT_EQ(report.events_before, 6);
  EXPECT_EQ(report.events_after, out.interactions.size());
  EXPECT_EQ(names(out.items), (std::vector<std::string>{"a"}));
  EXPECT_NE(report.summary().find("kcore: removed"), std::string::npos);
}

}  // namespace
}  // namespace segue

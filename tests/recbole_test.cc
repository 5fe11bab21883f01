// Tests for RecBole atomic files: importing hand-made .inter/.item/.user files,
// their error cases, and export followed by import giving the same Dataset.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "data/dataset_builder.h"
#include "data/export_recbole.h"
#include "data/importer.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::expect_input_error;

using testing::TempDir;

Dataset import_path(const std::string& path, const ImportOptions& options = {}) {
  IssueLog issues;
  return import_recbole(path, options, issues);
}

const ContextColumn* context(const Dataset& data, const std::string& name) {
  for (const auto& column : data.interactions.context)
    if (column.name == name) return &column;
  return nullptr;
}

std::vector<std::string> tags_of(const Dataset& data, std::int32_t item) {
  const TokenLists& tags = data.item_attributes.tags;
  std::vector<std::string> out;
  for (std::int64_t k = tags.indptr[item]; k < tags.indptr[item + 1]; ++k)
    out.emplace_back(tags.vocab.name(tags.tokens[k]));
  std::sort(out.begin(), out.end());
  return out;
}

// In the style of RecBole's ml-100k files.
void write_ml_style(const TempDir& dir) {
  dir.write("ml/ml.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\tdevice:token\tvolume:float\n"
            "196\t242\t3\t881250949.0\tphone\t0.5\n"
            "186\t302\t3\t891717742\t\t\n"
            "196\t377\t1\t878887116\tweb\t1e-1\n");
  dir.write("ml/ml.item",
            "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\tpopularity:float\n"
            "242\tKolya\t1996\tComedy\t0.25\n"
            "302\tL.A. Confidential\t1997\tCrime Film-Noir Mystery Thriller\t\n"
            "999\tNever Rated\t2001\tDrama\t1\n");
  dir.write("ml/ml.user",
            "user_id:token\tage:float\tgender:token\toccupation:token\tfavourites:token_seq\n"
            "196\t49\tM\twriter\ta b\n"
            "186\t39\tF\texecutive\t\n");
}

TEST(Recbole, ImportsInterWithItemAndUserFiles) {
  TempDir dir;
  write_ml_style(dir);
  const Dataset data = import_path(dir.file("ml"));
  data.validate();
  EXPECT_EQ(data.n_users(), 2);
  EXPECT_EQ(data.n_items(), 4);  // 999 is in .item only
  ASSERT_EQ(data.interactions.size(), 3);
  const std::int32_t u196 = data.users.find("196");
  const Interactions& x = data.interactions;
  ASSERT_EQ(x.count(u196), 2);
  const std::int64_t first = x.begin(u196);
  EXPECT_EQ(data.items.name(x.items[first]), "242");
  EXPECT_EQ(data.items.name(x.items[first + 1]), "377");
  EXPECT_EQ(x.weights[first + 1], 1.0f);  // rating -> weight
  EXPECT_EQ(x.timestamps[first], 881250949);
  const ContextColumn* device = context(data, "device");
  const ContextColumn* volume = context(data, "volume");
  ASSERT_NE(device, nullptr);
  ASSERT_NE(volume, nullptr);
  EXPECT_TRUE(device->categorical);
  EXPECT_EQ(device->vocab.name(device->codes[first + 1]), "web");
  EXPECT_EQ(device->codes[x.begin(data.users.find("186"))], -1);  // empty = missing
  EXPECT_FALSE(volume->categorical);
  EXPECT_FLOAT_EQ(volume->values[first + 1], 0.1f);
  EXPECT_TRUE(std::isnan(volume->values[x.begin(data.users.find("186"))]));

  const std::int32_t i302 = data.items.find("302");
  // Two token_seq fields: both feed the tags, and each is also kept verbatim.
  EXPECT_EQ(tags_of(data, i302), (std::vector<std::string>{"Confidential", "Crime", "Film-Noir", "L.A.", "Mystery",
                                                            "Thriller"}));
  EXPECT_EQ(data.item_attributes.string_value("class", i302), "Crime Film-Noir Mystery Thriller");
  EXPECT_EQ(data.item_attributes.string_value("release_year", i302), "1997");
  EXPECT_TRUE(std::isnan(data.item_attributes.find_number("popularity")->values[i302]));
  EXPECT_EQ(data.item_attributes.find_number("popularity")->values[data.items.find("999")], 1.0f);
  EXPECT_EQ(data.user_attributes.find_number("age")->values[u196], 49.0f);
  EXPECT_EQ(data.user_attributes.string_value("occupation", u196), "writer");
  EXPECT_EQ(data.user_attributes.string_value("favourites", u196), "a b");  // user token_seq stays a string
}

TEST(Recbole, AcceptsTheInterFilePath) {
  TempDir dir;
  write_ml_style(dir);
  const Dataset data = import_path(dir.file("ml/ml.inter"));
  EXPECT_EQ(data.n_items(), 4);
  EXPECT_EQ(data.user_attributes.string_value("gender", data.users.find("186")), "F");
}

TEST(Recbole, SessionIdStandsForTheUserWithoutUserId) {
  TempDir dir;
  const Dataset data = import_path(dir.write("d.inter", "session_id:token\titem_id:token\ttimestamp:float\n"
                                                        "1\t81766\t1463011200\n1\t31331\t1463011260\n"));
  EXPECT_EQ(data.n_users(), 1);
  ASSERT_EQ(data.interactions.sessions.size(), 2u);
  EXPECT_EQ(data.sessions.name(data.interactions.sessions[0]), "1");
}

TEST(Recbole, BadHeaderTypeAndMissingFieldAreErrors) {
  TempDir dir;
  std::string path = dir.write("a.inter", "user_id:token\titem_id:string\nu\ti\n");
  InputError error = expect_input_error([&] { import_path(path); });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_EQ(error.field(), "item_id:string");
  path = dir.write("a.inter", "user_id:token\trating:float\nu\t1\n");
  error = expect_input_error([&] { import_path(path); });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_EQ(error.field(), "item_id");
}

TEST(Recbole, WrongFieldCountAndBadValuesNameTheLine) {
  TempDir dir;
  std::string path = dir.write("a.inter", "user_id:token\titem_id:token\trating:float\nu\ti\t1\nu\ti2\n");
  InputError error = expect_input_error([&] { import_path(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_NE(error.reason().find("expected 3 fields"), std::string::npos);
  path = dir.write("a.inter", "user_id:token\titem_id:token\trating:float\nu\ti\t1\nu\ti2\t-2\n");
  error = expect_input_error([&] { import_path(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.field(), "rating:float");
  path = dir.write("a.inter", "user_id:token\titem_id:token\tevent:token\nu\ti\tplay\nu\ti2\tmeh\n");
  error = expect_input_error([&] { import_path(path); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_NE(error.reason().find("meh"), std::string::npos);
}

TEST(Recbole, DuplicateItemRowIsAnError) {
  TempDir dir;
  dir.write("a.inter", "user_id:token\titem_id:token\nu\ti\n");
  dir.write("a.item", "item_id:token\tname:token\ni\tx\ni\ty\n");
  const InputError error = expect_input_error([&] { import_path(dir.file("a.inter")); });
  EXPECT_EQ(error.line(), 3u);
  EXPECT_NE(error.file().find("a.item"), std::string::npos);
}

TEST(Recbole, SkipModeLeavesBadLinesOut) {
  TempDir dir;
  const std::string path =
      dir.write("a.inter", "user_id:token\titem_id:token\ttimestamp:float\nu\ti\t1\nu\t\t2\nu\tj\tnan\nv\tk\t3\n");
  IssueLog issues(OnError::kSkip);
  const Dataset data = import_recbole(path, ImportOptions{}, issues);
  EXPECT_EQ(issues.skipped(), 2u);
  EXPECT_EQ(data.interactions.size(), 2);
  EXPECT_FALSE(data.items.contains("j"));
}

// A dataset that uses every part RecBole files can carry, including ids without
// events and items first used out of id order.
Dataset rich_dataset() {
  DatasetBuilder builder;
  const std::int32_t u1 = builder.user("u1");
  const std::int32_t u2 = builder.user("u2");
  const std::int32_t u3 = builder.user("u3 with space");  // no events
  const std::int32_t i1 = builder.item("i1");
  const std::int32_t i2 = builder.item("i2");
  const std::int32_t i3 = builder.item("spotify:track:3");
  const std::int32_t i4 = builder.item("i4");  // no events
  const std::int32_t s1 = builder.session("s1");
  const int hour = builder.context_column("hour", false);
  const int device = builder.context_column("device", true);
  const std::int16_t skip = builder.event_code("skip");
  const std::int16_t like = builder.event_code("like");
  auto add = [&](std::int32_t u, std::int32_t i, float w, std::int64_t t, std::int16_t e, std::int32_t s,
                 std::int32_t p, float h, const char* d) {
    builder.add({u, i, w, t, e, s, p});
    builder.set_context(hour, h);
    builder.set_context(device, d);
  };
  add(u2, i3, 2.5f, 1600000000, 0, s1, 0, 13.0f, "phone");
  add(u1, i1, 1.0f, kNoTime, skip, kNoSession, kNoPosition, std::nanf(""), "");
  add(u1, i2, 0.1f, -5, like, s1, 7, 0.333333f, "web");
  add(u2, i3, 3.0f, 1600000001, 0, kNoSession, 1, 23.0f, "phone");
  builder.set_item_string("name", i1, "Song One (feat. Two)");
  builder.set_item_string("name", i4, "Catalogue only");
  builder.set_item_number("energy", i1, 0.75f);
  builder.set_item_number("energy", i3, -1e-7f);
  builder.add_item_tag(i1, "rock");
  builder.add_item_tag(i1, "indie");
  builder.add_item_tag(i4, "jazz");
  builder.set_user_string("country", u3, "SE");
  builder.set_user_number("age", u1, 31.0f);
  return builder.finish("test");
}

void expect_same_context(const Dataset& a, const Dataset& b) {
  ASSERT_EQ(a.interactions.context.size(), b.interactions.context.size());
  for (const ContextColumn& column : a.interactions.context) {
    const ContextColumn* other = context(b, column.name);
    ASSERT_NE(other, nullptr) << column.name;
    ASSERT_EQ(other->categorical, column.categorical);
    for (std::int64_t e = 0; e < a.interactions.size(); ++e) {
      if (!column.categorical) {
        const float x = column.values[e];
        const float y = other->values[e];
        EXPECT_TRUE((std::isnan(x) && std::isnan(y)) || x == y) << column.name << " event " << e;
      } else {
        const auto name = [](const ContextColumn& c, std::int64_t k) {
          return c.codes[k] < 0 ? std::string("<missing>") : std::string(c.vocab.name(c.codes[k]));
        };
        EXPECT_EQ(name(column, e), name(*other, e)) << column.name << " event " << e;
      }
    }
  }
}

void expect_same_attributes(const Attributes& a, const Attributes& b) {
  ASSERT_EQ(a.strings.size(), b.strings.size());
  for (const StringColumn& column : a.strings) {
    ASSERT_NE(b.find_string(column.name), nullptr) << column.name;
    EXPECT_EQ(b.find_string(column.name)->values, column.values) << column.name;
  }
  ASSERT_EQ(a.numbers.size(), b.numbers.size());
  for (const NumericColumn& column : a.numbers) {
    const NumericColumn* other = b.find_number(column.name);
    ASSERT_NE(other, nullptr) << column.name;
    for (std::size_t r = 0; r < column.values.size(); ++r)
      EXPECT_TRUE((std::isnan(column.values[r]) && std::isnan(other->values[r])) || column.values[r] == other->values[r])
          << column.name << " row " << r;
  }
}

TEST(Recbole, ExportThenImportGivesTheSameDataset) {
  const Dataset original = rich_dataset();
  original.validate();
  TempDir dir;
  export_recbole(original, dir.file("out"), "rich");
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/rich.item")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/rich.user")));
  const Dataset back = import_path(dir.file("out"));
  back.validate();

  EXPECT_TRUE(back.users == original.users);  // same dense ids, not just the same names
  EXPECT_TRUE(back.items == original.items);
  EXPECT_TRUE(back.sessions == original.sessions);
  const Interactions& x = original.interactions;
  const Interactions& y = back.interactions;
  EXPECT_EQ(y.indptr, x.indptr);
  EXPECT_EQ(y.items, x.items);
  EXPECT_EQ(y.weights, x.weights);
  EXPECT_EQ(y.timestamps, x.timestamps);
  EXPECT_EQ(y.sessions, x.sessions);
  EXPECT_EQ(y.positions, x.positions);
  ASSERT_EQ(y.events.size(), x.events.size());
  for (std::int64_t e = 0; e < x.size(); ++e) {
    EXPECT_EQ(back.event_names[y.event(e)], original.event_names[x.event(e)]);
    EXPECT_EQ(back.event_signal[y.event(e)], original.event_signal[x.event(e)]);
  }
  expect_same_context(original, back);
  expect_same_attributes(original.item_attributes, back.item_attributes);
  expect_same_attributes(original.user_attributes, back.user_attributes);
  for (std::int32_t item = 0; item < original.n_items(); ++item)
    EXPECT_EQ(tags_of(back, item), tags_of(original, item)) << item;
}

TEST(Recbole, PlainDatasetWritesOnlyTheInterFile) {
  DatasetBuilder builder;
  builder.add({builder.user("a"), builder.item("x")});
  builder.add({builder.user("b"), builder.item("y")});
  const Dataset data = builder.finish("test");
  TempDir dir;
  dir.write("plain.item", "stale\n");  // from an earlier export: must not survive
  export_recbole(data, dir.path().string(), "plain");
  EXPECT_EQ(testing::read_file(dir.file("plain.inter")), "user_id:token\titem_id:token\na\tx\nb\ty\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("plain.item")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("plain.user")));
}

TEST(Recbole, ExportRejectsTabsAndLeavesNoFile) {
  DatasetBuilder builder;
  const std::int32_t item = builder.item("x");
  builder.add({builder.user("a"), item});
  builder.set_item_string("name", item, "two\tparts");
  const Dataset data = builder.finish("test");
  TempDir dir;
  try {
    export_recbole(data, dir.path().string(), "bad");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("name"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.item")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.item.tmp")));
}

TEST(Recbole, ExportRejectsContextNamedLikeARecboleField) {
  DatasetBuilder builder;
  builder.add({builder.user("a"), builder.item("x")});
  builder.set_context(builder.context_column("timestamp", false), 5.0f);
  const Dataset data = builder.finish("test");
  TempDir dir;
  EXPECT_THROW(export_recbole(data, dir.path().string(), "clash"), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(dir.file("clash.inter")));
}

TEST(Recbole, RatingBesideWeightRoundTripsAsContext) {
  TempDir dir;
  const Dataset first = import_path(dir.write("in/r.inter", "user_id:token\titem_id:token\tweight:float\trating:float\n"
                                                            "u\ti\t2\t4.5\n"));
  ASSERT_NE(context(first, "rating"), nullptr);
  export_recbole(first, dir.file("out"), "r");
  const Dataset back = import_path(dir.file("out/r.inter"));
  EXPECT_EQ(back.interactions.weights, (std::vector<float>{2.0f}));
  ASSERT_NE(context(back, "rating"), nullptr);
  EXPECT_EQ(context(back, "rating")->values, (std::vector<float>{4.5f}));
}

TEST(Recbole, ExportTurnsSpacesInTagsIntoUnderscores) {
  DatasetBuilder builder;
  const std::int32_t item = builder.item("x");
  builder.add({builder.user("a"), item});
  builder.add_item_tag(item, "hip hop");
  const Dataset data = builder.finish("test");
  TempDir dir;
  export_recbole(data, dir.path().string(), "t");
  EXPECT_EQ(testing::read_file(dir.file("t.item")), "item_id:token\ttags:token_seq\nx\thip_hop\n");
  EXPECT_EQ(tags_of(import_path(dir.file("t.inter")), 0), (std::vector<std::string>{"hip_hop"}));
}

}  // namespace
}  // namespace segue

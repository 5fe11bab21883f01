#include <gtest/gtest.h>

#include <limits>

#include "data/dataset_builder.h"
#include "data/importer.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

ImportOptions all_columns() {
  ImportOptions options;
  options.columns.user = "user";
  options.columns.item = "track";
  options.columns.time = "ts";
  options.columns.weight = "plays";
  options.columns.event = "event";
  options.columns.session = "session";
  options.columns.context = {"device", "hour:num"};
  return options;
}

const char* kLog =
    "user,track,ts,plays,event,session,device,hour\r\n"
    "alice,t1,2020-01-01T10:00:00Z,3,play,s1,phone,10\r\n"
    "bob,t2,1577880000,1,skip,s2,desktop,\r\n"
    "alice,\"t,3\",2020-01-02,1,like,s1,phone,23\r\n";

TEST(ImportCsv, MapsEveryColumnAndGroupsEventsByUser) {
  TempDir dir;
  IssueLog issues;
  const Dataset d = import_csv(dir.write("log.csv", kLog), all_columns(), issues);
  ASSERT_EQ(d.n_users(), 2);
  ASSERT_EQ(d.n_items(), 3);
  EXPECT_EQ(d.users.name(0), "alice");
  const Interactions& x = d.interactions;
  ASSERT_EQ(x.count(0), 2);  // alice's two events, in file order
  EXPECT_EQ(d.items.name(x.items[0]), "t1");
  EXPECT_EQ(d.items.name(x.items[1]), "t,3");
  EXPECT_FLOAT_EQ(x.weight(0), 3.0f);
  EXPECT_EQ(x.timestamps[0], 1577872800);
  EXPECT_EQ(x.timestamps[1], 1577923200);
  EXPECT_EQ(d.event_names[x.events[1]], "like");
  EXPECT_EQ(d.event_names[x.events[2]], "skip");
  EXPECT_LT(d.event_signal[x.events[2]], 0.0f);
  EXPECT_EQ(d.sessions.name(x.sessions[0]), "s1");
  ASSERT_EQ(x.context.size(), 2u);
  EXPECT_EQ(x.context[0].vocab.name(x.context[0].codes[2]), "desktop");
  EXPECT_FLOAT_EQ(x.context[1].values[1], 23.0f);
  EXPECT_TRUE(std::isnan(x.context[1].values[2]));  // empty hour = missing
  d.validate();
}

TEST(ImportCsv, UnknownEventNamesTheLineAndTheFix) {
  TempDir dir;
  IssueLog issues;
  const std::string path = dir.write("log.csv", "user,track,event\nu,i,play\nu,j,bookmark\n");
  ImportOptions options;
  options.columns.user = "user";
  options.columns.item = "track";
  options.columns.event = "event";
  try {
    import_csv(path, options, issues);
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.line(), 3u);
    EXPECT_EQ(error.field(), "event");
    EXPECT_NE(error.reason().find("--signal bookmark="), std::string::npos);
  }
  options.signal = SignalTable::parse("bookmark=3");
  const Dataset d = import_csv(path, options, issues);
  EXPECT_EQ(d.interactions.size(), 2);
}

TEST(ImportCsv, BadLinesFailByDefaultAndAreCountedWhenSkipped) {
  TempDir dir;
  const std::string path = dir.write("log.csv",
                                     "user_id,item_id,w\n"
                                     "u1,i1,1\n"
                                     "u2,,1\n"        // empty id
                                     "u3,i3,NaN\n"    // NaN weight
                                     "u4,i4,-1\n"     // negative
                                     "u5,i5\n"        // missing field
                                     "u6,i6,2\n");
  ImportOptions options;
  options.columns.weight = "w";
  IssueLog fail;
  try {
    import_csv(path, options, fail);
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.line(), 3u);
    EXPECT_EQ(error.field(), "item_id");
  }
  IssueLog skip(OnError::kSkip);
  const Dataset d = import_csv(path, options, skip);
  EXPECT_EQ(skip.skipped(), 4u);
  EXPECT_EQ(d.interactions.size(), 2);
  EXPECT_EQ(d.n_users(), 2);  // skipped lines leave no orphan ids behind
  EXPECT_NE(skip.summary().find("log.csv:4"), std::string::npos);
}

TEST(ImportCsv, NumericContextBeyondFloatRangeNamesTheCell) {
  TempDir dir;
  // 1e39 parses as a finite double but is infinity as a float; NaN = missing is the only non-finite value kept.
  for (const char* value : {"1e39", "-1e39", "inf"}) {
    IssueLog issues;
    const std::string path = dir.write("ctx.csv", std::string("user,track,ts,plays,event,session,device,hour\n"
                                                              "alice,t1,1577880000,1,play,s1,phone,10\n"
                                                              "bob,t2,1577880000,1,play,s2,phone,") +
                                                      value + "\n");
    const InputError e = testing::expect_input_error([&] { import_csv(path, all_columns(), issues); });
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 3u) << value;
    EXPECT_EQ(e.field(), "hour") << value;
  }
  // The largest float is kept as it is.
  IssueLog issues;
  const Dataset d = import_csv(dir.write("max.csv", "user,track,ts,plays,event,session,device,hour\n"
                                                   "alice,t1,1577880000,1,play,s1,phone,3.4e38\n"),
                               all_columns(), issues);
  EXPECT_FLOAT_EQ(d.interactions.context[1].values[0], 3.4e38f);
  // The builder and the dataset refuse an infinite context value from any other path.
  DatasetBuilder builder;
  const int hour = builder.context_column("hour", /*categorical=*/false);
  builder.add({.user = builder.user("u"), .item = builder.item("i")});
  EXPECT_THROW(builder.set_context(hour, std::numeric_limits<float>::infinity()), std::invalid_argument);
  Dataset bad = d;
  bad.interactions.context[1].values[0] = -std::numeric_limits<float>::infinity();
  EXPECT_THROW(bad.validate(), std::invalid_argument);
}

TEST(ImportCsv, MissingColumnNamesTheOption) {
  TempDir dir;
  IssueLog issues;
  ImportOptions options;
  options.columns.time = "when";
  try {
    import_csv(dir.write("a.csv", "user_id,item_id\nu,i\n"), options, issues);
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("--time-col"), std::string::npos);
  }
}

TEST(ImportCsv, HeaderOnlyFileIsAnError) {
  TempDir dir;
  IssueLog issues;
  EXPECT_THROW(import_csv(dir.write("a.csv", "user_id,item_id\n"), ImportOptions{}, issues), InputError);
}

TEST(ImportCsv, BadTimestampIsAnError) {
  TempDir dir;
  IssueLog issues;
  ImportOptions options;
  options.columns.time = "t";
  EXPECT_THROW(import_csv(dir.write("a.csv", "user_id,item_id,t\nu,i,2020-13-01\n"), options, issues), InputError);
}

// Millisecond timestamps used to be taken as seconds: the year ~52,000, hour-of-day and temporal splits silently
// wrong. They are refused, naming the cell and the likely cause; seconds of the same moment import.
TEST(ImportCsv, MillisecondTimestampsAreRefusedNamingTheUnit) {
  TempDir dir;
  ImportOptions options;
  options.columns.time = "t";
  IssueLog issues;
  const std::string path = dir.write("ms.csv", "user_id,item_id,t\nu,i,1600000000\nu,j,1600000000123\n");
  const InputError e = segue::testing::expect_input_error([&] { import_csv(path, options, issues); });
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.field(), "t");
  EXPECT_NE(std::string(e.what()).find("milliseconds"), std::string::npos) << e.what();
  IssueLog ok;
  const Dataset data = import_csv(dir.write("s.csv", "user_id,item_id,t\nu,i,1600000000\nu,j,-86400\n"), options, ok);
  EXPECT_EQ(data.interactions.size(), 2);
}

}  // namespace
}  // namespace segue

namespace segue {
namespace {

// Lines of one user in a row take a shortcut (no hash lookup); it must give the
// same ids across batch boundaries and around skipped lines.
TEST(ImportCsv, RunsOfOneUserAcrossBatchesAndSkippedLinesKeepTheirIds) {
  testing::TempDir dir;
  std::string csv = "user_id,item_id\n";
  for (int line = 0; line < 300; ++line) {
    const int user = (line / 7) % 5;  // runs of 7, users repeat later
    csv += "u" + std::to_string(user) + "," + (line == 150 ? "" : "i" + std::to_string(line % 11)) + "\n";
  }
  IssueLog issues(OnError::kSkip);
  const Dataset d = import_csv(dir.write("runs.csv", csv), ImportOptions{}, issues);
  EXPECT_EQ(issues.skipped(), 1u);
  ASSERT_EQ(d.n_users(), 5);
  std::vector<std::int64_t> expected(5, 0);
  for (int line = 0; line < 300; ++line)
    if (line != 150) ++expected[(line / 7) % 5];
  for (int u = 0; u < 5; ++u) {
    const std::int32_t id = d.users.find("u" + std::to_string(u));
    ASSERT_GE(id, 0);
    EXPECT_EQ(d.interactions.count(id), expected[u]) << "u" << u;
  }
}

}  // namespace
}  // namespace segue

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "data/importer.h"
#include "data/store.h"
#include "serve/event_store.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::expect_input_error;
using testing::TempDir;

ReceivedEvent event(std::string user, std::string item, std::string name, float weight = 1.0f,
                    std::int64_t timestamp = 0, std::string session = "", std::string context = "") {
  ReceivedEvent e;
  e.user = std::move(user);
  e.item = std::move(item);
  e.event = std::move(name);
  e.weight = weight;
  e.timestamp = timestamp;
  e.session = std::move(session);
  e.context_json = std::move(context);
  return e;
}

std::string write_store(const TempDir& dir, const std::vector<ReceivedEvent>& events) {
  const std::string path = dir.file("events.sqlite");
  EventStore store(path);
  store.append(events);
  return path;
}

TEST(ImportEvents, BuildsTheDatasetInCommitOrder) {
  TempDir dir;
  const std::string path = write_store(
      dir, {event("bob", "t2", "play", 3.0f, 1700000000, "s1", R"({"device":"phone","hour":8})"),
            event("alice", "t1", "like", 1.0f, 1700000100),
            event("bob", "t1", "skip", 1.0f, 0, "s1", R"({"device":"car"})"),
            event("alice", "t3", "play", 0.5f, 1700000200, "", R"({"hour":22,"premium":true})")});
  IssueLog issues;
  const Dataset d = import_dataset("events", path, ImportOptions{}, issues);
  d.validate();
  ASSERT_EQ(d.n_users(), 2);
  ASSERT_EQ(d.n_items(), 3);
  const Interactions& x = d.interactions;
  const std::int32_t bob = d.users.find("bob"), alice = d.users.find("alice");
  ASSERT_GE(bob, 0);
  ASSERT_GE(alice, 0);
  ASSERT_EQ(x.count(bob), 2);
  ASSERT_EQ(x.count(alice), 2);
  // Each listener's events in commit order.
  const std::int64_t b = x.indptr[bob], a = x.indptr[alice];
  EXPECT_EQ(d.items.name(x.items[b]), "t2");
  EXPECT_EQ(d.items.name(x.items[b + 1]), "t1");
  EXPECT_EQ(d.items.name(x.items[a]), "t1");
  EXPECT_EQ(d.items.name(x.items[a + 1]), "t3");
  EXPECT_FLOAT_EQ(x.weight(b), 3.0f);
  EXPECT_FLOAT_EQ(x.weight(a + 1), 0.5f);
  EXPECT_EQ(d.event_names[x.events[b + 1]], "skip");
  EXPECT_LT(d.event_signal[x.events[b + 1]], 0.0f);
  EXPECT_EQ(d.event_names[x.events[a]], "like");
  EXPECT_EQ(x.timestamps[b], 1700000000);
  EXPECT_EQ(x.timestamps[b + 1], kNoTime);  // 0 = no time
  EXPECT_EQ(d.sessions.name(x.sessions[b]), "s1");
  EXPECT_EQ(x.sessions[b + 1], x.sessions[b]);
  EXPECT_EQ(x.sessions[a], kNoSession);
  // Context keys become context columns: text -> categorical, numbers -> numeric.
  const ContextColumn* device = nullptr;
  const ContextColumn* hour = nullptr;
  for (const auto& column : x.context) {
    if (column.name == "device") device = &column;
    if (column.name == "hour") hour = &column;
  }
  ASSERT_NE(device, nullptr);
  ASSERT_NE(hour, nullptr);
  EXPECT_TRUE(device->categorical);
  EXPECT_FALSE(hour->categorical);
  EXPECT_EQ(device->vocab.name(device->codes[b + 1]), "car");
  EXPECT_EQ(device->codes[a], -1);
  EXPECT_FLOAT_EQ(hour->values[a + 1], 22.0f);
  EXPECT_TRUE(std::isnan(hour->values[b + 1]));
}

TEST(ImportEvents, UnknownEventNamesTheRowAndTheFix) {
  TempDir dir;
  const std::string path =
      write_store(dir, {event("u", "i", "play"), event("u", "j", "bookmark"), event("v", "i", "play")});
  IssueLog fail;
  const InputError error = expect_input_error([&] { import_events(path, ImportOptions{}, fail); });
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.field(), "event");
  EXPECT_NE(error.reason().find("sequence 2"), std::string::npos) << error.what();
  EXPECT_NE(error.reason().find("--signal bookmark="), std::string::npos) << error.what();

  IssueLog skip(OnError::kSkip);  // the bad row is counted and leaves no orphan item behind
  const Dataset skipped = import_events(path, ImportOptions{}, skip);
  EXPECT_EQ(skip.skipped(), 1u);
  EXPECT_EQ(skipped.interactions.size(), 2);
  EXPECT_EQ(skipped.items.find("j"), -1);

  ImportOptions declared;
  declared.signal = SignalTable::parse("bookmark=3");
  IssueLog issues;
  EXPECT_EQ(import_events(path, declared, issues).interactions.size(), 3);
}

TEST(ImportEvents, BadContextNamesTheRow) {
  TempDir dir;
  const std::string path = write_store(
      dir, {event("u", "i", "play", 1, 0, "", R"({"hour":3})"), event("u", "j", "play", 1, 0, "", R"({"hour":"late"})")});
  IssueLog issues;
  const InputError error = expect_input_error([&] { import_events(path, ImportOptions{}, issues); });
  EXPECT_EQ(error.field(), "context");
  EXPECT_NE(error.reason().find("sequence 2"), std::string::npos) << error.what();
  // A number beyond float range would be stored as infinity.
  TempDir other;
  const std::string huge = write_store(
      other, {event("u", "i", "play", 1, 0, "", R"({"hour":3})"), event("u", "j", "play", 1, 0, "", R"({"hour":1e39})")});
  const InputError range = expect_input_error([&] { import_events(huge, ImportOptions{}, issues); });
  EXPECT_EQ(range.field(), "context");
  EXPECT_NE(range.reason().find("out of float range"), std::string::npos) << range.what();
}

TEST(ImportEvents, MissingOrForeignFileIsAnInputErrorAndCreatesNothing) {
  TempDir dir;
  const std::string missing = dir.file("nope.sqlite");
  IssueLog issues;
  EXPECT_EQ(expect_input_error([&] { import_events(missing, ImportOptions{}, issues); }).file(), missing);
  EXPECT_FALSE(std::filesystem::exists(missing));
  const std::string text = dir.write("log.csv", "user,item\nu,i\n");
  EXPECT_EQ(expect_input_error([&] { import_events(text, ImportOptions{}, issues); }).file(), text);
  const std::string empty = dir.file("empty.sqlite");
  { EventStore store(empty); }
  const InputError none = expect_input_error([&] { import_events(empty, ImportOptions{}, issues); });
  EXPECT_NE(none.reason().find("no events"), std::string::npos) << none.what();
}

TEST(ImportEvents, CommandLineImportWritesAStore) {
  TempDir dir;
  const std::string path = write_store(dir, {event("u", "i", "play"), event("v", "i", "like"), event("v", "j", "skip")});
  const std::string out = dir.file("store");
  const std::string command =
      std::string(SEGUE_BINARY) + " import --format events --input " + path + " --out " + out + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const Dataset d = load_dataset(out);
  EXPECT_EQ(d.n_users(), 2);
  EXPECT_EQ(d.n_items(), 2);
  EXPECT_EQ(d.interactions.size(), 3);
}

}  // namespace
}  // namespace segue

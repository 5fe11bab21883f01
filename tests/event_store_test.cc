#include "serve/event_store.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "test_util.h"

namespace segue {
namespace {

using testing::expect_input_error;
using testing::TempDir;

// An event whose every field is derived from `k`, so a stored row can be
// checked for completeness from its sequence number alone.
ReceivedEvent numbered_event(std::int64_t k) {
  ReceivedEvent e;
  e.user = "user" + std::to_string(k % 7);
  e.item = "item" + std::to_string(k);
  e.event = k % 3 == 0 ? "skip" : "play";
  e.weight = static_cast<float>(k % 11) + 0.5f;
  e.timestamp = 1700000000 + k;
  e.session = k % 2 == 0 ? "s" + std::to_string(k / 10) : "";
  e.context_json = k % 5 == 0 ? "{\"device\":\"phone\",\"hour\":" + std::to_string(k % 24) + "}" : "";
  return e;
}

void expect_same_event(const ReceivedEvent& got, const ReceivedEvent& want) {
  EXPECT_EQ(got.user, want.user);
  EXPECT_EQ(got.item, want.item);
  EXPECT_EQ(got.event, want.event);
  EXPECT_FLOAT_EQ(got.weight, want.weight);
  EXPECT_EQ(got.timestamp, want.timestamp);
  EXPECT_EQ(got.session, want.session);
  EXPECT_EQ(got.context_json, want.context_json);
}

std::vector<ReceivedEvent> all_events(const EventStore& store) {
  std::vector<ReceivedEvent> out;
  store.for_each([&out](const ReceivedEvent& e) { out.push_back(e); });
  return out;
}

// Executes SQL on a database file through a connection of its own.
void run_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

bool running_as_root() { return geteuid() == 0; }

TEST(EventStore, RoundTripKeepsEveryField) {
  TempDir dir;
  EventStore store(dir.file("events.sqlite"));
  ReceivedEvent e;
  e.user = "alice";
  e.item = "t\xC3\xA9l\xC3\xA9phone, \"quoted\"";
  e.event = "like";
  e.weight = 2.25f;
  e.timestamp = -5;  // before 1970: stored as given
  e.session = "s1";
  e.context_json = R"({"device":"phone","hour":23})";
  EXPECT_EQ(store.append(std::span(&e, 1)), 1);
  const auto events = all_events(store);
  ASSERT_EQ(events.size(), 1u);
  expect_same_event(events[0], e);
  EXPECT_EQ(events[0].sequence, 1);
  EXPECT_EQ(store.append({}), 0);  // nothing to store
  const EventStoreStats stats = store.stats();
  EXPECT_EQ(stats.events, 1);
  EXPECT_EQ(stats.appended, 1);
  EXPECT_EQ(stats.transactions, 1);
  EXPECT_EQ(stats.uncommitted, 0);
}

TEST(EventStore, SequencesFollowCommitOrder) {
  TempDir dir;
  EventStore store(dir.file("events.sqlite"));
  std::vector<ReceivedEvent> batch;
  for (int k = 1; k <= 10; ++k) batch.push_back(numbered_event(k));
  EXPECT_EQ(store.append(std::span(batch).subspan(0, 3)), 1);
  EXPECT_EQ(store.append(std::span(batch).subspan(3, 1)), 4);
  EXPECT_EQ(store.append(std::span(batch).subspan(4)), 5);
  const auto events = all_events(store);
  ASSERT_EQ(events.size(), 10u);
  for (int k = 1; k <= 10; ++k) {
    EXPECT_EQ(events[k - 1].sequence, k);
    expect_same_event(events[k - 1], numbered_event(k));
  }
}

TEST(EventStore, RefusesBadEventsBeforeStoringAnything) {
  TempDir dir;
  EventStore store(dir.file("events.sqlite"));
  std::vector<ReceivedEvent> batch = {numbered_event(1), numbered_event(2)};
  batch[1].weight = std::nanf("");
  const InputError nan = expect_input_error([&] { store.append(batch); });
  EXPECT_EQ(nan.file(), "events[1]");
  EXPECT_EQ(nan.field(), "weight");
  batch[1] = numbered_event(2);
  batch[0].user.clear();
  EXPECT_EQ(expect_input_error([&] { store.append(batch); }).field(), "user");
  EXPECT_EQ(store.stats().events, 0);
}

TEST(EventStore, ConcurrentAppendsAreGroupCommittedInContiguousBlocks) {
  TempDir dir;
  const std::string path = dir.file("events.sqlite");
  EventStore store(path);
  // Another connection holds the write lock at first, so the first calls queue
  // up behind the writer (which waits on busy_timeout) and must share commits.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  constexpr int kThreads = 16, kCalls = 30;
  struct Call {
    std::int64_t first = 0;
    int size = 0;
  };
  std::vector<std::vector<Call>> calls(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        std::vector<ReceivedEvent> batch(1 + (t + c) % 4);
        for (std::size_t j = 0; j < batch.size(); ++j) {
          batch[j].user = "thread" + std::to_string(t);
          batch[j].item = "call" + std::to_string(c) + "." + std::to_string(j);
        }
        calls[t].push_back({store.append(batch), static_cast<int>(batch.size())});
      }
    });
  }
  while (store.stats().uncommitted < kThreads) std::this_thread::yield();  // every thread is waiting
  ASSERT_EQ(sqlite3_exec(blocker, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(blocker);
  for (auto& thread : threads) thread.join();

  const auto events = all_events(store);
  std::int64_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < kCalls; ++c) {
      const Call& call = calls[t][c];
      total += call.size;
      ASSERT_GE(call.first, 1);
      ASSERT_LE(call.first + call.size - 1, static_cast<std::int64_t>(events.size()));
      for (int j = 0; j < call.size; ++j) {  // the call's events, in order, with nothing in between
        const ReceivedEvent& e = events[call.first - 1 + j];
        EXPECT_EQ(e.user, "thread" + std::to_string(t));
        EXPECT_EQ(e.item, "call" + std::to_string(c) + "." + std::to_string(j));
      }
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(events.size()), total);
  for (std::size_t i = 0; i < events.size(); ++i) ASSERT_EQ(events[i].sequence, static_cast<std::int64_t>(i + 1));
  const EventStoreStats stats = store.stats();
  EXPECT_EQ(stats.appended, total);
  EXPECT_LT(stats.transactions, kThreads * kCalls);  // group commit
}

TEST(EventStore, UserEventsAreNewestFirstAndLimited) {
  TempDir dir;
  EventStore store(dir.file("events.sqlite"));
  std::vector<ReceivedEvent> batch;
  for (int k = 1; k <= 30; ++k) batch.push_back(numbered_event(k));  // user3: k = 3, 10, 17, 24
  store.append(batch);
  const auto three = store.user_events("user3", 3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0].sequence, 24);
  EXPECT_EQ(three[1].sequence, 17);
  EXPECT_EQ(three[2].sequence, 10);
  expect_same_event(three[0], numbered_event(24));
  EXPECT_EQ(store.user_events("user3", -1).size(), 4u);
  EXPECT_TRUE(store.user_events("user3", 0).empty());
  EXPECT_TRUE(store.user_events("nobody", 10).empty());
}

TEST(EventStore, ReopenKeepsEverythingAndContinuesTheSequence) {
  TempDir dir;
  const std::string path = dir.file("events.sqlite");
  {
    EventStore store(path, Durability::kNormal);
    std::vector<ReceivedEvent> batch = {numbered_event(1), numbered_event(2)};
    store.append(batch);
  }
  EventStore store(path);
  EXPECT_EQ(store.stats().events, 2);
  EXPECT_EQ(store.stats().appended, 0);
  const ReceivedEvent third = numbered_event(3);
  EXPECT_EQ(store.append(std::span(&third, 1)), 3);
  const auto events = all_events(store);
  ASSERT_EQ(events.size(), 3u);
  for (int k = 1; k <= 3; ++k) expect_same_event(events[k - 1], numbered_event(k));
}

TEST(EventStore, DestructorWaitsForQueuedAppends) {
  TempDir dir;
  const std::string path = dir.file("events.sqlite");
  auto store = std::make_unique<EventStore>(path);
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  constexpr int kThreads = 6;
  std::atomic<int> stored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const ReceivedEvent e = numbered_event(t + 1);
      if (store->append(std::span(&e, 1)) > 0) ++stored;
    });
  }
  while (store->stats().uncommitted < kThreads) std::this_thread::yield();
  std::thread release([blocker] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sqlite3_exec(blocker, "COMMIT", nullptr, nullptr, nullptr);
  });
  store.reset();  // blocks until every queued call is committed and has returned
  release.join();
  sqlite3_close(blocker);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(stored.load(), kThreads);
  EXPECT_EQ(EventStore(path).stats().events, kThreads);
}

TEST(EventStore, RefusesForeignAndCorruptFiles) {
  TempDir dir;
  const std::string foreign = dir.file("foreign.sqlite");
  run_sql(foreign, "CREATE TABLE playlists (id INTEGER, name TEXT)");
  const InputError a = expect_input_error([&] { EventStore store(foreign); });
  EXPECT_EQ(a.file(), foreign);
  EXPECT_NE(a.reason().find("not a segue event store"), std::string::npos) << a.what();

  const std::string newer = dir.file("newer.sqlite");
  { EventStore store(newer); }
  run_sql(newer, "PRAGMA user_version = 99");
  const InputError b = expect_input_error([&] { EventStore store(newer); });
  EXPECT_EQ(b.file(), newer);
  EXPECT_NE(b.reason().find("version 99"), std::string::npos) << b.what();

  const std::string text = dir.write("notes.sqlite", std::string(8192, 'x'));
  const InputError c = expect_input_error([&] { EventStore store(text); });
  EXPECT_EQ(c.file(), text);
  EXPECT_NE(c.reason().find("not a database"), std::string::npos) << c.what();
}

TEST(EventStore, FailedCommitStoresNothingAndTheStoreStaysUsable) {
  TempDir dir;
  const std::string path = dir.file("events.sqlite");
  EventStoreOptions options;
  options.max_bytes = 64 * 1024;  // a full disk, in miniature
  EventStore store(path, options);
  std::vector<ReceivedEvent> small = {numbered_event(1)};
  EXPECT_EQ(store.append(small), 1);
  std::vector<ReceivedEvent> big(2000, numbered_event(2));
  for (auto& e : big) e.context_json = "{\"note\":\"" + std::string(200, 'n') + "\"}";
  const InputError full = expect_input_error([&] { store.append(big); });
  EXPECT_EQ(full.file(), path);
  EXPECT_NE(full.reason().find("full"), std::string::npos) << full.what();
  EXPECT_EQ(store.stats().events, 1);  // none of the failed call
  small[0] = numbered_event(3);
  EXPECT_EQ(store.append(small), 2);
  const auto events = all_events(store);
  ASSERT_EQ(events.size(), 2u);
  expect_same_event(events[1], numbered_event(3));
}

TEST(EventStore, ReadOnlyFileOrDirectoryIsAClearError) {
  if (running_as_root()) GTEST_SKIP() << "root ignores file permissions";
  TempDir dir;
  const std::string file = dir.file("events.sqlite");
  { EventStore store(file); }
  chmod(file.c_str(), 0444);
  const InputError a = expect_input_error([&] { EventStore store(file); });
  EXPECT_EQ(a.file(), file);
  EXPECT_NE(a.reason().find("read-only"), std::string::npos) << a.what();
  chmod(file.c_str(), 0644);

  const std::filesystem::path locked = dir.path() / "locked";
  std::filesystem::create_directories(locked);
  chmod(locked.c_str(), 0555);
  const std::string inside = (locked / "events.sqlite").string();
  const InputError b = expect_input_error([&] { EventStore store(inside); });
  EXPECT_EQ(b.file(), inside);
  chmod(locked.c_str(), 0755);
}

// kill -9 in the middle of a stream of appends: every acknowledged event is
// in the store afterwards, and every stored row is whole.
TEST(EventStore, AcknowledgedEventsSurviveKill9) {
  std::random_device seed;
  std::mt19937 random(seed());
  for (int round = 0; round < 4; ++round) {
    const Durability durability = round == 3 ? Durability::kNormal : Durability::kFull;
    const int kill_after_ms = std::uniform_int_distribution<int>(1, 120)(random);
    SCOPED_TRACE("round " + std::to_string(round) + ", kill " + std::to_string(kill_after_ms) + " ms after the first ack");
    TempDir dir;
    const std::string path = dir.file("events.sqlite");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      try {
        EventStore store(path, durability);
        for (std::int64_t k = 1;; ++k) {
          const ReceivedEvent e = numbered_event(k);
          if (store.append(std::span(&e, 1)) != k) _exit(2);
          if (write(fds[1], &k, sizeof k) != sizeof k) _exit(3);  // the acknowledgement
        }
      } catch (...) {
        _exit(4);
      }
    }
    close(fds[1]);
    std::int64_t acknowledged = 0;
    std::string pending;
    auto read_acks = [&](int timeout_ms) {  // false at end of stream
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return true;
      char buffer[4096];
      const ssize_t n = read(fds[0], buffer, sizeof buffer);
      if (n <= 0) return false;
      pending.append(buffer, static_cast<std::size_t>(n));
      while (pending.size() >= sizeof(std::int64_t)) {
        std::memcpy(&acknowledged, pending.data(), sizeof acknowledged);
        pending.erase(0, sizeof acknowledged);
      }
      return true;
    };
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (acknowledged == 0 && std::chrono::steady_clock::now() < give_up && read_acks(100)) {
    }
    ASSERT_GT(acknowledged, 0) << "the child never acknowledged an append";
    const auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms);
    while (std::chrono::steady_clock::now() < kill_at && read_acks(1)) {
    }
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    while (read_acks(1000)) {  // acknowledgements written before the kill are still in the pipe
    }
    close(fds[0]);

    EventStore store(path);
    const auto events = all_events(store);
    const auto stored = static_cast<std::int64_t>(events.size());
    EXPECT_GE(stored, acknowledged);
    EXPECT_LE(stored, acknowledged + 1);  // at most the one append in flight
    for (std::int64_t k = 1; k <= stored; ++k) {
      ASSERT_EQ(events[k - 1].sequence, k);
      expect_same_event(events[k - 1], numbered_event(k));
    }
  }
}

}  // namespace
}  // namespace segue

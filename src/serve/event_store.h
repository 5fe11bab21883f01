// EventStore: the service's durable log of received feedback (plays, skips,
// likes, ...) in SQLite (WAL). One writer thread batches the appends of all
// callers into transactions (group commit); append() returns only once its
// events are committed, so an event acknowledged to a client survives a
// kill -9 of the process a microsecond later (synchronous=FULL, the default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace segue {

// One received event, as the client sent it (ids are the data's own strings).
struct ReceivedEvent {
  std::string user;
  std::string item;
  std::string event = "play";      // a name of the store's event vocabulary
  float weight = 1.0f;
  std::int64_t timestamp = 0;      // unix seconds (the server fills "now" when absent)
  std::string session;             // "" = none
  std::string context_json;        // "" = none; else a JSON object as text
  std::int64_t sequence = 0;       // set by the store: 1, 2, ... in commit order
};

enum class Durability {
  kFull,    // synchronous=FULL: committed events survive power loss
  kNormal,  // synchronous=NORMAL: survive a crash of the process, not of the OS
};

struct EventStoreOptions {
  Durability durability = Durability::kFull;
  // How long a write waits for a lock held by another connection (another
  // process on the same file, a backup) before failing with "database is locked".
  int busy_timeout_ms = 5000;
  // Group commit takes at most this many queued events into one transaction,
  // bounding how long one commit keeps later callers waiting (a single larger
  // call still commits whole: a call is never split).
  std::size_t max_batch_events = 4096;
  // 0 = unbounded; else the database refuses to grow past about this many bytes
  // and appends fail as on a full disk (a quota; also how the tests fill a disk).
  std::int64_t max_bytes = 0;
};

struct EventStoreStats {
  std::int64_t events = 0;        // rows in the store
  std::int64_t transactions = 0;  // commits since open
  std::int64_t appended = 0;      // events appended since open
  std::int64_t uncommitted = 0;   // events of append() calls now waiting for their commit
};

class EventStore {
 public:
  // Opens or creates the database at `path` (InputError naming the file when it
  // cannot be opened, is not an SQLite file or has a foreign schema).
  EventStore(const std::string& path, Durability durability = Durability::kFull);
  EventStore(const std::string& path, const EventStoreOptions& options);
  ~EventStore();  // drains pending appends, then closes
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Stores `events` durably and returns their sequence numbers' first value
  // (the call's events get first, first+1, ... with no other call's in between;
  // an empty span returns 0 and stores nothing).
  // Blocks until committed. Thread-safe; concurrent callers share transactions.
  // Throws InputError naming the file on a write failure (disk full, read-only):
  // then nothing of this call was stored. An event without user, item or event
  // name, or with a non-finite weight, is refused (InputError naming it) before
  // anything is queued.
  std::int64_t append(std::span<const ReceivedEvent> events);

  // Every stored event in commit order (for start-up replay and import).
  void for_each(const std::function<void(const ReceivedEvent&)>& visit) const;
  // One user's events, newest first, at most `limit` (negative = all).
  std::vector<ReceivedEvent> user_events(const std::string& user, std::int64_t limit) const;

  EventStoreStats stats() const;
  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Every event of the store at `path` in commit order, without opening it for
// writing or creating it (segue import --format events). InputError naming the
// file when it is missing, not an SQLite database or not an event store.
void read_event_store(const std::string& path, const std::function<void(const ReceivedEvent&)>& visit);

}  // namespace segue

// The event store's writer thread (group commit) and its pool of reader
// connections. Layout and schema checks: serve/event_schema.cc.
#include "serve/event_store.h"

#include <sqlite3.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "data/error.h"
#include "serve/event_schema.h"
#include "serve/sqlite_connection.h"

namespace segue {
namespace {

// One caller's append, waiting in the queue. The caller blocks until `done`,
// so `events` stays valid while the writer thread reads it.
struct AppendRequest {
  std::span<const ReceivedEvent> events;
  std::int64_t first = 0;
  std::exception_ptr error;
  bool done = false;
};

// Refuses what the table cannot hold faithfully (NaN would become NULL), so
// that one caller's bad event never fails the transaction it would share.
void validate(std::span<const ReceivedEvent> events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const ReceivedEvent& e = events[i];
    const std::string where = "events[" + std::to_string(i) + "]";
    if (e.user.empty()) throw InputError(where, 0, "user", "must not be empty");
    if (e.item.empty()) throw InputError(where, 0, "item", "must not be empty");
    if (e.event.empty()) throw InputError(where, 0, "event", "must not be empty");
    if (!std::isfinite(e.weight)) throw InputError(where, 0, "weight", "must be a finite number");
  }
}

// A connection for reads with its statements prepared once.
struct Reader {
  explicit Reader(const std::string& path)
      : db(path, sqlite::Connection::Mode::kExisting),
        all(db, event_schema::kSelectAll),
        by_user(db, event_schema::kSelectUser),
        last(db, event_schema::kLastSequence) {}

  sqlite::Connection db;
  sqlite::Statement all;
  sqlite::Statement by_user;
  sqlite::Statement last;
};

// Idle reader connections: a read borrows one (opening one when none is idle)
// and returns it, so concurrent readers never share a connection and a busy
// server keeps about as many connections as it has reading threads.
class ReaderPool {
 public:
  explicit ReaderPool(std::string path) : path_(std::move(path)) {}

  class Lease {
   public:
    explicit Lease(ReaderPool& pool) : pool_(pool), reader_(pool.take()) {}
    ~Lease() { pool_.give_back(std::move(reader_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Reader* operator->() const { return reader_.get(); }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Reader> reader_;
  };

 private:
  std::unique_ptr<Reader> take() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Reader> reader = std::move(idle_.back());
        idle_.pop_back();
        return reader;
      }
    }
    return std::make_unique<Reader>(path_);
  }
  void give_back(std::unique_ptr<Reader> reader) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(reader));
  }

  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Reader>> idle_;
};

void scan(sqlite::Statement& statement, const std::function<void(const ReceivedEvent&)>& visit) {
  sqlite::ResetOnExit reset(statement);
  while (statement.step("reading events")) visit(event_schema::read_row(statement));
}

}  // namespace

struct EventStore::Impl {
  Impl(const std::string& path, const EventStoreOptions& options);
  ~Impl();

  void open_writer();
  void write_loop();
  void commit(const std::vector<AppendRequest*>& batch);

  std::string path;
  EventStoreOptions options;

  // Used by the writer thread only (and by the constructor before it starts).
  sqlite::Connection writer_db;
  std::unique_ptr<sqlite::Statement> insert;
  std::unique_ptr<sqlite::Statement> last_sequence;

  std::mutex mutex;
  std::condition_variable work;  // the writer waits for requests
  std::condition_variable done;  // callers wait for their commit
  std::deque<AppendRequest*> queue;
  std::int64_t uncommitted = 0;  // events of callers still waiting (queued or being written)
  std::size_t callers = 0;       // threads inside append(), which the destructor outwaits
  bool stopping = false;
  std::thread writer;

  std::atomic<std::int64_t> transactions{0};
  std::atomic<std::int64_t> appended{0};

  mutable ReaderPool readers;
};

EventStore::Impl::Impl(const std::string& path_in, const EventStoreOptions& options_in)
    : path(path_in), options(options_in), writer_db(path_in, sqlite::Connection::Mode::kCreate), readers(path_in) {
  open_writer();
  writer = std::thread([this] { write_loop(); });
}

EventStore::Impl::~Impl() {
  {
    std::lock_guard lock(mutex);
    stopping = true;
  }
  work.notify_all();
  writer.join();  // the loop ends only once the queue is empty
  // Callers woken by the last commit may still be returning: let them leave
  // before the mutex and condition variables go away.
  std::unique_lock lock(mutex);
  done.wait(lock, [this] { return callers == 0; });
}

void EventStore::Impl::open_writer() {
  if (sqlite3_db_readonly(writer_db.get(), "main") == 1)
    throw InputError(path, 0, "", "the event store file is read-only (it must be writable)");
  sqlite3_busy_timeout(writer_db.get(), options.busy_timeout_ms);
  // WAL: readers see the last commit while the writer appends, and a commit is
  // one sequential write (+ one fsync under FULL) to the log.
  if (writer_db.query_text("PRAGMA journal_mode = WAL", "switching to WAL mode") != "wal")
    throw InputError(path, 0, "", "cannot switch the database to WAL mode");
  writer_db.exec(options.durability == Durability::kFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                 "setting durability");
  if (options.max_bytes > 0) {
    const std::int64_t page = writer_db.query_int("PRAGMA page_size", "reading the page size");
    const std::int64_t pages = std::max<std::int64_t>(1, options.max_bytes / std::max<std::int64_t>(page, 1));
    writer_db.exec(("PRAGMA max_page_count = " + std::to_string(pages)).c_str(), "setting the size limit");
  }
  writer_db.exec("BEGIN IMMEDIATE", "opening the event store");
  try {
    event_schema::create_or_check(writer_db);
    writer_db.exec("COMMIT", "opening the event store");
  } catch (...) {
    writer_db.rollback_quietly();
    throw;
  }
  insert = std::make_unique<sqlite::Statement>(writer_db, event_schema::kInsert);
  last_sequence = std::make_unique<sqlite::Statement>(writer_db, event_schema::kLastSequence);
}

void EventStore::Impl::write_loop() {
  std::vector<AppendRequest*> batch;
  while (true) {
    batch.clear();
    {
      std::unique_lock lock(mutex);
      work.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything is written
      // Group commit: everything queued while the last commit ran goes into one
      // transaction, up to the size bound (the first request always goes).
      std::size_t events = 0;
      while (!queue.empty() &&
             (batch.empty() || events + queue.front()->events.size() <= options.max_batch_events)) {
        events += queue.front()->events.size();
        batch.push_back(queue.front());
        queue.pop_front();
      }
    }
    commit(batch);
    {
      std::lock_guard lock(mutex);
      for (AppendRequest* request : batch) {
        request->done = true;
        uncommitted -= static_cast<std::int64_t>(request->events.size());
      }
    }
    done.notify_all();
  }
}

void EventStore::Impl::commit(const std::vector<AppendRequest*>& batch) {
  std::size_t count = 0;
  for (const AppendRequest* request : batch) count += request->events.size();
  try {
    writer_db.exec("BEGIN IMMEDIATE", "starting a transaction");
    // Read inside the transaction: the write lock makes it the true last
    // sequence even if another process appended to the same file.
    sqlite::ResetOnExit reset_last(*last_sequence);
    std::int64_t next = (last_sequence->step("reading the last sequence") ? last_sequence->column_int(0) : 0) + 1;
    last_sequence->reset();
    for (AppendRequest* request : batch) {
      request->first = next;
      for (const ReceivedEvent& e : request->events) {
        sqlite::ResetOnExit reset_insert(*insert);
        insert->bind(1, next++);
        insert->bind(2, std::string_view(e.user));
        insert->bind(3, std::string_view(e.item));
        insert->bind(4, std::string_view(e.event));
        insert->bind(5, static_cast<double>(e.weight));
        insert->bind(6, e.timestamp);
        insert->bind(7, std::string_view(e.session));
        insert->bind(8, std::string_view(e.context_json));
        insert->step("storing an event");
      }
    }
    writer_db.exec("COMMIT", "committing events");
    transactions.fetch_add(1, std::memory_order_relaxed);
    appended.fetch_add(static_cast<std::int64_t>(count), std::memory_order_relaxed);
  } catch (const std::exception& error) {
    // A failed statement or COMMIT (disk full, read-only, I/O error) leaves the
    // transaction open or rolled back by SQLite; either way nothing of this
    // batch stays, and the connection is ready for the next one.
    writer_db.rollback_quietly();
    const std::string reason = "cannot store " + std::to_string(count) + " events, none was stored: ";
    for (AppendRequest* request : batch) {
      request->first = 0;
      const auto* input = dynamic_cast<const InputError*>(&error);
      request->error = std::make_exception_ptr(
          InputError(path, 0, "", reason + (input ? input->reason() : std::string(error.what()))));
    }
  }
}

EventStore::EventStore(const std::string& path, Durability durability)
    : EventStore(path, EventStoreOptions{.durability = durability}) {}

EventStore::EventStore(const std::string& path, const EventStoreOptions& options)
    : impl_(std::make_unique<Impl>(path, options)) {}

EventStore::~EventStore() = default;

std::int64_t EventStore::append(std::span<const ReceivedEvent> events) {
  if (events.empty()) return 0;
  validate(events);
  AppendRequest request;
  request.events = events;
  Impl& impl = *impl_;
  {
    std::unique_lock lock(impl.mutex);
    if (impl.stopping) throw InputError(impl.path, 0, "", "the event store is closing: nothing was stored");
    impl.queue.push_back(&request);
    impl.uncommitted += static_cast<std::int64_t>(events.size());
    ++impl.callers;
    impl.work.notify_one();
    impl.done.wait(lock, [&request] { return request.done; });
    // The last caller out wakes a destructor waiting for it (under the lock:
    // once it is released, the store may be gone).
    if (--impl.callers == 0 && impl.stopping) impl.done.notify_all();
  }
  if (request.error) std::rethrow_exception(request.error);
  return request.first;
}

void EventStore::for_each(const std::function<void(const ReceivedEvent&)>& visit) const {
  ReaderPool::Lease reader(impl_->readers);
  scan(reader->all, visit);
}

std::vector<ReceivedEvent> EventStore::user_events(const std::string& user, std::int64_t limit) const {
  std::vector<ReceivedEvent> out;
  if (limit == 0) return out;
  ReaderPool::Lease reader(impl_->readers);
  reader->by_user.bind(1, std::string_view(user));
  reader->by_user.bind(2, limit < 0 ? std::int64_t{-1} : limit);
  scan(reader->by_user, [&out](const ReceivedEvent& event) { out.push_back(event); });
  return out;
}

EventStoreStats EventStore::stats() const {
  EventStoreStats stats;
  {
    ReaderPool::Lease reader(impl_->readers);
    sqlite::ResetOnExit reset(reader->last);
    stats.events = reader->last.step("counting events") ? reader->last.column_int(0) : 0;
  }
  {
    std::lock_guard lock(impl_->mutex);
    stats.uncommitted = impl_->uncommitted;
  }
  stats.transactions = impl_->transactions.load(std::memory_order_relaxed);
  stats.appended = impl_->appended.load(std::memory_order_relaxed);
  return stats;
}

const std::string& EventStore::path() const { return impl_->path; }

void read_event_store(const std::string& path, const std::function<void(const ReceivedEvent&)>& visit) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw InputError(path, 0, "", "no such event store file");
  sqlite::Connection db(path, sqlite::Connection::Mode::kExisting);
  db.exec("PRAGMA query_only = ON", "opening the event store");
  db.exec("BEGIN", "opening the event store");  // one snapshot for the check and the scan
  event_schema::check(db);
  sqlite::Statement all(db, event_schema::kSelectAll);
  scan(all, visit);
}

}  // namespace segue

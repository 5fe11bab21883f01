// Thin RAII wrappers over the SQLite C API (a connection, a prepared statement)
// whose failures become InputError naming the database file and quoting
// SQLite's own message ("database or disk is full", "file is not a database").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace segue::sqlite {

class Connection {
 public:
  enum class Mode {
    kCreate,    // read-write, created when missing
    kExisting,  // read-write when the file allows it, never created
  };
  // Connections are used by one thread at a time (SQLITE_OPEN_NOMUTEX).
  Connection(std::string path, Mode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  void exec(const char* sql, const char* doing);
  std::int64_t query_int(const char* sql, const char* doing);  // first column of the first row (0 when none)
  std::string query_text(const char* sql, const char* doing);
  bool in_transaction() const;
  void rollback_quietly() noexcept;  // after a failure: the failure is what gets reported

  // InputError "PATH: DOING: sqlite's message".
  [[noreturn]] void fail(std::string_view doing) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  // `doing` names the step in the error message ("reading the schema");
  // nullptr quotes the SQL instead.
  Statement(Connection& db, const char* sql, const char* doing = nullptr);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, std::string_view text);  // index from 1, as in SQL's ?1
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  // true: a row is ready; false: done. Throws InputError (via the connection) on failure.
  bool step(std::string_view doing);
  void reset() noexcept;  // rewinds and clears bindings; ends the statement's read snapshot

  std::int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string_view column_text(int column) const;

 private:
  Connection& db_;
  sqlite3_stmt* statement_ = nullptr;
};

// Resets a statement on scope exit, so a visitor that throws mid-scan does not
// leave a read transaction open (it would hold back WAL checkpoints).
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& statement_;
};

}  // namespace segue::sqlite

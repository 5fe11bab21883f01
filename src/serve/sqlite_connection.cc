#include "serve/sqlite_connection.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sqlite3.h>

#include "data/error.h"

namespace segue::sqlite {

Connection::Connection(std::string path, Mode mode) : path_(std::move(path)) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == Mode::kCreate) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    // SQLite's "unable to open database file" does not say why, and its last OS error is from its read-only
    // retry; a new database in a directory this process cannot write is the usual reason, so it is named.
    if (mode == Mode::kCreate && ::access(path_.c_str(), F_OK) != 0) {
      const std::string dir = std::filesystem::path(path_).parent_path().string();
      if (::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0)
        message += " (cannot create it: " + (dir.empty() ? std::string(".") : dir) + " is not writable: " +
                   std::strerror(errno) + ")";
    }
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw InputError(path_, 0, "", "cannot open the database: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() { sqlite3_close_v2(db_); }

void Connection::fail(std::string_view doing) const {
  std::string message(doing);
  message.append(": ").append(sqlite3_errmsg(db_));
  throw InputError(path_, 0, "", message);
}

void Connection::exec(const char* sql, const char* doing) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(doing);
}

std::int64_t Connection::query_int(const char* sql, const char* doing) {
  Statement statement(*this, sql, doing);
  return statement.step(doing) ? statement.column_int(0) : 0;
}

std::string Connection::query_text(const char* sql, const char* doing) {
  Statement statement(*this, sql, doing);
  return statement.step(doing) ? std::string(statement.column_text(0)) : std::string();
}

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Connection::rollback_quietly() noexcept {
  if (in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Statement::Statement(Connection& db, const char* sql, const char* doing) : db_(db) {
  if (sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &statement_, nullptr) != SQLITE_OK)
    db.fail(doing != nullptr ? std::string(doing) : std::string("preparing '") + sql + "'");
}

Statement::~Statement() { sqlite3_finalize(statement_); }

void Statement::bind(int index, std::string_view text) {
  // SQLITE_STATIC: the caller's string outlives the step that reads it.
  if (sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK)
    db_.fail("binding a value");
}

void Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) db_.fail("binding a value");
}

void Statement::bind(int index, double value) {
  if (sqlite3_bind_double(statement_, index, value) != SQLITE_OK) db_.fail("binding a value");
}

bool Statement::step(std::string_view doing) {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The message belongs to the connection; read it before reset() clears it.
  try {
    db_.fail(doing);
  } catch (...) {
    sqlite3_reset(statement_);
    throw;
  }
}

void Statement::reset() noexcept {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::int64_t Statement::column_int(int column) const { return sqlite3_column_int64(statement_, column); }

double Statement::column_double(int column) const { return sqlite3_column_double(statement_, column); }

std::string_view Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))};
}

}  // namespace segue::sqlite

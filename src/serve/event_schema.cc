#include "serve/event_schema.h"

#include <string>

#include "data/error.h"

namespace segue::event_schema {
namespace {

// weight is NOT NULL: SQLite would store a NaN as NULL, so non-finite weights
// are refused before they reach the table.
constexpr const char* kCreate =
    "CREATE TABLE events ("
    " sequence INTEGER PRIMARY KEY,"  // the rowid: 1, 2, ... in commit order
    " user TEXT NOT NULL,"
    " item TEXT NOT NULL,"
    " event TEXT NOT NULL,"
    " weight REAL NOT NULL,"
    " timestamp INTEGER NOT NULL,"  // unix seconds
    " session TEXT NOT NULL,"       // '' = none
    " context TEXT NOT NULL"        // '' = none, else a JSON object
    ");"
    "CREATE INDEX events_by_user ON events (user, sequence);";

struct Header {
  std::int64_t application_id = 0;
  std::int64_t version = 0;
  std::int64_t objects = 0;  // tables, indexes, views, triggers
};

Header read_header(sqlite::Connection& db) {
  // The first read of a file that is not SQLite fails here with "file is not a database".
  Header header;
  header.objects = db.query_int("SELECT count(*) FROM sqlite_schema", "reading the schema");
  header.application_id = db.query_int("PRAGMA application_id", "reading the schema");
  header.version = db.query_int("PRAGMA user_version", "reading the schema");
  return header;
}

// True when the database is empty (a new store); throws when it is not ours.
bool check_header(const sqlite::Connection& db, const Header& header) {
  if (header.application_id == 0 && header.version == 0 && header.objects == 0) return true;
  if (header.application_id != kApplicationId)
    throw InputError(db.path(), 0, "",
                     "not a segue event store (an SQLite database with " + std::to_string(header.objects) +
                         " schema objects and application_id " + std::to_string(header.application_id) +
                         "): refusing to write into a foreign database");
  if (header.version > kVersion || header.version < 1)
    throw InputError(db.path(), 0, "",
                     "event store layout version " + std::to_string(header.version) +
                         " is not one this build reads (it reads version " + std::to_string(kVersion) +
                         "; a newer segue wrote it?)");
  return false;
}

}  // namespace

void create_or_check(sqlite::Connection& db) {
  if (!check_header(db, read_header(db))) return;
  db.exec(kCreate, "creating the event store");
  db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str(), "creating the event store");
  db.exec(("PRAGMA user_version = " + std::to_string(kVersion)).c_str(), "creating the event store");
}

void check(sqlite::Connection& db) {
  if (check_header(db, read_header(db)))
    throw InputError(db.path(), 0, "", "not a segue event store (an empty SQLite database)");
}

ReceivedEvent read_row(const sqlite::Statement& row) {
  ReceivedEvent event;
  event.sequence = row.column_int(0);
  event.user.assign(row.column_text(1));
  event.item.assign(row.column_text(2));
  event.event.assign(row.column_text(3));
  event.weight = static_cast<float>(row.column_double(4));
  event.timestamp = row.column_int(5);
  event.session.assign(row.column_text(6));
  event.context_json.assign(row.column_text(7));
  return event;
}

}  // namespace segue::event_schema

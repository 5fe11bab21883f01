// The on-disk layout of the event store (docs/EVENTS.md): one table of events
// keyed by their sequence number, an index for one listener's history, and
// the header fields that tell a segue event store from any other database.
#pragma once

#include <cstdint>

#include "serve/event_store.h"
#include "serve/sqlite_connection.h"

namespace segue::event_schema {

// PRAGMA application_id of every segue event store ("SgEv"), and the layout
// version this build writes (PRAGMA user_version).
constexpr std::int32_t kApplicationId = 0x53674576;
constexpr std::int32_t kVersion = 1;

// The columns every read selects, in ReceivedEvent's order.
#define SEGUE_EVENT_COLUMNS "sequence, user, item, event, weight, timestamp, session, context"
constexpr const char* kSelectAll = "SELECT " SEGUE_EVENT_COLUMNS " FROM events ORDER BY sequence";
constexpr const char* kSelectUser =
    "SELECT " SEGUE_EVENT_COLUMNS " FROM events WHERE user = ?1 ORDER BY sequence DESC LIMIT ?2";
constexpr const char* kInsert = "INSERT INTO events (" SEGUE_EVENT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
#undef SEGUE_EVENT_COLUMNS
// Sequences run 1..N without gaps (assigned inside the writing transaction).
constexpr const char* kLastSequence = "SELECT coalesce(max(sequence), 0) FROM events";

// Creates the layout in an empty database, or checks that an existing one is a
// segue event store of a version this build reads; InputError naming the file
// otherwise. Runs inside a write transaction of `db` (the caller's).
void create_or_check(sqlite::Connection& db);
// Checks without writing (read-only opens: import).
void check(sqlite::Connection& db);

// The row a statement selected with the columns above.
ReceivedEvent read_row(const sqlite::Statement& row);

}  // namespace segue::event_schema

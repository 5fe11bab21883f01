// Writes a store's users as the users CSV that `--users` reads
// (features/user_features.h, docs/FEATURES.md "User features"):
// `segue export DIR --format users --out USERS.csv`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace segue {

struct ExportUsersReport {
  std::int64_t users = 0;         // users in the store
  std::int64_t rows = 0;          // rows written (users with at least one value)
  std::int64_t empty_users = 0;   // users without friends or attributes: no row
  std::int64_t friend_links = 0;  // friend ids written (each edge once per direction)
  std::int64_t skipped_friends = 0;  // friend ids containing '|' (they cannot be listed): left out
  std::vector<std::string> columns;  // header written
};

// Header: user_id, the store's string user columns (a '|' inside a value
// becomes '/', since '|' separates tokens), its numeric user columns, `tags`
// when the store has user tags ("tag:count" when the count is not 1), then
// `friends`: the '|'-joined external ids of the user's friends (Dataset::friends),
// when the store has a friends graph. Missing numbers are empty cells. Users
// without any value get no row. Written to PATH.tmp and renamed into place;
// std::runtime_error when the file cannot be written.
ExportUsersReport export_users_csv(const Dataset& dataset, const std::string& path);

}  // namespace segue

// User features (`--users USERS.csv`): a CSV with header `user_id` and any other
// columns, e.g. `friends` ('|'-separated user ids), `country`, `age`. Rows are
// the ids of the training users; users of the file that the training data does
// not have are counted and ignored (a model cannot place them). Columns, kinds
// and missing-value rules: docs/FEATURES.md, "User features".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/id_map.h"
#include "features/feature_matrix.h"

namespace segue {

struct UserFeatureReport {
  std::string path;
  std::int64_t rows = 0;             // data rows read
  std::int64_t described_users = 0;  // training users with a row
  std::int64_t unknown_users = 0;    // rows whose user id the training data does not have
  std::int64_t missing_values = 0;   // empty or NaN numeric cells
  std::int64_t dropped_terms = 0;    // tokens below min_df
  std::vector<std::string> numeric_columns, token_columns;
  std::int32_t features = 0;

  std::string summary() const;  // one or a few lines, for the CLI
};

// Reads `path` into a FeatureMatrix with users.size() rows (training user ids).
// InputError naming file, line and column for: no user_id column, an empty or
// duplicate user id, a row of the wrong width, ±inf in a numeric column.
FeatureMatrix build_user_features(const std::string& path, const IdMap& users, UserFeatureReport* report = nullptr);

}  // namespace segue

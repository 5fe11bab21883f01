// The training data of `segue train` and `segue eval`: a CSV file (--train) or
// an imported store (--data), with the signal table for CSV event names.
#pragma once

#include <string>

#include "data/dataset.h"
#include "data/error.h"
#include "features/feature_matrix.h"
#include "features/item_features.h"
#include "features/training_features.h"
#include "features/user_features.h"

namespace segue::cli {

struct TrainingInput {
  std::string train_csv;
  std::string data_dir;
  std::string signal;  // --signal for CSV event names
};

// Exactly one of --train / --data must be given (UsageError otherwise).
Dataset load_training(const TrainingInput& input, IssueLog& issues);

// --items ITEMS.csv on train/eval/tune: load_item_features (features/training_features.h).

// --users USERS.csv on train/eval/tune: user features over `train`'s users
// (features/user_features.h); prints the report's summary.
FeatureMatrix load_user_features(const std::string& users_csv, const Dataset& train);

// ItemFeatureOptions from the CLI flags (--text-dim N: fastText text embeddings).
ItemFeatureOptions item_feature_options(int text_dim);

// Prints what --on-error skip left out (stderr) and the importer's notes.
void print_issues(const IssueLog& issues);

}  // namespace segue::cli

namespace segue::cli {

// --user-names FILE: a CSV with header user_id,name (other columns ignored, e.g.
// test_playlists.csv) sets the "name" user attribute (playlist titles) of the
// data's users; ids the data does not have are counted, not errors. InputError
// naming the file and line for a missing column or a malformed row.
struct UserNamesReport {
  std::int64_t rows = 0, named = 0, unknown_ids = 0;
};
UserNamesReport load_user_names(const std::string& path, Dataset& data);
// One line on stdout: rows read, users named, ids not in the data.
void print_user_names(const UserNamesReport& report, const std::string& path);

}  // namespace segue::cli

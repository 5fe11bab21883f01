// Item features for the beyond-accuracy metrics (ild@k), read from a CSV:
// `segue eval --items ITEMS.csv`. Header: item_id, then numeric columns (audio
// features, ...) and/or a `tags` column of '|'-separated tags. Numeric columns
// are standardised (z-scores over the training items in the file), tags become
// one-hot columns; the result is an ItemFeatures matrix in the training ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/id_map.h"
#include "eval/beyond_accuracy.h"

namespace segue {

struct ItemFeaturesFile {
  // n_items × dim in the ids of `items`; rows of training items the file does
  // not name (or whose row has an empty numeric cell) hold NaN, so they take
  // no part in diversity (ItemContext::featured).
  ItemFeatures features;
  std::vector<std::string> columns;  // dim names: the numeric columns, then "tag:NAME" per tag
  std::int64_t rows = 0;             // data rows read
  std::int32_t numeric_columns = 0;
  std::int32_t tag_columns = 0;      // distinct tags (one-hot columns)
  std::int64_t items_with_row = 0;   // training items the file names
  std::int64_t incomplete_rows = 0;  // rows of training items with an empty numeric cell (not featured)
  std::int64_t unknown_items = 0;    // distinct item ids the training data does not know (rows ignored)
  std::int64_t unknown_item_rows = 0;
};

// Reads `path` against the training item ids. InputError (file, line, column)
// for a missing item_id column, an empty item id, a malformed or non-finite
// number, or an item listed twice; UsageError when the file has no feature
// column or the dense matrix would exceed max_floats (too many distinct tags).
// An empty numeric cell is a missing value. A numeric column with zero
// variance standardises to 0.
ItemFeaturesFile read_item_features_csv(const std::string& path, const IdMap& items,
                                        std::int64_t max_floats = std::int64_t{1} << 28);

}  // namespace segue

// Item features for training (`--items ITEMS.csv` of train/eval/tune, and
// `items=` of the Python module): the feature pipeline over a training data
// set's items, extending its item space by the file's catalogue items.
#pragma once

#include <string>

#include "data/dataset.h"
#include "features/feature_matrix.h"
#include "features/item_features.h"

namespace segue {

// The item features over `train`'s items, extended by the catalogue items of
// the file (docs/FEATURES.md). The dataset's item id map grows by those items,
// and so do interactions.n_items and every item attribute column (empty / NaN
// rows), so build_feedback(train) and map_test_set(test, train) see the
// extended id space; the added items have no interactions.
struct ItemFeatureInput {
  FeatureMatrix features;
  ItemFeatureReport report;
};
ItemFeatureInput load_item_features(const std::string& items_csv, Dataset& train,
                                    const ItemFeatureOptions& options = {});

}  // namespace segue

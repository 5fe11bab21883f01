#include "features/training_features.h"

#include <limits>

namespace segue {

ItemFeatureInput load_item_features(const std::string& items_csv, Dataset& train, const ItemFeatureOptions& options) {
  ItemFeatureInput out;
  const std::int32_t before = train.items.size();
  out.features = build_item_features(items_csv, train.items, options, &out.report);
  const std::int32_t after = train.items.size();
  if (after != before) {
    const auto rows = static_cast<std::size_t>(after);
    train.interactions.n_items = after;
    Attributes& attrs = train.item_attributes;
    for (StringColumn& c : attrs.strings) c.values.resize(rows);
    for (NumericColumn& c : attrs.numbers) c.values.resize(rows, std::numeric_limits<float>::quiet_NaN());
    if (!(attrs.tags.tokens.empty() && attrs.tags.indptr.size() <= 1))
      attrs.tags.indptr.resize(rows + 1, attrs.tags.indptr.back());
  }
  return out;
}

}  // namespace segue

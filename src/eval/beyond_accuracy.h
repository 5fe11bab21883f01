// Beyond-accuracy metrics: how novel, popular, diverse and unexpected the
// recommended lists are, and how evenly they expose the catalogue.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "eval/metrics.h"
#include "models/feedback.h"

namespace segue {

// Dense item feature vectors in the training id space (audio features, tag
// embeddings): n_items × dim floats, row-major; NaN marks a missing value.
struct ItemFeatures {
  std::int32_t dim = 0;
  std::vector<float> values;
};

// What the beyond-accuracy metrics read about items; built once per evaluation.
struct ItemContext {
  std::int32_t n_items = 0;
  // Popularity of item i = training users with a positive on i; n_users is the
  // number of training users with at least one positive (the denominator of
  // novelty's probability).
  std::vector<std::int32_t> popularity;
  std::int64_t n_users = 0;
  std::vector<std::int32_t> by_popularity;  // every item, most popular first, ties by lower id
  // Features, when given: rows scaled to unit length; featured[i] = 1 when row i
  // has no NaN and a non-zero norm (others take no part in diversity).
  std::int32_t feature_dim = 0;
  std::vector<float> unit_features;
  std::vector<std::uint8_t> featured;

  bool has_features() const { return feature_dim > 0; }
};

// UsageError when the features' shape does not match train's item count or a
// value is infinite.
ItemContext make_item_context(const FeedbackMatrix& train, const ItemFeatures* features = nullptr);

// The user's popularity baseline: the k most popular items not in `exclude`
// (sorted ascending), written to `out` sorted ascending by item id (for lookup).
void popularity_baseline(const ItemContext& items, std::span<const std::int32_t> exclude, std::int32_t k,
                         std::vector<std::int32_t>& out);

// Per-user metrics over the first k list slots that hold known items (slots
// with kUnknownItem are skipped); NaN when there is no such item (undefined).
//   novelty@k        = mean of -log2(max(pop_i, 1) / n_users)
//   arp@k            = mean of pop_i
//   ild@k            = mean over pairs of featured items of 1 - cos(f_i, f_j);
//                      NaN when fewer than 2 listed items are featured
//   unexpectedness@k = share of items not in UserRanking::baseline
double novelty_at_k(const UserRanking& user, std::int32_t k);
double arp_at_k(const UserRanking& user, std::int32_t k);
double ild_at_k(const UserRanking& user, std::int32_t k);
double unexpectedness_at_k(const UserRanking& user, std::int32_t k);

// Gini index of exposure counts (one per catalogue item, zeros included):
// Σ_i (2i - n - 1) · c_(i) / (n · Σ c) over counts sorted ascending, i from 1.
// 0 when every item is shown equally often, (n-1)/n when one item takes all;
// 0 when nothing is shown.
double gini_index(std::span<const std::int64_t> exposure);

}  // namespace segue

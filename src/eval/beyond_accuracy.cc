// Beyond-accuracy metrics (novelty, popularity, diversity, unexpectedness,
// exposure Gini) and the item statistics they read.
#include "eval/beyond_accuracy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "data/error.h"

namespace segue {
namespace {

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

std::int32_t depth(const UserRanking& user, std::int32_t k) {
  return std::min<std::int32_t>(std::max(k, 0), static_cast<std::int32_t>(user.ranked.size()));
}

bool known(const ItemContext& items, std::int32_t item) { return item >= 0 && item < items.n_items; }

// Mean of f(item) over the known items in the top k; NaN when there are none.
template <typename F>
double mean_over_list(const UserRanking& user, std::int32_t k, F f) {
  if (user.items == nullptr) return kUndefined;
  double sum = 0;
  std::int32_t n = 0;
  for (std::int32_t i = 0; i < depth(user, k); ++i) {
    const std::int32_t item = user.ranked[i];
    if (!known(*user.items, item)) continue;
    sum += f(item);
    ++n;
  }
  return n == 0 ? kUndefined : sum / n;
}

}  // namespace

ItemContext make_item_context(const FeedbackMatrix& train, const ItemFeatures* features) {
  ItemContext out;
  out.n_items = train.n_items;
  out.popularity.assign(static_cast<std::size_t>(train.n_items), 0);
  for (std::int32_t item : train.indices) ++out.popularity[static_cast<std::size_t>(item)];
  for (std::int32_t u = 0; u < train.n_users; ++u) out.n_users += train.count(u) > 0 ? 1 : 0;
  out.by_popularity.resize(static_cast<std::size_t>(train.n_items));
  for (std::int32_t i = 0; i < train.n_items; ++i) out.by_popularity[static_cast<std::size_t>(i)] = i;
  std::stable_sort(out.by_popularity.begin(), out.by_popularity.end(), [&](std::int32_t a, std::int32_t b) {
    return out.popularity[static_cast<std::size_t>(a)] > out.popularity[static_cast<std::size_t>(b)];
  });
  if (features == nullptr || features->dim == 0) return out;
  const std::int64_t dim = features->dim;
  if (dim < 0 || static_cast<std::int64_t>(features->values.size()) != dim * train.n_items)
    throw UsageError("item features: " + std::to_string(features->values.size()) + " values for " +
                     std::to_string(train.n_items) + " items x " + std::to_string(dim) +
                     " dimensions (expected one row per training item)");
  out.feature_dim = features->dim;
  out.unit_features.assign(features->values.size(), 0.0f);
  out.featured.assign(static_cast<std::size_t>(train.n_items), 0);
  for (std::int64_t i = 0; i < train.n_items; ++i) {
    const float* row = features->values.data() + i * dim;
    double norm = 0;
    bool complete = true;
    for (std::int64_t d = 0; d < dim; ++d) {
      if (std::isinf(row[d]))
        throw UsageError("item features: item " + std::to_string(i) + " dimension " + std::to_string(d) +
                         " is infinite (use NaN for a missing value)");
      if (std::isnan(row[d])) complete = false;
      else norm += static_cast<double>(row[d]) * row[d];
    }
    if (!complete || norm <= 0) continue;
    out.featured[static_cast<std::size_t>(i)] = 1;
    const double scale = 1.0 / std::sqrt(norm);
    for (std::int64_t d = 0; d < dim; ++d)
      out.unit_features[static_cast<std::size_t>(i * dim + d)] = static_cast<float>(row[d] * scale);
  }
  return out;
}

void popularity_baseline(const ItemContext& items, std::span<const std::int32_t> exclude, std::int32_t k,
                         std::vector<std::int32_t>& out) {
  out.clear();
  for (std::int32_t item : items.by_popularity) {
    if (static_cast<std::int32_t>(out.size()) >= k) break;
    if (std::binary_search(exclude.begin(), exclude.end(), item)) continue;
    out.push_back(item);
  }
  std::sort(out.begin(), out.end());
}

double novelty_at_k(const UserRanking& user, std::int32_t k) {
  if (user.items == nullptr || user.items->n_users == 0) return kUndefined;
  const double n = static_cast<double>(user.items->n_users);
  return mean_over_list(user, k, [&](std::int32_t item) {
    const double pop = std::max(user.items->popularity[static_cast<std::size_t>(item)], 1);
    return -std::log2(pop / n);
  });
}

double arp_at_k(const UserRanking& user, std::int32_t k) {
  return mean_over_list(user, k, [&](std::int32_t item) {
    return static_cast<double>(user.items->popularity[static_cast<std::size_t>(item)]);
  });
}

double unexpectedness_at_k(const UserRanking& user, std::int32_t k) {
  return mean_over_list(user, k, [&](std::int32_t item) {
    return std::binary_search(user.baseline.begin(), user.baseline.end(), item) ? 0.0 : 1.0;
  });
}

double ild_at_k(const UserRanking& user, std::int32_t k) {
  if (user.items == nullptr || !user.items->has_features()) return kUndefined;
  const ItemContext& items = *user.items;
  const std::size_t dim = static_cast<std::size_t>(items.feature_dim);
  double sum = 0;
  std::int64_t pairs = 0;
  const std::int32_t n = depth(user, k);
  for (std::int32_t a = 0; a < n; ++a) {
    const std::int32_t i = user.ranked[a];
    if (!known(items, i) || !items.featured[static_cast<std::size_t>(i)]) continue;
    const float* fi = items.unit_features.data() + static_cast<std::size_t>(i) * dim;
    for (std::int32_t b = a + 1; b < n; ++b) {
      const std::int32_t j = user.ranked[b];
      if (!known(items, j) || !items.featured[static_cast<std::size_t>(j)]) continue;
      const float* fj = items.unit_features.data() + static_cast<std::size_t>(j) * dim;
      double dot = 0;
      for (std::size_t d = 0; d < dim; ++d) dot += static_cast<double>(fi[d]) * fj[d];
      sum += 1.0 - dot;
      ++pairs;
    }
  }
  return pairs == 0 ? kUndefined : sum / static_cast<double>(pairs);
}

double gini_index(std::span<const std::int64_t> exposure) {
  if (exposure.empty()) return 0.0;
  std::vector<std::int64_t> sorted(exposure.begin(), exposure.end());
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  double total = 0;
  double weighted = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    total += static_cast<double>(sorted[i]);
    weighted += (2.0 * static_cast<double>(i + 1) - n - 1.0) * static_cast<double>(sorted[i]);
  }
  return total > 0 ? weighted / (n * total) : 0.0;
}

}  // namespace segue

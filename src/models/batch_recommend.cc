#include "models/batch_recommend.h"

#include <algorithm>
#include <string>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue {

namespace {

// exclude_of(r) gives the exclusion of users[r].
template <class ExcludeOf>
BatchLists recommend_blocks(const Recommender& model, std::span<const std::int32_t> users, std::int32_t n,
                            const ExcludeOf& exclude_of, ThreadPool* pool) {
  if (!model.fitted()) throw UsageError("model: '" + model.name() + "' is not fitted");
  if (n <= 0) throw UsageError("n: must be at least 1, got " + std::to_string(n));
  for (const std::int32_t u : users)
    if (u < 0 || u >= model.n_users()) throw UsageError("users: user index " + std::to_string(u) + " out of range");
  BatchLists lists;
  lists.n = std::min(n, model.n_items());
  lists.items.resize(users.size() * static_cast<std::size_t>(lists.n));
  lists.counts.assign(users.size(), 0);
  // Blocks of 256 users: enough rows to amortise a pass over the item vectors,
  // few enough that a whole-row model's block buffer stays modest.
  const std::int64_t block = std::clamp<std::int64_t>((32ll << 20) / std::max(model.n_items(), 1), 1, 256);
  const auto total = static_cast<std::int64_t>(users.size());
  parallel_for(
      0, (total + block - 1) / block, 1,
      [&](std::int64_t first_block, std::int64_t last_block, int) {
        std::vector<std::span<const std::int32_t>> exclude;
        for (std::int64_t b = first_block; b < last_block; ++b) {
          const std::int64_t begin = b * block;
          const std::int64_t end = std::min(begin + block, total);
          const auto rows = users.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
          exclude.clear();
          for (std::int64_t r = begin; r < end; ++r) exclude.push_back(exclude_of(r));
          model.top_k_users(rows, exclude, lists.n, lists.items.data() + begin * lists.n, lists.counts.data() + begin);
        }
      },
      pool);
  return lists;
}

}  // namespace

BatchLists recommend_batch(const Recommender& model, std::span<const std::int32_t> users, std::int32_t n,
                           bool exclude_seen, ThreadPool* pool) {
  return recommend_blocks(
      model, users, n,
      [&](std::int64_t r) {
        return exclude_seen ? model.history().row_indices(users[static_cast<std::size_t>(r)])
                            : std::span<const std::int32_t>{};
      },
      pool);
}

BatchLists recommend_batch(const Recommender& model, std::span<const std::int32_t> users, std::int32_t n,
                           std::span<const std::span<const std::int32_t>> exclude, ThreadPool* pool) {
  if (exclude.size() != users.size())
    throw UsageError("exclude: one row per user expected, got " + std::to_string(exclude.size()) + " rows for " +
                     std::to_string(users.size()) + " users");
  return recommend_blocks(model, users, n, [&](std::int64_t r) { return exclude[static_cast<std::size_t>(r)]; },
                          pool);
}

}  // namespace segue

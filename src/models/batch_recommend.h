// Top-n lists for many users at once (export, offline serving, benchmarks):
// blocks of users through Recommender::top_k_users on the thread pool.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/recommender.h"

namespace segue {

class ThreadPool;

struct BatchLists {
  std::int32_t n = 0;
  std::vector<ScoredItem> items;    // users.size() × n; row r holds counts[r] items, best first
  std::vector<std::int32_t> counts;

  std::span<const ScoredItem> row(std::size_t r) const {
    return {items.data() + r * static_cast<std::size_t>(n), static_cast<std::size_t>(counts[r])};
  }
};

// The top-n of each user (n clamped to the catalogue), excluding each user's
// training items when exclude_seen. UsageError for n <= 0 or an unknown user.
// Users without history get the model's scores as they are (see
// Recommender::recommend); the caller decides on a fallback.
BatchLists recommend_batch(const Recommender& model, std::span<const std::int32_t> users, std::int32_t n,
                           bool exclude_seen = true, ThreadPool* pool = nullptr);

// The same with the caller's exclusions (implicit's `user_items` rows, the
// Python module): exclude[r] is excluded from users[r]'s list (ids ascending,
// empty = nothing); exclude.size() must be users.size() (UsageError).
BatchLists recommend_batch(const Recommender& model, std::span<const std::int32_t> users, std::int32_t n,
                           std::span<const std::span<const std::int32_t>> exclude, ThreadPool* pool = nullptr);

}  // namespace segue

#include "models/top_k.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/thread_pool.h"

namespace segue {
namespace {

float rank_key(float score) { return std::isnan(score) ? -std::numeric_limits<float>::infinity() : score; }

// Heap order: the root is the *worst* kept item, so a candidate only has to
// beat out[0] to enter.
struct WorseOnTop {
  bool operator()(const ScoredItem& a, const ScoredItem& b) const { return ranks_before(a, b); }
};

}  // namespace

bool ranks_before(const ScoredItem& a, const ScoredItem& b) {
  const float x = rank_key(a.score);
  const float y = rank_key(b.score);
  if (x != y) return x > y;
  // Same key (NaN vs -inf included): a NaN ranks after a real -inf.
  const bool a_nan = std::isnan(a.score);
  const bool b_nan = std::isnan(b.score);
  if (a_nan != b_nan) return b_nan;
  return a.item < b.item;
}

std::int32_t top_k(std::span<const float> scores, std::span<const std::int32_t> exclude, std::int32_t k,
                   ScoredItem* out) {
  if (k <= 0) return 0;
  const auto n = static_cast<std::int32_t>(scores.size());
  std::size_t next_excluded = 0;
  std::int32_t size = 0;
  const WorseOnTop worse_on_top;
  for (std::int32_t item = 0; item < n; ++item) {
    // Exclusions are sorted, so one forward-moving cursor finds them all.
    while (next_excluded < exclude.size() && exclude[next_excluded] < item) ++next_excluded;
    if (next_excluded < exclude.size() && exclude[next_excluded] == item) continue;
    const float score = scores[item];
    // Fast reject: most items lose to the current worst kept one (a NaN on
    // either side fails this test and takes the exact path below).
    if (size == k && score < out[0].score) continue;
    const ScoredItem candidate{item, score};
    if (size < k) {
      out[size++] = candidate;
      std::push_heap(out, out + size, worse_on_top);
    } else if (ranks_before(candidate, out[0])) {
      std::pop_heap(out, out + size, worse_on_top);
      out[size - 1] = candidate;
      std::push_heap(out, out + size, worse_on_top);
    }
  }
  std::sort_heap(out, out + size, worse_on_top);
  return size;
}

void top_k(std::span<const float> scores, std::span<const std::int32_t> exclude, std::int32_t k,
           std::vector<ScoredItem>& out) {
  out.resize(static_cast<std::size_t>(std::max<std::int32_t>(k, 0)));
  out.resize(static_cast<std::size_t>(top_k(scores, exclude, k, out.data())));
}

void top_k_rows(const float* scores, std::int64_t rows, std::int32_t n_cols, const RowExclusion& exclude,
                std::int32_t k, TopKBlock& out, ThreadPool* pool) {
  out.k = std::max<std::int32_t>(k, 0);
  out.items.resize(static_cast<std::size_t>(rows * out.k));
  out.counts.assign(static_cast<std::size_t>(rows), 0);
  parallel_for(
      0, rows, 16,
      [&](std::int64_t begin, std::int64_t end, int) {
        for (std::int64_t r = begin; r < end; ++r) {
          const std::span<const float> row(scores + r * n_cols, static_cast<std::size_t>(n_cols));
          const std::span<const std::int32_t> skip = exclude ? exclude(r) : std::span<const std::int32_t>();
          out.counts[r] = top_k(row, skip, out.k, out.items.data() + r * out.k);
        }
      },
      pool);
}

}  // namespace segue

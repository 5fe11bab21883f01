#include "models/top_k.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "models/scratch.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

float rank_key(float score) { return std::isnan(score) ? -std::numeric_limits<float>::infinity() : score; }

// Heap order: the root is the *worst* kept item, so a candidate only has to
// beat out[0] to enter.
struct WorseOnTop {
  bool operator()(const ScoredItem& a, const ScoredItem& b) const { return ranks_before(a, b); }
};

constexpr std::int32_t kChunk = 16;

// True when some score of s[0..kChunk) is > threshold (NaN compares false).
// Branch-free over the chunk so the compiler vectorises it; SSE2 spelled out
// because GCC does not vectorise the early-exit form.
inline bool any_above(const float* s, float threshold) {
#if defined(__SSE2__)
  const __m128 t = _mm_set1_ps(threshold);
  const __m128 a = _mm_or_ps(_mm_cmpgt_ps(_mm_loadu_ps(s), t), _mm_cmpgt_ps(_mm_loadu_ps(s + 4), t));
  const __m128 b = _mm_or_ps(_mm_cmpgt_ps(_mm_loadu_ps(s + 8), t), _mm_cmpgt_ps(_mm_loadu_ps(s + 12), t));
  return _mm_movemask_ps(_mm_or_ps(a, b)) != 0;
#else
  bool any = false;
  for (std::int32_t j = 0; j < kChunk; ++j) any |= s[j] > threshold;
  return any;
#endif
}

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

void TopKSelector::push(std::int32_t item, float score) {
  const ScoredItem candidate{item, score};
  if (size_ < k_) {
    out_[size_++] = candidate;
    std::push_heap(out_, out_ + size_, WorseOnTop{});
  } else if (ranks_before(candidate, out_[0])) {
    std::pop_heap(out_, out_ + size_, WorseOnTop{});
    out_[size_ - 1] = candidate;
    std::push_heap(out_, out_ + size_, WorseOnTop{});
  }
}

void TopKSelector::scan(const float* scores, std::int32_t first, std::int32_t begin, std::int32_t end) {
  std::int32_t item = begin;
  for (; item < end && size_ < k_; ++item) push(item, scores[item - first]);
  while (item < end) {
    // Once the heap is full, a candidate enters only if it ranks before the
    // root. The root has a lower id than every item still to come, so for a
    // root above -inf that is exactly score > root score (NaN and -inf never
    // enter). Whole chunks below the threshold are skipped; a NaN or -inf
    // root takes the exact path item by item.
    const float threshold = out_[0].score;
    if (threshold > -std::numeric_limits<float>::infinity())
      while (item + kChunk <= end && !any_above(scores + (item - first), threshold)) item += kChunk;
    const std::int32_t stop = std::min(item + kChunk, end);
    for (; item < stop; ++item) {
      const float score = scores[item - first];
      if (!(score < out_[0].score)) push(item, score);
    }
  }
}

void TopKSelector::offer(std::int32_t first, std::span<const float> scores, std::span<const std::int32_t> exclude) {
  if (k_ <= 0) return;
  const std::int32_t end_of_slice = first + static_cast<std::int32_t>(scores.size());
  // Exclusions are sorted, so the slice splits into runs of eligible items
  // between them: no per-item test for exclusion. Ids outside the slice and
  // repeats fall out of the `id < begin` test.
  std::int32_t begin = first;
  for (const std::int32_t id : exclude) {
    if (id < begin) continue;
    const std::int32_t end = std::min(id, end_of_slice);
    scan(scores.data(), first, begin, end);
    if (end == end_of_slice) return;
    begin = end + 1;
  }
  scan(scores.data(), first, begin, end_of_slice);
}

std::int32_t TopKSelector::finish() {
  std::sort_heap(out_, out_ + size_, WorseOnTop{});
  const std::int32_t count = size_;
  size_ = 0;
  return count;
}

namespace {

// A long row (a 100k-item catalogue, a rerank generator's top-500): the heap
// path pays O(log k) for each of the ~k ln(n/k) items that enter while its
// threshold climbs. Instead, a threshold t from every 64th score that about
// 2(k + excluded) items beat; one vectorised pass collects the items above t,
// and when at least k of them are eligible the top-k is theirs (every other
// item scores <= t, is NaN or excluded) — the same list, ties by id included.
// Returns -1 when t lets too few through (the caller takes the exact path).
constexpr std::size_t kSampleStride = 64;

std::int32_t top_k_above_sampled_threshold(std::span<const float> scores, std::span<const std::int32_t> exclude,
                                           std::int32_t k, ScoredItem* out) {
  const std::size_t n = scores.size();
  const std::size_t need = static_cast<std::size_t>(k) + exclude.size();
  const std::size_t rank = 2 * need / kSampleStride + 16;  // in the sample
  Scratch<float> sample;
  sample->reserve(n / kSampleStride + 1);
  for (std::size_t i = 0; i < n; i += kSampleStride)
    if (scores[i] > -std::numeric_limits<float>::infinity()) sample->push_back(scores[i]);  // no NaN, no -inf
  if (sample.size() < rank) return -1;
  std::nth_element(sample->begin(), sample->begin() + static_cast<std::ptrdiff_t>(rank - 1), sample->end(),
                   std::greater<float>());
  const float threshold = sample[rank - 1];
  if (!(threshold < std::numeric_limits<float>::infinity())) return -1;

  Scratch<ScoredItem> hits;
  hits->reserve(4 * need + 64);
  const float* s = scores.data();
  const std::size_t whole = n - n % kChunk;
  auto take = [&](std::size_t i) {
    if (s[i] > threshold) hits->push_back({static_cast<std::int32_t>(i), s[i]});
  };
  for (std::size_t i = 0; i < whole; i += kChunk)
    if (any_above(s + i, threshold))
      for (std::size_t j = i; j < i + kChunk; ++j) take(j);
  for (std::size_t i = whole; i < n; ++i) take(i);
  // Hits are in id order, exclusions sorted: one merge drops the excluded.
  std::size_t kept = 0, e = 0;
  for (const ScoredItem& hit : *hits) {
    while (e < exclude.size() && exclude[e] < hit.item) ++e;
    if (e < exclude.size() && exclude[e] == hit.item) continue;
    hits[kept++] = hit;
  }
  if (kept < static_cast<std::size_t>(k)) return -1;
  const auto first = hits->begin(), last = hits->begin() + static_cast<std::ptrdiff_t>(kept);
  std::nth_element(first, first + (k - 1), last, ranks_before);
  std::sort(first, first + k, ranks_before);
  std::copy(first, first + k, out);
  return k;
}

}  // namespace

std::int32_t top_k(std::span<const float> scores, std::span<const std::int32_t> exclude, std::int32_t k,
                   ScoredItem* out) {
  if (k > 0 && scores.size() >= 16384 && static_cast<std::size_t>(k) * 64 <= scores.size()) {
    const std::int32_t found = top_k_above_sampled_threshold(scores, exclude, k, out);
    if (found >= 0) return found;
  }
  TopKSelector selector(out, k);
  selector.offer(0, scores, exclude);
  return selector.finish();
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

// Shared top-k selection: the k best scores of a row, skipping the user's
// training items, without a full sort. Every model's recommend() goes through it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace segue {

class ThreadPool;

struct ScoredItem {
  std::int32_t item = 0;
  float score = 0.0f;
  friend bool operator==(const ScoredItem&, const ScoredItem&) = default;
};

// The order of every ranked list in segue: higher score first, ties broken by
// the lower item id so results never depend on threads or heap order. A NaN
// score ranks below every number.
bool ranks_before(const ScoredItem& a, const ScoredItem& b);

// Writes the min(k, eligible) best items of scores[0..n) — best first — to
// out[0..), skipping the ids in `exclude` (sorted ascending; ids outside the row
// are ignored), and returns how many were written. `out` must hold k entries.
// A bounded heap kept in `out` itself (no allocation); once it is full, 16
// scores at a time are compared with its worst item in one vector test, so a
// row costs about n / 16 compares plus O(log k) per item that enters.
std::int32_t top_k(std::span<const float> scores, std::span<const std::int32_t> exclude, std::int32_t k,
                   ScoredItem* out);

// top_k for a row that arrives in slices (scoring fused with selection, one
// tile of items at a time, so the scores never leave the cache): offer the
// slices in increasing item order, then finish() once. Keeps no memory of its
// own; `out` (k entries) holds the selection between calls.
class TopKSelector {
 public:
  TopKSelector(ScoredItem* out, std::int32_t k) : out_(out), k_(k) {}
  // Offers items first .. first + scores.size() - 1 (scores[i] is item
  // first + i), skipping the ids in `exclude` (sorted ascending, absolute ids;
  // those outside the slice are ignored, so a user's whole list may be passed).
  void offer(std::int32_t first, std::span<const float> scores, std::span<const std::int32_t> exclude);
  // Sorts the selection best first into out[0..) and returns its size; the
  // selector is then empty again.
  std::int32_t finish();

  // Offers one item (any id order); it enters if it ranks before the worst kept.
  void push(std::int32_t item, float score);
  // True once the selection is full and its worst score is a number above
  // -inf: from then on, an item with a higher id than every kept one enters
  // exactly when its score > gate() (NaN never does). Fused kernels test whole
  // vectors of scores against gate() and push only the few that pass.
  bool gated() const { return size_ == k_ && k_ > 0 && out_[0].score > -kInfinity; }
  float gate() const { return out_[0].score; }

 private:
  static constexpr float kInfinity = __builtin_huge_valf();
  void scan(const float* scores, std::int32_t first, std::int32_t begin, std::int32_t end);

  ScoredItem* out_;
  std::int32_t k_;
  std::int32_t size_ = 0;
};

// Convenience form resizing a caller-owned, reusable vector (no allocation once
// its capacity reaches k).
void top_k(std::span<const float> scores, std::span<const std::int32_t> exclude, std::int32_t k,
           std::vector<ScoredItem>& out);

// The top-k of each row of a block of scores (row-major, rows × n_cols).
struct TopKBlock {
  std::int32_t k = 0;
  std::vector<ScoredItem> items;   // rows × k; row r's list is items[r*k .. r*k + counts[r])
  std::vector<std::int32_t> counts;

  std::span<const ScoredItem> row(std::int64_t r) const {
    return {items.data() + r * k, static_cast<std::size_t>(counts[r])};
  }
};

// Exclusion list of a block row (sorted ascending); may return an empty span.
using RowExclusion = std::function<std::span<const std::int32_t>(std::int64_t row)>;

// Fills `out` with the top-k of every row, rows split across `pool` (null = the
// default pool). `exclude` may be empty (no exclusion).
void top_k_rows(const float* scores, std::int64_t rows, std::int32_t n_cols, const RowExclusion& exclude,
                std::int32_t k, TopKBlock& out, ThreadPool* pool = nullptr);

}  // namespace segue

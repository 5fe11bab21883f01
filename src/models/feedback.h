// FeedbackMatrix: the training input of every model — the summed implicit
// signal per (user, item) in CSR by user over the dataset's dense ids.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "util/buffer.h"

namespace segue {

// A plain CSR matrix: row r holds columns indices[indptr[r] .. indptr[r+1]),
// sorted and unique, with one value each.
struct SparseRows {
  std::int32_t n_rows = 0;
  std::int32_t n_cols = 0;
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> indices;
  std::vector<float> values;

  std::int64_t nnz() const { return static_cast<std::int64_t>(indices.size()); }
  std::int64_t count(std::int32_t row) const { return indptr[row + 1] - indptr[row]; }
  std::span<const std::int32_t> row_indices(std::int32_t row) const {
    return {indices.data() + indptr[row], static_cast<std::size_t>(count(row))};
  }
  std::span<const float> row_values(std::int32_t row) const {
    return {values.data() + indptr[row], static_cast<std::size_t>(count(row))};
  }
  // Empty rows x cols matrix.
  static SparseRows empty(std::int32_t rows, std::int32_t cols);
  // The same entries in CSR by column (O(nnz), stays sorted and unique).
  SparseRows transpose() const;
  // Throws std::invalid_argument naming the broken invariant (used on load).
  void validate(const std::string& what) const;
};

// Positive feedback in CSR by user: values[k] > 0 is the summed signal
// Σ weight × event_signal[event] of user u on item indices[k]. Pairs whose sum
// is negative (net skips) go to `negatives` (same shape; values hold the
// magnitude, > 0); pairs summing to exactly 0 appear in neither.
struct FeedbackMatrix {
  std::int32_t n_users = 0;
  std::int32_t n_items = 0;
  // Owned, or borrowed from the caller (the Python module's zero-copy fit):
  // reads never copy, writes copy first (util/buffer.h).
  Buffer<std::int64_t> indptr{0};  // n_users + 1
  Buffer<std::int32_t> indices;    // item ids, sorted and unique within a user
  Buffer<float> values;            // > 0
  SparseRows negatives;                 // n_users x n_items; nnz() == 0 when there are none

  std::int64_t nnz() const { return static_cast<std::int64_t>(indices.size()); }
  std::int64_t count(std::int32_t user) const { return indptr[user + 1] - indptr[user]; }
  std::span<const std::int32_t> items_of(std::int32_t user) const {
    return {indices.data() + indptr[user], static_cast<std::size_t>(count(user))};
  }
  std::span<const float> values_of(std::int32_t user) const {
    return {values.data() + indptr[user], static_cast<std::size_t>(count(user))};
  }
  // The positives as a plain CSR (a copy) and transposed by item (built on
  // demand, O(nnz); models that need it build it once in fit()).
  SparseRows positives() const;
  SparseRows by_item() const;
  // Throws std::invalid_argument naming the broken invariant.
  void validate() const;
};

// One (user, item, signal) contribution, for building feedback by hand.
struct FeedbackEntry {
  std::int32_t user = 0;
  std::int32_t item = 0;
  float signal = 1.0f;
};

// Sums weight × dataset.event_signal[event code] per (user, item) over the
// events with the given indices into dataset.interactions (all events when
// null; the list may be in any order and may not repeat an index). Dimensions
// are the dataset's (n_users, n_items), so ids stay the dataset's ids.
// Throws UsageError for an out-of-range or repeated event index, and
// std::invalid_argument when a sum is not finite.
FeedbackMatrix build_feedback(const Dataset& dataset, const std::vector<std::int64_t>* events = nullptr);

// The same summing over explicit entries (tests, fold-in, other sources).
// Throws UsageError for ids out of range.
FeedbackMatrix build_feedback(std::int32_t n_users, std::int32_t n_items, std::span<const FeedbackEntry> entries);

}  // namespace segue

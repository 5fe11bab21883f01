#include "models/feedback.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "data/error.h"

namespace segue {
namespace {

// Sums one user's contributions in a dense array, then emits the touched items
// in id order: no allocation per event, O(d log d) per user of degree d.
class RowAccumulator {
 public:
  explicit RowAccumulator(std::int32_t n_items)
      : sums_(static_cast<std::size_t>(n_items), 0.0), seen_(static_cast<std::size_t>(n_items), 0) {}

  void add(std::int32_t item, double signal) {
    if (!seen_[item]) {
      seen_[item] = 1;
      touched_.push_back(item);
    }
    sums_[item] += signal;
  }

  void finish_row(std::int32_t user, FeedbackMatrix& out) {
    std::sort(touched_.begin(), touched_.end());
    for (std::int32_t item : touched_) {
      const double sum = sums_[item];
      sums_[item] = 0.0;
      seen_[item] = 0;
      if (!std::isfinite(sum))
        throw std::invalid_argument("feedback of user " + std::to_string(user) + " on item " + std::to_string(item) +
                                    " sums to a non-finite value");
      const float value = static_cast<float>(sum);
      if (value > 0) {
        out.indices.push_back(item);
        out.values.push_back(value);
      } else if (value < 0) {
        out.negatives.indices.push_back(item);
        out.negatives.values.push_back(-value);
      }
    }
    touched_.clear();
    out.indptr.push_back(static_cast<std::int64_t>(out.indices.size()));
    out.negatives.indptr.push_back(static_cast<std::int64_t>(out.negatives.indices.size()));
  }

 private:
  std::vector<double> sums_;
  std::vector<std::uint8_t> seen_;
  std::vector<std::int32_t> touched_;
};

FeedbackMatrix empty_feedback(std::int32_t n_users, std::int32_t n_items) {
  FeedbackMatrix out;
  out.n_users = n_users;
  out.n_items = n_items;
  out.indptr.reserve(static_cast<std::size_t>(n_users) + 1);
  out.negatives = SparseRows::empty(0, n_items);
  out.negatives.n_rows = n_users;
  out.negatives.indptr.reserve(static_cast<std::size_t>(n_users) + 1);
  return out;
}

// Orders `keys` (row of each entry) by row with a counting sort: returns the
// entry positions grouped by row and the row start offsets.
void group_by_row(std::span<const std::int32_t> keys, std::int32_t rows, std::vector<std::int64_t>& starts,
                  std::vector<std::int64_t>& order) {
  starts.assign(static_cast<std::size_t>(rows) + 1, 0);
  for (std::int32_t key : keys) ++starts[key + 1];
  for (std::int32_t r = 0; r < rows; ++r) starts[r + 1] += starts[r];
  order.resize(keys.size());
  std::vector<std::int64_t> next(starts.begin(), starts.end() - 1);
  for (std::size_t i = 0; i < keys.size(); ++i) order[next[keys[i]]++] = static_cast<std::int64_t>(i);
}

}  // namespace

SparseRows SparseRows::empty(std::int32_t rows, std::int32_t cols) {
  SparseRows out;
  out.n_rows = rows;
  out.n_cols = cols;
  out.indptr.assign(static_cast<std::size_t>(rows) + 1, 0);
  return out;
}

namespace {

SparseRows transpose_csr(std::int32_t n_rows, std::int32_t n_cols, std::span<const std::int64_t> indptr,
                         std::span<const std::int32_t> indices, std::span<const float> values) {
  SparseRows out;
  out.n_rows = n_cols;
  out.n_cols = n_rows;
  out.indptr.assign(static_cast<std::size_t>(n_cols) + 1, 0);
  for (std::int32_t col : indices) ++out.indptr[col + 1];
  for (std::int32_t c = 0; c < n_cols; ++c) out.indptr[c + 1] += out.indptr[c];
  out.indices.resize(indices.size());
  out.values.resize(values.size());
  std::vector<std::int64_t> next(out.indptr.begin(), out.indptr.end() - 1);
  // Rows are visited in order, so each output row comes out sorted.
  for (std::int32_t r = 0; r < n_rows; ++r) {
    for (std::int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
      const std::int64_t slot = next[indices[k]]++;
      out.indices[slot] = r;
      out.values[slot] = values[k];
    }
  }
  return out;
}

void validate_csr(const std::string& what, std::int32_t n_rows, std::int32_t n_cols,
                  std::span<const std::int64_t> indptr, std::span<const std::int32_t> indices,
                  std::span<const float> values) {
  auto check = [&](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(what + ": " + message);
  };
  check(n_rows >= 0 && n_cols >= 0, "negative dimensions");
  check(static_cast<std::int64_t>(indptr.size()) == static_cast<std::int64_t>(n_rows) + 1,
        "indptr has " + std::to_string(indptr.size()) + " entries for " + std::to_string(n_rows) + " rows");
  const auto nnz = static_cast<std::int64_t>(indices.size());
  check(indptr.front() == 0 && indptr.back() == nnz, "indptr does not span its entries");
  check(values.size() == indices.size(), "values do not match indices");
  // All of indptr first: with it non-decreasing from 0 to nnz, every row's entries are in range (checking a
  // row's bound only when the row is reached let an earlier row run past the arrays; found by fuzz_model_file).
  for (std::int32_t r = 0; r < n_rows; ++r)
    check(indptr[r] <= indptr[r + 1], "indptr decreases at row " + std::to_string(r));
  for (std::int32_t r = 0; r < n_rows; ++r) {
    for (std::int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
      check(indices[k] >= 0 && indices[k] < n_cols, "column " + std::to_string(indices[k]) + " out of range");
      check(k == indptr[r] || indices[k - 1] < indices[k], "row " + std::to_string(r) + " is not sorted and unique");
    }
  }
}

}  // namespace

SparseRows SparseRows::transpose() const { return transpose_csr(n_rows, n_cols, indptr, indices, values); }

void SparseRows::validate(const std::string& what) const {
  validate_csr(what, n_rows, n_cols, indptr, indices, values);
}

SparseRows FeedbackMatrix::positives() const {
  SparseRows out;
  out.n_rows = n_users;
  out.n_cols = n_items;
  out.indptr = indptr.to_vector();
  out.indices = indices.to_vector();
  out.values = values.to_vector();
  return out;
}

SparseRows FeedbackMatrix::by_item() const { return transpose_csr(n_users, n_items, indptr, indices, values); }

void FeedbackMatrix::validate() const {
  validate_csr("feedback", n_users, n_items, indptr, indices, values);
  for (float v : values)
    if (!(v > 0) || !std::isfinite(v)) throw std::invalid_argument("feedback: values must be finite and > 0");
  if (negatives.n_rows != n_users || negatives.n_cols != n_items)
    throw std::invalid_argument("feedback: negatives have other dimensions than the positives");
  negatives.validate("negative feedback");
}

FeedbackMatrix build_feedback(const Dataset& dataset, const std::vector<std::int64_t>* events) {
  const Interactions& log = dataset.interactions;
  const std::int32_t n_users = log.n_users;
  FeedbackMatrix out = empty_feedback(n_users, log.n_items);
  RowAccumulator row(log.n_items);
  auto signal_of = [&](std::int64_t e) {
    const std::int16_t code = log.event(e);
    const float signal = code >= 0 && static_cast<std::size_t>(code) < dataset.event_signal.size()
                             ? dataset.event_signal[code]
                             : 1.0f;
    return static_cast<double>(log.weight(e)) * signal;
  };

  if (events == nullptr) {
    out.indices.reserve(static_cast<std::size_t>(log.size()));
    out.values.reserve(static_cast<std::size_t>(log.size()));
    for (std::int32_t u = 0; u < n_users; ++u) {
      for (std::int64_t e = log.begin(u); e < log.end(u); ++e) row.add(log.items[e], signal_of(e));
      row.finish_row(u, out);
    }
    return out;
  }

  // Group the chosen events by user (the user of an event is found from indptr).
  std::vector<std::int32_t> user_of(events->size());
  std::vector<std::uint64_t> used(static_cast<std::size_t>(log.size() / 64 + 1), 0);
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::int64_t e = (*events)[i];
    if (e < 0 || e >= log.size())
      throw UsageError("events: index " + std::to_string(e) + " is out of range [0, " + std::to_string(log.size()) +
                       ")");
    std::uint64_t& word = used[static_cast<std::size_t>(e / 64)];
    const std::uint64_t bit = std::uint64_t{1} << (e % 64);
    if (word & bit) throw UsageError("events: index " + std::to_string(e) + " is listed twice");
    word |= bit;
    user_of[i] = static_cast<std::int32_t>(std::upper_bound(log.indptr.begin(), log.indptr.end(), e) -
                                           log.indptr.begin() - 1);
  }
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> order;
  group_by_row(user_of, n_users, starts, order);
  out.indices.reserve(events->size());
  out.values.reserve(events->size());
  for (std::int32_t u = 0; u < n_users; ++u) {
    for (std::int64_t k = starts[u]; k < starts[u + 1]; ++k) {
      const std::int64_t e = (*events)[order[k]];
      row.add(log.items[e], signal_of(e));
    }
    row.finish_row(u, out);
  }
  return out;
}

FeedbackMatrix build_feedback(std::int32_t n_users, std::int32_t n_items, std::span<const FeedbackEntry> entries) {
  if (n_users < 0 || n_items < 0) throw UsageError("feedback: negative dimensions");
  std::vector<std::int32_t> users(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const FeedbackEntry& entry = entries[i];
    if (entry.user < 0 || entry.user >= n_users)
      throw UsageError("user: id " + std::to_string(entry.user) + " is out of range [0, " + std::to_string(n_users) + ")");
    if (entry.item < 0 || entry.item >= n_items)
      throw UsageError("item: id " + std::to_string(entry.item) + " is out of range [0, " + std::to_string(n_items) + ")");
    users[i] = entry.user;
  }
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> order;
  group_by_row(users, n_users, starts, order);
  FeedbackMatrix out = empty_feedback(n_users, n_items);
  RowAccumulator row(n_items);
  for (std::int32_t u = 0; u < n_users; ++u) {
    for (std::int64_t k = starts[u]; k < starts[u + 1]; ++k) row.add(entries[order[k]].item, entries[order[k]].signal);
    row.finish_row(u, out);
  }
  return out;
}

}  // namespace segue

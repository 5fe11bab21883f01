#include "models/partial_fit.h"

#include <algorithm>
#include <vector>

#include "data/error.h"

namespace segue {

std::int32_t count_new_ids(std::int32_t n_rows, std::span<const std::int32_t> ids, const std::string& what) {
  std::vector<std::int32_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    if (sorted[k] < 0) throw UsageError(what + ": id " + std::to_string(sorted[k]) + " is negative");
    if (k > 0 && sorted[k] == sorted[k - 1])
      throw UsageError(what + ": id " + std::to_string(sorted[k]) + " is given twice");
  }
  std::int32_t fresh = 0;
  for (std::int32_t id : sorted)
    if (id >= n_rows) {
      if (id != n_rows + fresh)
        throw UsageError(what + ": new id " + std::to_string(id) + " leaves a gap: new ids must be " +
                         std::to_string(n_rows) + ", " + std::to_string(n_rows + 1) + ", ... (the model has " +
                         std::to_string(n_rows) + ")");
      ++fresh;
    }
  return fresh;
}

SparseRows replace_rows(const SparseRows& base, std::span<const std::int32_t> ids, const SparseRows& rows,
                        const std::string& what) {
  if (rows.n_rows != static_cast<std::int32_t>(ids.size()))
    throw UsageError(what + ": " + std::to_string(ids.size()) + " ids for " + std::to_string(rows.n_rows) + " rows");
  if (rows.n_cols != base.n_cols)
    throw UsageError(what + ": the new rows have " + std::to_string(rows.n_cols) + " columns, the model " +
                     std::to_string(base.n_cols));
  const std::int32_t fresh = count_new_ids(base.n_rows, ids, what);
  SparseRows out;
  out.n_rows = base.n_rows + fresh;
  out.n_cols = base.n_cols;
  std::vector<std::int32_t> source(static_cast<std::size_t>(out.n_rows), -1);
  for (std::size_t r = 0; r < ids.size(); ++r) source[static_cast<std::size_t>(ids[r])] = static_cast<std::int32_t>(r);
  out.indptr.assign(static_cast<std::size_t>(out.n_rows) + 1, 0);
  for (std::int32_t r = 0; r < out.n_rows; ++r) {
    const std::int32_t s = source[static_cast<std::size_t>(r)];
    out.indptr[r + 1] = out.indptr[r] + (s >= 0 ? rows.count(s) : base.count(r));
  }
  out.indices.reserve(static_cast<std::size_t>(out.indptr.back()));
  out.values.reserve(static_cast<std::size_t>(out.indptr.back()));
  for (std::int32_t r = 0; r < out.n_rows; ++r) {
    const std::int32_t s = source[static_cast<std::size_t>(r)];
    const SparseRows& from = s >= 0 ? rows : base;
    const std::int32_t row = s >= 0 ? s : r;
    const auto idx = from.row_indices(row);
    const auto val = from.row_values(row);
    out.indices.insert(out.indices.end(), idx.begin(), idx.end());
    out.values.insert(out.values.end(), val.begin(), val.end());
  }
  return out;
}

}  // namespace segue

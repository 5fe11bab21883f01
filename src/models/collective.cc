#include "models/collective.h"

#include <algorithm>

namespace segue {

std::vector<std::int64_t> balanced_blocks(std::span<const std::int64_t> indptr, int parts) {
  const auto n = static_cast<std::int64_t>(indptr.size()) - 1;
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(parts) + 1, n);
  offsets[0] = 0;
  const std::int64_t total = indptr[n] - indptr[0] + n;  // Σ (entries + 1)
  // Row r starts at weight (indptr[r] - indptr[0]) + r; block p begins at the
  // first row whose starting weight reaches p / parts of the total.
  std::int64_t row = 0;
  for (int p = 1; p < parts; ++p) {
    const std::int64_t target = total * p / parts;
    while (row < n && (indptr[row] - indptr[0]) + row < target) ++row;
    offsets[static_cast<std::size_t>(p)] = row;
  }
  return offsets;
}

void sum_changes(Collective& ranks, std::span<float> rows, std::span<const float> start) {
  for (std::size_t x = 0; x < rows.size(); ++x) rows[x] -= start[x];
  ranks.allreduce_sum(rows.data(), static_cast<std::int64_t>(rows.size()));
  for (std::size_t x = 0; x < rows.size(); ++x) rows[x] += start[x];
}

}  // namespace segue

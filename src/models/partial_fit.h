// Row surgery for incremental updates (Recommender::partial_fit_users /
// partial_fit_items): replacing some rows of a CSR matrix and appending new
// ones, in one O(nnz) pass, with the ids checked.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "models/feedback.h"

namespace segue {

// `base` with row ids[r] replaced by row r of `rows` (same n_cols). Ids
// >= base.n_rows append rows: together they must be exactly base.n_rows,
// base.n_rows + 1, ... (any order), so the result has base.n_rows + that many
// rows. Ids must be unique. UsageError naming `what` ("users", "items") for a
// negative, repeated or gapped id or a row count / width mismatch.
SparseRows replace_rows(const SparseRows& base, std::span<const std::int32_t> ids, const SparseRows& rows,
                        const std::string& what);

// How many of `ids` are new (>= n_rows), after the checks of replace_rows.
std::int32_t count_new_ids(std::int32_t n_rows, std::span<const std::int32_t> ids, const std::string& what);

}  // namespace segue

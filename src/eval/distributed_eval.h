// evaluate() across the ranks of an mpirun job (docs/SCALE.md): each rank
// ranks its own block of test users, the kept top-k lists are gathered to every
// rank, and the metrics are computed from the whole set of lists by
// evaluate_lists() — the same users, per-user values and catalogue-wide figures
// as one process (the lists are identical, so every metric is).
#pragma once

#include "eval/evaluator.h"
#include "models/collective.h"

namespace segue {

// As evaluate(model, train, test, options) on every rank, with the scoring
// split. The model must be the same fitted model on every rank. UsageError for
// EvalOptions::candidates (not supported across ranks yet).
EvalResult evaluate_distributed(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test,
                                const EvalOptions& options, Collective& ranks);

// The rows [first, last) of `rows` in a matrix of the same shape (others empty).
FeedbackMatrix keep_user_block(const FeedbackMatrix& rows, std::int32_t first, std::int32_t last);

}  // namespace segue

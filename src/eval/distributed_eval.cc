#include "eval/distributed_eval.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "data/error.h"

namespace segue {
namespace {

SparseRows keep_rows(const SparseRows& rows, std::int32_t first, std::int32_t last) {
  SparseRows out = SparseRows::empty(rows.n_rows, rows.n_cols);
  if (rows.nnz() == 0) return out;
  const std::int64_t begin = rows.indptr[first], end = rows.indptr[last];
  for (std::int32_t r = 0; r < rows.n_rows; ++r)
    out.indptr[r + 1] = std::clamp(rows.indptr[r + 1], begin, end) - begin;
  out.indices.assign(rows.indices.begin() + begin, rows.indices.begin() + end);
  out.values.assign(rows.values.begin() + begin, rows.values.begin() + end);
  return out;
}

}  // namespace

FeedbackMatrix keep_user_block(const FeedbackMatrix& rows, std::int32_t first, std::int32_t last) {
  FeedbackMatrix out;
  out.n_users = rows.n_users;
  out.n_items = rows.n_items;
  const std::int64_t begin = rows.indptr[first], end = rows.indptr[last];
  out.indptr.assign(static_cast<std::size_t>(rows.n_users) + 1, 0);
  for (std::int32_t u = 0; u < rows.n_users; ++u)
    out.indptr.at_mut(static_cast<std::size_t>(u) + 1) = std::clamp(rows.indptr[u + 1], begin, end) - begin;
  // The block's entries are read in place (the caller's matrix outlives this one).
  out.indices = Buffer<std::int32_t>::borrow(rows.indices.data() + begin, static_cast<std::size_t>(end - begin));
  out.values = Buffer<float>::borrow(rows.values.data() + begin, static_cast<std::size_t>(end - begin));
  out.negatives = keep_rows(rows.negatives, first, last);
  return out;
}

EvalResult evaluate_distributed(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test,
                                const EvalOptions& options, Collective& ranks) {
  if (options.candidates != nullptr)
    throw UsageError("--candidates is not supported across MPI ranks yet: run without mpirun");
  const auto start = std::chrono::steady_clock::now();
  // Equal numbers of users per rank: scoring costs about the same per user (a pass over every item).
  const std::int64_t n = test.n_users, p = ranks.size(), r = ranks.rank();
  const auto first = static_cast<std::int32_t>(n * r / p), last = static_cast<std::int32_t>(n * (r + 1) / p);
  EvalOptions mine_options = options;
  mine_options.keep_lists = true;
  const EvalResult mine = evaluate(model, train, keep_user_block(test, first, last), mine_options);

  // Each evaluated user's list, flattened: (user, count) pairs, then the items and scores.
  std::vector<std::int32_t> heads, items;
  std::vector<float> scores;
  for (std::size_t row = 0; row < mine.users.size(); ++row) {
    const std::int32_t count = mine.list_counts[row];
    heads.push_back(mine.users[row]);
    heads.push_back(count);
    for (std::int32_t j = 0; j < count; ++j) {
      const ScoredItem& s = mine.lists[row * static_cast<std::size_t>(mine.list_k) + static_cast<std::size_t>(j)];
      items.push_back(s.item);
      scores.push_back(s.score);
    }
  }
  const std::vector<std::int32_t> all_heads = ranks.allgather(heads);
  const std::vector<std::int32_t> all_items = ranks.allgather(items);
  const std::vector<float> all_scores = ranks.allgather(scores);

  // Users come back in rank order, each rank's ascending: ascending overall (the blocks are in order).
  RankedLists lists;
  lists.n_users = test.n_users;
  lists.indptr.assign(static_cast<std::size_t>(test.n_users) + 1, 0);
  std::vector<std::int64_t> start_of(static_cast<std::size_t>(test.n_users), -1);
  std::int64_t offset = 0;
  for (std::size_t h = 0; h + 1 < all_heads.size(); h += 2) {
    const std::int32_t user = all_heads[h], count = all_heads[h + 1];
    if (user < 0 || user >= test.n_users || count < 0) throw std::runtime_error("evaluate_distributed: bad list");
    lists.indptr[static_cast<std::size_t>(user) + 1] = count;
    start_of[static_cast<std::size_t>(user)] = offset;
    offset += count;
  }
  for (std::int32_t u = 0; u < test.n_users; ++u) lists.indptr[u + 1] += lists.indptr[u];
  lists.items = all_items;  // in user order already

  EvalResult result = evaluate_lists(lists, train, test, options, mine.model);
  if (options.keep_lists)  // evaluate_lists keeps no scores: the model's, from the rank that ranked the user
    for (std::size_t row = 0; row < result.users.size(); ++row) {
      const std::int64_t at = start_of[static_cast<std::size_t>(result.users[row])];
      for (std::int32_t j = 0; j < result.list_counts[row] && at >= 0; ++j)
        result.lists[row * static_cast<std::size_t>(result.list_k) + static_cast<std::size_t>(j)].score =
            all_scores[static_cast<std::size_t>(at + j)];
    }
  result.model = mine.model;
  result.fit_seconds = mine.fit_seconds;
  result.fit_stats = mine.fit_stats;
  result.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace segue

// Full-ranking evaluation of any Recommender on a train/test pair: every item
// is a candidate, the user's training items are excluded, metrics per user.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eval/metrics.h"
#include "models/feedback.h"
#include "models/recommender.h"

namespace segue {

class ThreadPool;

struct EvalOptions {
  std::vector<std::string> metrics{"ndcg@10", "recall@10", "precision@10", "map@10",
                                   "mrr@10",  "hit@10",    "coverage@10"};
  // Exclude each user's training items from the ranking; a test item that was
  // also a training item of the user is then not counted as relevant (it could
  // never be hit).
  bool exclude_train = true;
  std::int32_t block_users = 256;               // users scored per score_users() call
  std::int64_t max_block_floats = 32ll << 20;   // caps block_users × n_items per thread (128 MiB)
  ThreadPool* pool = nullptr;                   // null = the process pool
  bool keep_lists = false;                      // keep every evaluated user's top-K list (K = largest cut-off)
};

struct MetricResult {
  std::string name;            // "ndcg@10"
  bool per_user = true;        // false: catalogue-wide (coverage): values is empty
  std::vector<double> values;  // one per EvalResult::users entry, same order
  double mean = 0.0;           // mean of values, or the catalogue-wide value
};

struct EvalResult {
  std::string model;                // canonical spec of the model evaluated
  std::vector<std::int32_t> users;  // evaluated users, ascending ids
  std::vector<MetricResult> metrics;  // in EvalOptions::metrics order

  // Every test user is accounted for:
  // test_users = evaluated_users + cold_users + repeat_only_users.
  std::int64_t test_users = 0;         // users with >= 1 positive test item
  std::int64_t evaluated_users = 0;    // with >= 1 training item and >= 1 relevant test item
  std::int64_t cold_users = 0;         // no training item: not evaluated (cold start)
  std::int64_t repeat_only_users = 0;  // every test item was already a training item (exclude_train)
  std::int64_t relevant_items = 0;     // Σ |relevant| over evaluated users

  std::int32_t list_k = 0;  // keep_lists: users.size() lists of up to list_k items
  std::vector<ScoredItem> lists;       // row r at lists[r * list_k], list_counts[r] long
  std::vector<std::int32_t> list_counts;

  double fit_seconds = 0.0;   // from the model (Recommender::fit_seconds)
  double eval_seconds = 0.0;

  const MetricResult* find(std::string_view name) const;  // null when not computed
};

// Train and test share dimensions (test ids already mapped into train's id
// maps), and the model was fitted on train. UsageError on mismatched
// dimensions, an unfitted model or a bad metric name. Per-user values do not
// depend on the number of threads.
EvalResult evaluate(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test,
                    const EvalOptions& options = {});

}  // namespace segue

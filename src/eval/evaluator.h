// Full-ranking evaluation of any Recommender on a train/test pair (every item
// is a candidate, the user's training items are excluded), or of ranked lists
// made elsewhere (a recs file): the same metric code, per-user vectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eval/beyond_accuracy.h"
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
  // Item feature vectors in train's item ids, for ild@k (UsageError without).
  // Item popularity for novelty, arp, unexpectedness and gini comes from train.
  const ItemFeatures* item_features = nullptr;
  // Users need >= 1 training item to be evaluated (full ranking: a cold user
  // has nothing to rank from). evaluate_lists() may turn it off when lists
  // come from elsewhere and there is no training data.
  bool require_train_items = true;
  // Candidate restriction (`segue eval --candidates`, cold-start protocols):
  // when set, one flag per item (n_items long, 1 = candidate). Only candidates
  // are ranked: every other item is excluded from every list (as if it were a
  // training item of every user); a test item that is not a candidate is not
  // relevant (it could never be hit; users left with none are counted in
  // EvalResult::non_candidate_only_users); coverage@k and gini@k are over the
  // candidates. Models are scored through score_users() (whole rows) and the
  // top-k is selected over the candidates only. evaluate() only:
  // evaluate_lists() and evaluate_sampled() reject it (UsageError).
  const std::vector<std::uint8_t>* candidates = nullptr;
};

struct MetricResult {
  std::string name;            // "ndcg@10"
  bool per_user = true;        // false: catalogue-wide (coverage): values is empty
  std::vector<double> values;  // one per EvalResult::users entry, same order
  double mean = 0.0;           // mean of the defined values, or the catalogue-wide value
  std::int64_t undefined_users = 0;  // values that are NaN (metric undefined for the user): not in the mean
  bool lower_is_better = false;      // clicks
};

struct EvalResult {
  std::string model;                // canonical spec of the model evaluated
  std::vector<std::int32_t> users;  // evaluated users, ascending ids
  std::vector<MetricResult> metrics;  // in EvalOptions::metrics order

  // Every test user is accounted for:
  // test_users = evaluated_users + cold_users + repeat_only_users
  //              + non_candidate_only_users.
  std::int64_t test_users = 0;         // users with >= 1 positive test item
  std::int64_t evaluated_users = 0;    // with >= 1 training item and >= 1 relevant test item
  std::int64_t cold_users = 0;         // no training item: not evaluated (cold start)
  std::int64_t repeat_only_users = 0;  // every test item was already a training item (exclude_train)
  std::int64_t non_candidate_only_users = 0;  // EvalOptions::candidates: no relevant test item is a candidate
  std::int64_t candidate_items = 0;           // EvalOptions::candidates: items in the set (0 = no restriction)
  std::int64_t relevant_items = 0;     // Σ |relevant| over evaluated users
  // Evaluated users whose list is empty (all zeros; e.g. missing from a recs
  // file) or shorter than the largest cut-off (the missing ranks are misses).
  std::int64_t empty_list_users = 0;
  std::int64_t short_list_users = 0;

  std::int32_t list_k = 0;  // keep_lists: users.size() lists of up to list_k items
  std::vector<ScoredItem> lists;       // row r at lists[r * list_k], list_counts[r] long
  std::vector<std::int32_t> list_counts;

  double fit_seconds = 0.0;   // from the model (Recommender::fit_seconds)
  std::vector<std::pair<std::string, double>> fit_stats;  // Recommender::fit_stats (e.g. epochs run)
  double eval_seconds = 0.0;

  // evaluate_sampled() only: negatives asked per user, and the evaluated users
  // that had fewer eligible items than that (they got all they had).
  std::int32_t sampled_negatives = 0;
  std::int64_t sampled_short_users = 0;

  const MetricResult* find(std::string_view name) const;  // null when not computed
};

// Train and test share dimensions (test ids already mapped into train's id
// maps), and the model was fitted on train. UsageError on mismatched
// dimensions, an unfitted model or a bad metric name. Per-user values do not
// depend on the number of threads.
EvalResult evaluate(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test,
                    const EvalOptions& options = {});

// Ranked lists made elsewhere, in CSR by user over train's ids: user u's list,
// best first, is items[indptr[u] .. indptr[u+1]); a slot may hold kUnknownItem
// (an item train does not know: a miss that keeps its rank).
struct RankedLists {
  std::int32_t n_users = 0;
  std::vector<std::int64_t> indptr{0};  // n_users + 1
  std::vector<std::int32_t> items;

  std::span<const std::int32_t> list_of(std::int32_t user) const {
    return {items.data() + indptr[user], static_cast<std::size_t>(indptr[user + 1] - indptr[user])};
  }
};

// The same evaluation as evaluate() over given lists: the same users, the same
// per-user values for the same ranking. A user's list is used as given (no
// training item is removed from it; only the first max-k slots count); a user
// without a list gets an empty one (counted in empty_list_users). UsageError
// on mismatched dimensions or a bad metric name.
EvalResult evaluate_lists(const RankedLists& lists, const FeedbackMatrix& train, const FeedbackMatrix& test,
                          const EvalOptions& options = {}, std::string label = "recs");

// Sampled ranking, an explicit alternative to full ranking (its numbers are not
// comparable with full ranking; docs/METRICS.md, Krichene & Rendle 2020). For
// each evaluated user (the same users as evaluate()), the candidates are the
// user's relevant test items plus `negatives` items drawn uniformly without
// replacement from the items the user has in neither train nor test; the draw
// is seeded by (seed, user id), so it does not depend on threads or on the
// model. The candidates are ordered by the model's scores (ties by lower item
// id) and every metric reads that list (so its length is |rel| + negatives).
// A user with fewer eligible items than `negatives` gets all of them (counted
// in EvalResult::sampled_short_users). UsageError for negatives < 1, and as
// evaluate().
struct SampledProtocol {
  std::int32_t negatives = 100;
  std::uint64_t seed = 42;
};
EvalResult evaluate_sampled(const Recommender& model, const FeedbackMatrix& train, const FeedbackMatrix& test,
                            const SampledProtocol& protocol, const EvalOptions& options = {});

// The candidate negatives of evaluate_sampled() for one user, ascending
// (exposed for tests): `negatives` uniform draws without replacement from the
// items in neither train.items_of(user) nor test.items_of(user).
std::vector<std::int32_t> sampled_negatives(const FeedbackMatrix& train, const FeedbackMatrix& test,
                                            std::int32_t user, const SampledProtocol& protocol);

}  // namespace segue

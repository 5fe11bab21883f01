// itemknn: item-based nearest neighbours. An item's neighbours are the k items
// most similar to it over the users who listened to both (sparse, weighted
// play counts, see knn/similarity.h); a user's score for item i sums the
// similarities of i's neighbours the user listened to:
//   score(u, i) = Σ_{j ∈ history(u) ∩ N_k(i)} w_uj · sim(i, j)
#pragma once

#include <vector>

#include "models/knn/similarity.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters (docs/MODELS.md has the table and the validation figures):
//   k               int [1, 100000], default 100: neighbours kept per item
//   similarity      cosine | asymmetric | jaccard, default cosine
//   alpha           float [0, 1], default 0.5: asymmetric cosine exponent
//   shrink          float [0, 1e6], default 10: added to the denominator
//   weighting       none | log | bm25 | tfidf, default none: features the similarity is computed on
//   bm25_k1, bm25_b floats, default 1.2, 0.75: BM25 saturation and length normalisation
//   normalize       bool, default true: scale each kept row of similarities to sum 1
//   history_weight  binary | log | raw, default log: w_uj from the user's summed signal
//   prune           source (default): each history item j passes score only to
//                   its own k nearest items (implicit's ItemItemRecommender);
//                   target: keep each item i's k nearest N_k(i), the sum runs
//                   over history ∩ N_k(i)
class ItemKnn final : public Recommender {
 public:
  explicit ItemKnn(const ModelSpec& spec);

  // Row i: sim(i, j) for the items j that can score i, columns sorted (prune=target:
  // i's k nearest; prune=source: the items that have i among their k nearest).
  const SparseRows& similarity() const { return neighbors_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // The item's neighbours, most similar first (at most k of them, so the list
  // may be shorter than n).
  std::vector<ScoredItem> similar_items(std::int32_t item, std::int32_t n) const override;
  // The user's history items j with the largest w_uj · sim(i, j); the shares are
  // of the score (the top 10 are listed, so they sum to <= 1).
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // Partial fit: scores follow from history() alone (the item neighbours keep the fit's).
  bool supports_partial_fit() const override { return true; }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  void accumulate(std::span<const std::int32_t> items, std::span<const float> values, float* out) const;

  knn::SimilarityParams similarity_;
  knn::WeightingParams weighting_;
  knn::HistoryWeight history_weight_;
  bool prune_source_ = false;
  SparseRows neighbors_;  // n_items × n_items, row i = N_k(i)
  SparseRows by_source_;  // neighbors_ transposed: row j = the items i with j ∈ N_k(i)
};

ModelInfo item_knn_info();

}  // namespace segue

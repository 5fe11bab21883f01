// userknn: user-based nearest neighbours. A user's neighbours are the k users
// most similar to them over shared items (sparse, weighted play counts, see
// knn/similarity.h); the user's score for item i sums the neighbours' weights:
//   score(u, i) = Σ_{v ∈ N_k(u)} sim(u, v) · w_vi
#pragma once

#include <vector>

#include "models/knn/similarity.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters: as itemknn (k, similarity, alpha, shrink, weighting, bm25_k1,
// bm25_b, normalize, history_weight), over users instead of items; see
// docs/MODELS.md. A new user (fold-in) is weighted with the training
// statistics and compared with every training user.
class UserKnn final : public Recommender {
 public:
  explicit UserKnn(const ModelSpec& spec);

  // Row u: the neighbours v of user u with sim(u, v), columns sorted.
  const SparseRows& neighbors() const { return neighbors_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // The user's history items j ranked by their part of the score: sim(u, v) is a
  // sum over shared items of f_uj · f_vj / denominator, so the score splits
  // exactly over j; shares of the top 10 (sum <= 1).
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // Partial fit: the updated users' neighbours are recomputed from their new
  // histories (features re-weighted from the whole history, O(nnz)); other
  // users' neighbour lists keep the fit's until the next fit.
  bool supports_partial_fit() const override { return true; }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  void prepare_features();  // features_, by_item_, norms_, stats_ from history()
  void accumulate(std::span<const std::int32_t> users, std::span<const float> sims, float* out) const;

  knn::SimilarityParams similarity_;
  knn::WeightingParams weighting_;
  knn::HistoryWeight history_weight_;
  knn::WeightingStats stats_;
  SparseRows features_;   // users × items, weighted
  SparseRows by_item_;    // features_ transposed
  std::vector<float> norms_;  // Σ f² per user
  SparseRows neighbors_;  // n_users × n_users
};

ModelInfo user_knn_info();

}  // namespace segue

// Diversity re-ranking by Maximal Marginal Relevance (Carbonell & Goldstein,
// SIGIR 1998): from a model's top-N candidates (best first), pick greedily
//   argmax_{i ∉ S}  λ · rel(i) − (1 − λ) · max_{j ∈ S} sim(i, j)
// where rel is the base score min-max scaled over the N candidates to [0, 1]
// (top = 1; all 1 when the scores are equal), sim is a cosine of item vectors
// and max over an empty S is 0 — so the first pick is always the base top item,
// λ = 1 keeps the base order and λ = 0 picks each next item as unlike the picked
// ones as possible. Ties go to the item earlier in the base list.
// `mmr:base=itemknn,lambda=0.7,candidates=100` wraps any registry model, so
// `segue eval --model mmr:...` measures the trade-off (bench/diversity_curve.sh).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Cosines between items: unit-normalised item rows (zero rows have cosine 0
// with everything), sparse so that features, factors and interaction columns
// share one form.
class ItemSimilarity {
 public:
  ItemSimilarity() = default;
  // Rows of the feature matrix (features/feature_matrix.h).
  static ItemSimilarity from_features(const FeatureMatrix& features);
  // Dense n × dim row-major item vectors (factor models' item factors).
  static ItemSimilarity from_vectors(std::span<const float> vectors, std::int32_t n, std::int32_t dim);
  // Item columns of the interaction matrix (users × items), binarised: the
  // cosine of the items' listener sets.
  static ItemSimilarity from_interactions(const SparseRows& user_rows);
  // Normalises the rows unless they are known to be unit already (a loaded model).
  static ItemSimilarity from_rows(SparseRows rows, bool normalise = true);

  float operator()(std::int32_t a, std::int32_t b) const;
  const SparseRows& rows() const { return rows_; }
  std::int32_t n_items() const { return rows_.n_rows; }

 private:
  SparseRows rows_;
};

// Reranks `candidates` (the base list, best first) and writes the first
// min(k, candidates.size()) MMR picks to out, best first, each with its base
// score; returns how many. lambda outside [0, 1] is a UsageError.
// Thread-safe (scratch owned by the call).
std::int32_t mmr_rerank(std::span<const ScoredItem> candidates, std::int32_t k, double lambda,
                        const ItemSimilarity& similarity, ScoredItem* out);
std::vector<ScoredItem> mmr_rerank(std::span<const ScoredItem> candidates, std::int32_t k, double lambda,
                                   const ItemSimilarity& similarity);

// Parameters (docs/MODELS.md):
//   base        string, default itemknn: the base model's name (default parameters)
//   base_spec   string, default "": the base model's spec with ';' between parameters (wins)
//   lambda      float [0, 1], default 0.7: relevance weight (1 = the base ranking)
//   candidates  int [1, 100000], default 100: N, the base list that is reranked
//   similarity  auto | features | factors | interactions, default auto: features
//               when fit gets item features, else the item factors of a factor
//               model, else the items' listener sets
// Scores: the reranked candidates score N − rank (N, N−1, ...); every other item
// keeps the base order below them, in [-2, -1].
class MmrModel final : public Recommender {
 public:
  explicit MmrModel(const ModelSpec& spec);

  const Recommender& base() const { return *base_; }
  const ItemSimilarity& similarity() const { return similarity_; }
  const std::string& similarity_kind() const { return kind_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void top_k_users(std::span<const std::int32_t> users, std::span<const std::span<const std::int32_t>> exclude,
                   std::int32_t k, ScoredItem* out, std::int32_t* counts) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  std::vector<ScoredItem> similar_items(std::int32_t item, std::int32_t n) const override;
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // Partial fit: when the base model can (its users updated too); the item
  // similarity keeps the fit's.
  bool supports_partial_fit() const override { return base_->supports_partial_fit(); }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  // Rewrites a base score row: MMR order over the top-N (excluding `exclude`).
  void rerank_row(float* row, std::span<const std::int32_t> exclude) const;

  std::unique_ptr<Recommender> base_;
  ItemSimilarity similarity_;
  std::string kind_;  // the similarity used: features | factors | interactions
  double lambda_ = 0.7;
  std::int32_t candidates_ = 100;
};

ModelInfo mmr_info();

}  // namespace segue

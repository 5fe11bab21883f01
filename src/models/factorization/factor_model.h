// FactorModel: the base of every matrix-factorisation model (iALS, BPR, ...):
// score(u, i) = U[u] · V[i], scored in blocks with one SGEMM, saved as two arrays.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/factorization/score_kernel.h"
#include "models/recommender.h"

namespace segue {

// Subclasses implement fit_model (ending with set_factors) and score_history
// (fold_in_least_squares + score_vector is the generic way). Everything else —
// batch scoring, cosine similar_items, save/load — is here.
class FactorModel : public Recommender {
 public:
  std::int32_t factors() const { return factors_; }
  // Row-major n_users() × factors() and n_items() × factors().
  const std::vector<float>& user_factors() const { return user_factors_; }
  const std::vector<float>& item_factors() const { return item_factors_; }

  // out = U[users] · Vᵀ, by the blocked kernel of score_kernel.h.
  void score_users(std::span<const std::int32_t> users, float* out) const override;
  // Scoring fused with selection (top_k_rows_fused): no score row is stored.
  void top_k_users(std::span<const std::int32_t> users, std::span<const std::span<const std::int32_t>> exclude,
                   std::int32_t k, ScoredItem* out, std::int32_t* counts) const override;
  // Cosine of the item vectors (an item with a zero vector scores 0 with all).
  std::vector<ScoredItem> similar_items(std::int32_t item, std::int32_t n) const override;

  // Inner-product form (recommender.h): V, U[u], and the fold-in vector that
  // score_history scores with (fold_in_user: the model's own objective).
  // bpr's and hybrid's item biases are already a column of V.
  std::optional<ItemVectors> inner_product_items() const override;
  bool user_query(std::int32_t user, std::span<float> out) const override;
  bool history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                     std::span<float> out) const override;

  // out[i] = user_vector · V[i] for every item (n_items() floats).
  void score_vector(std::span<const float> user_vector, float* out) const;
  // The user vector x minimising Σ_j (w_j − x·V[items_j])² + reg·|x|², by a
  // Cholesky solve of (V_Iᵀ V_I + reg·I) x = V_Iᵀ w: fold-in for a user unseen
  // in training. `out` holds factors() floats; weights empty = all 1.
  // UsageError for reg <= 0 or mismatched sizes.
  void fold_in_least_squares(std::span<const std::int32_t> items, std::span<const float> weights, float reg,
                             std::span<float> out) const;

 protected:
  explicit FactorModel(ModelSpec spec);

  // Partial fit: a user's vector becomes fold_in_user() of their new history
  // (appended users grow user_factors()); an item's, row r of fold_in_items()
  // of its listeners (appended items grow item_factors(); norms and the
  // kernel's panels are rebuilt). Subclasses that fold in say so through
  // supports_partial_fit() / supports_partial_fit_items().
  void partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) override;
  void partial_fit_items_model(std::span<const std::int32_t> items, const SparseRows& columns) override;
  // The model's own fold-in of one history into `out` (factors() floats).
  virtual void fold_in_user(std::span<const std::int32_t> items, std::span<const float> weights,
                            std::span<float> out) const;
  // Vectors of the items whose listeners are the rows of `columns` (row r:
  // user ids, values) into out (columns.n_rows × factors(), row-major).
  virtual void fold_in_items(const SparseRows& columns, std::span<float> out) const;

  // Installs the learned factors (end of fit_model). std::invalid_argument when
  // the sizes are not n_users() × factors and n_items() × factors.
  void set_factors(std::int32_t factors, std::vector<float> user_factors, std::vector<float> item_factors);

  // Sections "<name>.factors" (int64), "<name>.user_factors", "<name>.item_factors" (float32).
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;
  // The vector length the model's own parameters imply (0 = any): load_model refuses a file whose
  // factors differ, since the fold-in and partial-fit code index rows by the parameters.
  virtual std::int32_t expected_factors() const { return 0; }

 private:
  void compute_item_norms();
  // The block's user rows, gathered contiguous into `rows` (the call's scratch).
  const float* gather_users(std::span<const std::int32_t> users, std::vector<float>& rows) const;

  std::int32_t factors_ = 0;
  std::vector<float> user_factors_;
  std::vector<float> item_factors_;
  std::vector<float> item_norms_;  // |V[i]|, for similar_items
  PackedItems packed_items_;       // V in the scoring kernel's panel layout
};

// Kept for the benchmarks that call it up front: ensure_runtime()
// (models/runtime.h), which sets OpenBLAS to one thread unless configured.
void use_single_threaded_blas();

}  // namespace segue

// ease: Embarrassingly Shallow AutoEncoder (Steck 2019), a closed-form linear
// item-item model: B = argmin |X − X·B|² + λ|B|² subject to diag(B) = 0, i.e.
//   P = (XᵀX + λI)⁻¹,   B[i][j] = −P[i][j] / P[j][j] (i ≠ j),   B[j][j] = 0,
// and a user's scores are x_u · B. Needs no retraining for new users (fold-in
// is the same product), explains a score by the history items j with the
// largest x_uj · B[j][i]. With prune=K only the K largest-magnitude weights
// of each row of B are kept (sparse rows): a user's scores are then the sum of
// the sparse rows of the user's items.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters:
//   lambda         float > 0, default 70. The L2 penalty added to the Gram
//                  matrix's diagonal.
//   weighting      string, default "binary": how a feedback value v becomes an
//                  entry of X: binary (1), log (log1p(v)) or raw (v). The same
//                  transform applies to the histories scored later.
//   solver         string, default "auto": "dense" inverts the n_items² Gram
//                  matrix by Cholesky (LAPACK spotrf + spotri, float32,
//                  n³ flops); "woodbury" uses the identity
//                    (λI + XᵀX)⁻¹ = (I − Xᵀ(λI + XXᵀ)⁻¹X) / λ,
//                  inverting the n_users² matrix instead (float64) — exact, and
//                  much cheaper when there are fewer users than items; "auto"
//                  picks the one with fewer estimated flops that fits memory.
//   max_memory_gb  float > 0, default 8: the most memory (GiB) the fit may
//                  hold in dense matrices (B is n_items² floats; woodbury adds
//                  n_users × n_items + n_users² doubles). Over it: UsageError
//                  saying how many items fit and suggesting k-core filtering.
//   prune          int >= 0, default 0: 0 keeps B dense; K > 0 keeps the K
//                  weights of largest magnitude in each row of B (ties: lower
//                  item id), as sparse rows — n_items × K instead of n_items²
//                  in memory and in the model file. The fit still needs dense B.
// Fit runs OpenBLAS/LAPACK with the pool's thread count inside a
// BlasFitThreads scope (models/runtime.h), which restores the runtime's
// blas_threads and serialises such scopes across concurrent fits.
class Ease final : public Recommender {
 public:
  explicit Ease(const ModelSpec& spec);

  // Row-major n_items × n_items, zero diagonal: score(u, i) = Σ_j x_uj B[j][i].
  // Empty when pruned. After load, a view into the mapped model file.
  std::span<const float> weights() const { return b_; }
  // The pruned rows of B (prune > 0): row j holds the kept B[j][i], indices
  // ascending. Views into the mapped model file after load.
  struct SparseWeights {
    std::span<const std::int64_t> indptr;  // n_items + 1
    std::span<const std::int32_t> indices;
    std::span<const float> values;
  };
  const SparseWeights& pruned_weights() const { return pruned_; }
  std::int32_t prune() const { return prune_; }
  // Which solver the last fit used: "dense" or "woodbury" (empty when loaded).
  const std::string& solver_used() const { return solver_used_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // Items j with the largest B[j][item] (column `item` of B: the items whose
  // presence in a history most raises `item`); itself excluded.
  std::vector<ScoredItem> similar_items(std::int32_t item, std::int32_t n) const override;
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // Partial fit: scores follow from history() alone.
  bool supports_partial_fit() const override { return true; }
  MemoryNeed fit_memory(const FeedbackMatrix& train, int threads) const override;

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  float transform(float value) const;
  void fit_dense(const FeedbackMatrix& train, const FitContext& context);
  // out[0..n_items) = Σ_k transform(values_k) · B[items_k][:].
  void accumulate(std::span<const std::int32_t> items, std::span<const float> values, float* out) const;
  // B[from][to], dense or pruned (0 when pruned away).
  float weight(std::int32_t from, std::int32_t to) const;
  // Keeps the top prune_ weights of each row of the fitted dense B, frees B.
  void prune_rows(ThreadPool* pool);
  void load_dense(const ModelReader& in);
  void load_pruned(const ModelReader& in);

  double lambda_;
  int weighting_;  // 0 binary, 1 log, 2 raw
  std::string solver_;
  double max_memory_gb_;
  std::int32_t prune_;
  std::string solver_used_;
  // The weights: views into owned_* after a fit, or into the model file's
  // mapping (kept alive by file_) after a load.
  std::span<const float> b_;
  SparseWeights pruned_;
  std::vector<float> owned_b_;
  std::vector<std::int64_t> owned_indptr_;
  std::vector<std::int32_t> owned_indices_;
  std::vector<float> owned_values_;
  std::shared_ptr<const void> file_;
};

ModelInfo ease_info();

// The dense step, exposed for tests: replaces the symmetric positive definite
// n × n matrix `gram` (row-major; both triangles) by the EASE weights B, using
// `threads` OpenBLAS threads. UsageError (naming lambda) when Cholesky fails.
void ease_weights_from_gram(std::vector<float>& gram, std::int32_t n, int threads);

}  // namespace segue

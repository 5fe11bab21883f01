// ease: Embarrassingly Shallow AutoEncoder (Steck 2019), a closed-form linear
// item-item model: B = argmin |X − X·B|² + λ|B|² subject to diag(B) = 0, i.e.
//   P = (XᵀX + λI)⁻¹,   B[i][j] = −P[i][j] / P[j][j] (i ≠ j),   B[j][j] = 0,
// and a user's scores are x_u · B. Needs no retraining for new users (fold-in
// is the same product), explains a score by the history items j with the
// largest x_uj · B[j][i].
#pragma once

#include <cstdint>
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
// Fit runs OpenBLAS/LAPACK with the pool's thread count and sets it back to
// one thread afterwards (the scoring contract of use_single_threaded_blas); two
// fits running at once in one process would race on that global setting.
class Ease final : public Recommender {
 public:
  explicit Ease(const ModelSpec& spec);

  // Row-major n_items × n_items, zero diagonal: score(u, i) = Σ_j x_uj B[j][i].
  const std::vector<float>& weights() const { return b_; }
  // Which solver the last fit used: "dense" or "woodbury" (empty when loaded).
  const std::string& solver_used() const { return solver_used_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // Items j with the largest B[j][item] (column `item` of B: the items whose
  // presence in a history most raises `item`); itself excluded.
  std::vector<ScoredItem> similar_items(std::int32_t item, std::int32_t n) const override;
  Explanation explain(std::int32_t user, std::int32_t item) const override;

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  float transform(float value) const;
  // out[0..n_items) = Σ_k transform(values_k) · B[items_k][:].
  void accumulate(std::span<const std::int32_t> items, std::span<const float> values, float* out) const;

  double lambda_;
  int weighting_;  // 0 binary, 1 log, 2 raw
  std::string solver_;
  double max_memory_gb_;
  std::string solver_used_;
  std::vector<float> b_;
};

ModelInfo ease_info();

// The dense step, exposed for tests: replaces the symmetric positive definite
// n × n matrix `gram` (row-major; both triangles) by the EASE weights B, using
// `threads` OpenBLAS threads. UsageError (naming lambda) when Cholesky fails.
void ease_weights_from_gram(std::vector<float>& gram, std::int32_t n, int threads);

}  // namespace segue

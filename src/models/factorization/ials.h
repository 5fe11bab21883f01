// ials: implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008),
// alternating least squares solved by conjugate gradient (Takács et al. 2011),
// with the tuning lessons of Rendle et al. 2022 ("iALS revisited").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "models/factorization/factor_model.h"
#include "models/factorization/user_scale.h"
#include "models/registry.h"

namespace segue {

class ThreadPool;

// Parameters (defaults tuned on a validation split of Last.fm train; docs/MODELS.md):
//   factors        int  >= 1        latent dimensions
//   iterations     int  >= 1        ALS sweeps (users, then items)
//   alpha          float >= 0 | -1  confidence c = 1 + alpha·f(weight), preference 1; -1 (default):
//                                   alpha = confidence_mean / mean f(weight) of the training positives
//   confidence_mean float >= 0      with alpha = -1: the mean alpha·f(weight) (the same confidences on
//                                   play counts and binary data; 22 = alpha 4 on Last.fm's play counts)
//   confidence     log|linear       f = log1p (play counts) or identity
//   user_scale     none|median|share|rank  each listener's weights before f (models/factorization/user_scale.h)
//   reg            float >= 0       L2 weight λ
//   reg_exponent   float [0, 2]     λ_u = λ·max(1, n_u)^ν (n_u = the row's items;
//                                   ν = 1 is the frequency-scaled λ of iALS revisited)
//   cg_steps       int  >= 1        conjugate-gradient steps per row and half-step
//                                   (warm-started from the previous solution)
//   init_std       float >= 0       initial factors ~ N(0, (init_std / √factors)²)
//   seed           int              initial factors' seed
// The default confidence scale (docs/MODELS.md "Defaults"): mean alpha·f(weight) of the training positives.
inline constexpr double kIalsDefaultConfidenceMean = 22.0;
// alpha = confidence_mean / the mean f(weight) over the positive weights (f = log1p or identity); with no
// positive weight, confidence_mean itself.
float ials_derived_alpha(float confidence_mean, bool log_confidence, std::span<const float> weights);

class ImplicitAls final : public FactorModel {
 public:
  explicit ImplicitAls(const ModelSpec& spec);

  // Fold-in with the iALS objective: the exact solution (Cholesky, double) of
  // min Σ_i c_i (1 − x·y_i)² + Σ_{i unobserved} (x·y_i)² + λ_u |x|² for the
  // history's items (weights → confidence as in training; weights <= 0 ignored).
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  void fold_in(std::span<const std::int32_t> items, std::span<const float> weights, std::span<float> out) const;

  float confidence(float weight) const;
  // Which plays made `item` score: the fold-in score of the user's history split into one term per item,
  // c_j · y_iᵀ A⁻¹ y_j (Hu, Koren & Volinsky 2008); shares of the positive terms, largest first (10 at most).
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // Partial fit: a user's vector is fold_in() of their new history, an item's
  // the same solve over its listeners (UᵀU of the current user factors).
  bool supports_partial_fit() const override { return true; }
  bool supports_partial_fit_items() const override { return true; }
  MemoryNeed fit_memory(const FeedbackMatrix& train, int threads) const override;
  std::int32_t expected_factors() const override { return factors_param_; }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;
  void fold_in_user(std::span<const std::int32_t> items, std::span<const float> weights,
                    std::span<float> out) const override;
  void fold_in_items(const SparseRows& columns, std::span<float> out) const override;
  void partial_fit_items_model(std::span<const std::int32_t> items, const SparseRows& columns) override;

 private:
  void write_checkpoint(const std::string& path, std::int32_t iteration, const FeedbackMatrix& train,
                        const std::vector<float>& users, const std::vector<float>& items) const;
  std::int32_t read_checkpoint(const std::string& path, const FeedbackMatrix& train, std::vector<float>& users,
                               std::vector<float>& items) const;
  // A = gram + Σ (c_j − 1) y_j y_jᵀ + λ_u I and b = Σ c_j y_j over the history's positive weights (f × f and
  // f doubles); returns how many there were.
  std::int64_t fold_in_system(const std::vector<float>& gram, const float* other, std::span<const std::int32_t> ids,
                              std::span<const float> weights, std::vector<double>& a, std::vector<double>& b) const;
  void solve_row(const std::vector<float>& gram, const float* other, std::span<const std::int32_t> ids,
                 std::span<const float> weights, std::span<float> out) const;

  std::int32_t factors_param_;
  std::int32_t iterations_;
  float alpha_;            // the spec's: -1 = derived
  float confidence_mean_;
  float effective_alpha_ = 0;  // what fit used (or the model file says)
  bool log_confidence_;
  UserScale user_scale_;
  float reg_;
  float reg_exponent_;
  std::int32_t cg_steps_;
  float init_std_;
  std::uint64_t seed_;
  std::vector<float> gram_;  // VᵀV of the final item factors (factors² floats), for fold-in
};

// One ALS half-step, the hot loop (exposed for tests): for every row r of
// `rows` (values = confidence c_rj >= 1 of the observed columns) it runs up to
// `cg_steps` conjugate-gradient steps, warm-started from x[r], towards the x of
//   (gram + Σ_j (c_rj − 1) y_j y_jᵀ + λ_r I) x = Σ_j c_rj y_j,
// gram = YᵀY, λ_r = reg · max(1, n_r)^reg_exponent. x: rows.n_rows × f,
// y: rows.n_cols × f, gram: f × f, all row-major float32. Multi-threaded over
// rows on `pool` (null = the default pool); no allocation per row.
void ials_half_step(const SparseRows& rows, const float* y, const float* gram, std::int32_t f, float reg,
                    float reg_exponent, std::int32_t cg_steps, float* x, ThreadPool* pool);

// The same over rows [first, last) of `rows` only (a rank's block in a distributed fit).
void ials_half_step_rows(const SparseRows& rows, std::int64_t first, std::int64_t last, const float* y,
                         const float* gram, std::int32_t f, float reg, float reg_exponent, std::int32_t cg_steps,
                         float* x, ThreadPool* pool);

// gram = YᵀY (f × f, both triangles) for y: n × f row-major; one SSYRK.
void ials_gram(const float* y, std::int64_t n, std::int32_t f, std::vector<float>& gram);

ModelInfo ials_info();

}  // namespace segue

// rp3beta: the three-step random walk user → item → user → item on the
// bipartite listening graph, with a popularity penalty (Paudel et al. 2017;
// tuned as in Dacrema et al. 2019). With P_ui the user → item transition
// (rows of X summing to 1) and P_iu the item → user one (binary, rows of Xᵀ
// summing to 1):
//   W[i][j] = (Σ_u P_iu[i][u]^alpha · P_ui[u][j]^alpha) / popularity(j)^beta,
// diagonal zero, the k largest kept per row (optionally each row rescaled to
// sum 1); a user's scores are x_u · W.
#pragma once

#include <cstdint>
#include <vector>

#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters:
//   alpha      float >= 0, default 0.8: power on both transition probabilities
//              (1 = the plain random walk; lower flattens them).
//   beta       float >= 0, default 0.35: divides column j by popularity(j)^beta,
//              popularity = number of training users of j (0 = P3alpha).
//   k          int >= 1, default 500: neighbours kept per item.
//   normalize  bool, default false: rescale each kept row to sum 1.
//   weighting  string, default "binary": how a feedback value v enters P_ui and
//              the scored histories: binary (1), log (log1p v) or raw (v).
class Rp3Beta final : public Recommender {
 public:
  explicit Rp3Beta(const ModelSpec& spec);

  // n_items × n_items CSR, at most k entries a row, columns sorted.
  const SparseRows& weights() const { return w_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // Partial fit: scores follow from history() alone.
  bool supports_partial_fit() const override { return true; }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  float transform(float value) const;
  void accumulate(std::span<const std::int32_t> items, std::span<const float> values, float* out) const;

  double alpha_;
  double beta_;
  std::int32_t k_;
  bool normalize_;
  int weighting_;  // 0 binary, 1 log, 2 raw
  SparseRows w_;
};

ModelInfo rp3beta_info();

}  // namespace segue

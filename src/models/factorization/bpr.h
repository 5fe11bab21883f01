// bpr: Bayesian personalised ranking (Rendle et al. 2009) — matrix
// factorisation trained by Hogwild multi-threaded SGD on (user, positive,
// sampled negative) triples, maximising ln σ(x_ui − x_uj).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/factorization/factor_model.h"
#include "models/registry.h"

namespace segue {

// Parameters (defaults tuned on a validation split of Last.fm train; docs/MODELS.md):
//   factors             int  >= 1       latent dimensions (+1 stored column for the item bias)
//   epochs              int  >= 1       passes; each draws nnz (user, positive) pairs uniformly
//   learning_rate       float > 0       SGD step
//   reg                 float >= 0      L2 weight on the vectors touched by a step
//   sampling            uniform|popularity  negatives uniform over items, or ∝ count^popularity_exponent
//   popularity_exponent float [0, 2]    exponent of the popularity sampler (0.75 as word2vec)
//   skip_negatives      float [0, 1]    chance that a user with skips (FeedbackMatrix::negatives)
//                                       draws the negative from them (hard negatives); no-op
//                                       for data without negatives
//   item_bias           bool            learn an item bias (stored as one more factor, the user's
//                                       entry fixed at 1)
//   init_std            float >= 0      initial factors ~ uniform with std init_std / √factors
//   seed                int             initial factors and sampling
// Several threads update shared factors without locks (Hogwild): results then
// vary run to run; with one thread they are deterministic under a seed.
class Bpr final : public FactorModel {
 public:
  explicit Bpr(const ModelSpec& spec);

  // Fold-in with the BPR objective: SGD on the new user's vector alone (item
  // factors fixed), from zero, with the training learning rate, reg and
  // sampler over the history (weights <= 0 ignored, others count as positives).
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  void fold_in(std::span<const std::int32_t> items, std::span<const float> weights, std::span<float> out) const;

  // Partial fit: a user's vector is fold_in() of their new history; an item's,
  // the same SGD on the item's vector alone over its listeners.
  bool supports_partial_fit() const override { return true; }
  bool supports_partial_fit_items() const override { return true; }
  MemoryNeed fit_memory(const FeedbackMatrix& train, int threads) const override;
  std::int32_t expected_factors() const override { return factors_param_ + (item_bias_ ? 1 : 0); }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void fold_in_user(std::span<const std::int32_t> items, std::span<const float> weights,
                    std::span<float> out) const override;
  void fold_in_items(const SparseRows& columns, std::span<float> out) const override;

 private:
  std::int32_t factors_param_;
  std::int32_t epochs_;
  float learning_rate_;
  float reg_;
  bool popularity_sampling_;
  float popularity_exponent_;
  float skip_negatives_;
  bool item_bias_;
  float init_std_;
  std::uint64_t seed_;
};

ModelInfo bpr_info();

}  // namespace segue

// hybrid: a LightFM-style factorisation (Kula 2015). An item's vector and
// bias are the weighted sums of the embeddings and biases of its features
// (FitContext::item_features, plus an identity feature per item that has
// training positives); a user's vector is the weighted sum of the embeddings
// of the user's features (FitContext::user_features, `--users`, plus an
// identity feature per user), or the user's own embedding without them. Trained by Hogwild SGD with the WARP or BPR loss and Adagrad or
// plain SGD steps. Because every item's vector comes from its features, items
// without any interaction (cold catalogue items) are scored too.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "features/feature_matrix.h"
#include "models/factorization/factor_model.h"
#include "models/registry.h"

namespace segue {

// Parameters (docs/MODELS.md, "hybrid"):
//   factors            int  >= 1      embedding dimensions (the item bias is stored as one more column)
//   epochs             int  >= 1      passes over the training positives (each pass a fresh shuffle)
//   loss               warp|bpr       WARP: negatives drawn until one violates the margin (up to
//                                     max_sampled), step weighted by log(floor((n_items-1)/draws));
//                                     BPR: one negative, step weighted by σ(neg − pos)
//   learning_schedule  adagrad|sgd    per-parameter Adagrad steps (LightFM's default) or plain SGD
//   learning_rate      float > 0
//   item_alpha         float >= 0     L2 on the feature embeddings and biases a step touches
//   user_alpha         float >= 0     L2 on the user embeddings a step touches
//   max_sampled        int  >= 1      WARP: most negatives drawn per positive
//   negatives          all|warm       negatives drawn from all items (LightFM) or only from the
//                                     items with training positives (warm: cold catalogue items
//                                     are never pushed down, for protocols that rank cold items
//                                     among themselves; in a full ranking they then crowd out warm ones)
//   item_identity      bool           an identity feature for every item with training positives
//   user_identity      bool           an identity feature for every user (false: a user is the sum of
//                                     its --users features alone; needs them)
//   item_feature_weight float >= 0    the item features' values × this, against the identity's 1,
//                                     before normalisation (how much the features speak against
//                                     what the item's own plays taught; 0 drops them)
//   user_feature_weight float >= 0    the same for the user features
//   normalize          bool           scale each item's and user's feature row (identity included) to sum 1
//   seed               int            initial embeddings and sampling
// Several threads update the shared embeddings without locks (Hogwild), each
// thread owning a disjoint set of users per epoch; with one thread the fit is
// deterministic under the seed.
class Hybrid final : public FactorModel {
 public:
  explicit Hybrid(const ModelSpec& spec);

  // Fold-in: the training loss's SGD on the new user's vector alone, against
  // the materialised item vectors (fixed), from zero, epochs × |history| steps,
  // a fixed seed (the same history gives the same list). Weights <= 0 are ignored.
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  void fold_in(std::span<const std::int32_t> items, std::span<const float> weights, std::span<float> out) const;
  std::int32_t expected_factors() const override { return factors_param_ + 1; }  // the bias entry
  // The serving index's query for a history: fold_in (hybrid has no partial fit).
  bool history_query(std::span<const std::int32_t> items, std::span<const float> weights,
                     std::span<float> out) const override;

  // The learned per-feature parameters: n_features_total × components
  // embeddings (item_features' columns first, then identity features) and
  // biases; the item rows (CSR over those features, weights after
  // normalisation) they were summed over.
  std::int32_t components() const { return components_; }
  const std::vector<float>& feature_embeddings() const { return feature_embeddings_; }
  const std::vector<float>& feature_biases() const { return feature_biases_; }
  const std::vector<std::int64_t>& item_rows_indptr() const { return rows_indptr_; }
  const std::vector<std::int32_t>& item_rows_indices() const { return rows_indices_; }
  const std::vector<float>& item_rows_values() const { return rows_values_; }
  const FeatureMatrix& item_features() const { return features_; }
  // With user features (else all empty): the user-feature embeddings
  // (user_features' columns first, then one identity row per user with
  // user_identity), and each user's row over them (weights after normalisation).
  const std::vector<float>& user_feature_embeddings() const { return user_feature_embeddings_; }
  const std::vector<std::int64_t>& user_rows_indptr() const { return user_rows_indptr_; }
  const std::vector<std::int32_t>& user_rows_indices() const { return user_rows_indices_; }
  const std::vector<float>& user_rows_values() const { return user_rows_values_; }
  const FeatureMatrix& user_features() const { return user_features_; }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  std::int32_t factors_param_;
  std::int32_t epochs_;
  bool warp_;
  bool adagrad_;
  float learning_rate_;
  float item_alpha_;
  float user_alpha_;
  std::int32_t max_sampled_;
  bool warm_negatives_;
  bool item_identity_;
  bool user_identity_;
  float item_feature_weight_;
  float user_feature_weight_;
  bool normalize_;
  std::uint64_t seed_;

  std::int32_t components_ = 0;
  std::vector<float> feature_embeddings_;
  std::vector<float> feature_biases_;
  std::vector<std::int64_t> rows_indptr_;
  std::vector<std::int32_t> rows_indices_;
  std::vector<float> rows_values_;
  FeatureMatrix features_;
  std::vector<std::int32_t> negative_items_;  // negatives=warm's pool (empty = all items)
  std::vector<float> user_feature_embeddings_;
  std::vector<std::int64_t> user_rows_indptr_;
  std::vector<std::int32_t> user_rows_indices_;
  std::vector<float> user_rows_values_;
  FeatureMatrix user_features_;
};

ModelInfo hybrid_info();

}  // namespace segue

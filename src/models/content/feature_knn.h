// featureknn: collaborative similarity between item *features* (e.g. artists),
// learned from which features share listeners, so a track nobody has played
// yet is scored by how close its artist is to the artists the user plays —
// not only by whether it is the same artist (the content model's cosine).
#pragma once

#include <string>
#include <vector>

#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// score(u, i) = Σ_{f ∈ F_i} a_u(f),  a_u(f) = self_weight · p_u(f) + Σ_g p_u(g) · S(g, f)
// where F_i are item i's features of the chosen group, p_u(g) = Σ over the
// user's history items with feature g of w(signal) (w = log1p or 1), and S is
// the top-k cosine similarity (with shrinkage) between features over users.
// Items without a feature of the group score 0.
// Parameters:
//   group           string, default "artist": the feature group (docs/FEATURES.md)
//   k               int [0, 100000], default 2000: neighbours kept per feature
//   shrink          float [0, 1e6], default 0: added to the cosine's denominator
//   self_weight     float [0, 1e6], default 1.5: weight of the user's own features
// (defaults from an mpd-subset cold-items carve of the training data, artist
// group: 0.2486 vs 0.2264 for the same-artist count, k = 0)
//                   (1 and k = 0 neighbours would be the same-feature count)
//   history_weight  string, default "binary": binary | log
class FeatureKnn final : public Recommender {
 public:
  explicit FeatureKnn(const ModelSpec& spec);

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
  void score_profile(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const;

  std::string group_;
  bool log_weights_ = false;
  float self_weight_ = 1.0f;
  SparseRows item_features_;   // items × group features (binary)
  SparseRows similarity_;      // features × features, top-k
  std::vector<std::string> feature_names_;
};

ModelInfo feature_knn_info();

}  // namespace segue

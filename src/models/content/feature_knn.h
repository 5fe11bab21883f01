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
//   group           string, default "auto": the feature group (docs/FEATURES.md); auto = the first of
//                   artist, album, genre, tag in which at least half the featured items share a feature with
//                   another item (Last.fm's items are artists, each its own artist: tag there)
//   k               int [-1, 100000], default -1: neighbours kept per feature; -1 = 2000 when the group's
//                   featured items carry ≤ 1.5 features on average (artist), else 0 (tags: a Last.fm cold-items
//                   carve gave 0.2808 at k = 0, 0.2496 at 10, 0.1881 at 2000)
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

namespace feature_knn_detail {
// group=auto: the first of artist, album, genre, tag present in m in which at least half the items with a
// feature of the group carry one that another item carries too; else the first of them present; "auto" if none.
std::string auto_group(const FeatureMatrix& m);
}  // namespace feature_knn_detail

}  // namespace segue

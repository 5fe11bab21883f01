// content: a content-based recommender over item features (features/
// feature_matrix.h). Each item row is L2-normalised per feature group, scaled by
// the group's weight (w_artist, w_tag, ...), then L2-normalised as a whole, so
// x_i · x_j is the cosine of the weighted items. A user's profile is
//   p(u) = Σ_{j ∈ positives(u)} c(v_uj) x_j − skip_weight · Σ_{j ∈ skips(u)} c(s_uj) x_j
// (c = log1p or 1: history_weight), and the score is
//   score(u, i) = p(u) · x_i / |p(u)|  +  pop_weight · pop(i)
// where pop(i) = log1p(n_i) / log1p(max n) ∈ [0, 1] (n_i: training users of i) is
// a small popularity prior, a tie-breaker by default. Items without features
// (an empty row after weighting) have content score 0; cold items (no
// interactions) are scored by their features like any other. An empty profile
// (no history, or no featured history item) scores pop_weight · pop(i) only.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "features/feature_matrix.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// One feature of the item that matched the user's profile, with its share of
// the content score ("artist=Queen", "tag=dance", "energy high").
struct FeatureMatch {
  std::int32_t feature = 0;
  std::string label;
  float share = 0.0f;  // of the content score, in [0, 1]
};

// The scoring core of `content`, shared with `blend`: the weighted, normalised
// item rows, the popularity prior and the profile arithmetic. Thread-safe
// scoring (thread_local scratch, no per-item allocation).
class ContentIndex {
 public:
  struct Params {
    std::vector<float> group_weights;  // per group of the feature matrix
    bool log_weights = true;           // history_weight=log (else binary)
    float skip_weight = 0.5f;
    float pop_weight = 0.001f;
    bool cold_prior = false;           // items without plays borrow their features' mean plays
  };

  // Reads the w_* / history_weight / skip_weight / pop_weight parameters of a
  // spec declared with content_params(); groups are named by `raw`.
  static Params params_from_spec(const ModelSpec& spec, const FeatureMatrix& raw);
  // UsageError when raw has a row count other than n_items or no features.
  void build(const FeatureMatrix& raw, const Params& params, const SparseRows& history, const std::string& model);

  const FeatureMatrix& features() const { return features_; }  // normalised, weighted rows
  const std::vector<float>& popularity() const { return popularity_; }
  std::int32_t n_items() const { return features_.n_rows; }

  // Scores every item from positives (items, values > 0) and skips (items,
  // magnitudes > 0); fills n_items() floats.
  void score(std::span<const std::int32_t> pos_items, std::span<const float> pos_values,
             std::span<const std::int32_t> neg_items, std::span<const float> neg_values, float* out) const;
  // Scores every item against a profile of the given features (each weight 1),
  // e.g. the features "artist=Queen", "tag=disco": onboarding from artists.
  void score_features(std::span<const std::int32_t> features, float* out) const;
  // Feature cosine x_item · x_j for every j (no prior).
  void item_cosines(std::int32_t item, float* out) const;
  // The profile's per-feature contributions to item's content score, largest
  // first (positive ones, at most n); `score` receives the content score.
  std::vector<FeatureMatch> matches(std::span<const std::int32_t> pos_items, std::span<const float> pos_values,
                                    std::span<const std::int32_t> neg_items, std::span<const float> neg_values,
                                    std::int32_t item, std::size_t n, float& score) const;
  // Feature id by name ("artist=Queen"), -1 when unknown.
  std::int32_t find_feature(const std::string& name) const;
  float history_weight(float value) const { return log_weights_ ? std::log1p(value) : 1.0f; }
  float skip_weight() const { return skip_weight_; }

  void save(ModelWriter& out, const std::string& prefix) const;
  // load: the arrays of save(); the scalar settings come from `params` (the spec).
  void load(const ModelReader& in, const std::string& prefix, std::int32_t n_items, const Params& params);

 private:
  // Builds the normalised profile in the thread's scratch; returns its norm.
  float build_profile(std::span<const std::int32_t> pos_items, std::span<const float> pos_values,
                      std::span<const std::int32_t> neg_items, std::span<const float> neg_values) const;
  void finish_scores(float inv_norm, float* out) const;

  FeatureMatrix features_;
  std::vector<float> popularity_;
  bool log_weights_ = true;
  float skip_weight_ = 0.5f;
  float pop_weight_ = 0.001f;
};

// Parameters (docs/MODELS.md):
//   w_artist, w_album, w_genre, w_year, w_tag, w_word, w_audio, w_audio_bin,
//   w_numeric, w_numeric_bin, w_text      float [0, 100], default 1 (w_word 0): group
//   weights (the groups of docs/FEATURES.md; 0 drops the group; title words cost on cold-items validation
//   carves of Last.fm and mpd-subset, docs/MODELS.md "Defaults")
//   w_other         float [0, 100], default 1: any other group
//   history_weight  log | binary, default log: c(v) = log1p(v) or 1
//   skip_weight     float [0, 100], default 0.5: weight of the skipped items' features
//   pop_weight      float [0, 100], default 0.001: popularity prior (tie-breaker)
//   cold_prior      bool, default false: an item without training plays takes the best mean plays per
//                   item among its features (e.g. its artist's) as its popularity, instead of 0
//                   (off by default: on mpd-subset cold items it scored 0.2184 vs 0.2264 on validation)
class ContentModel final : public Recommender {
 public:
  explicit ContentModel(const ModelSpec& spec);

  const ContentIndex& index() const { return index_; }
  const SparseRows& skips() const { return skips_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  // Weights > 0 are plays, weights < 0 are skips (magnitude); repeated items sum.
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // Onboarding from features (e.g. a few artists or tags): the top-n items for
  // a profile of the named features ("artist=Queen"); UsageError names an
  // unknown feature.
  std::vector<ScoredItem> recommend_from_features(const std::vector<std::string>& names, std::int32_t n) const;
  // Cosine of the feature rows, itself excluded.
  std::vector<ScoredItem> similar_items(std::int32_t item, std::int32_t n) const override;
  // Contributions: the history items whose features pushed the item up
  // (c_j x_j · x_i / |p|, shares of the score); note: "matched: artist=Queen
  // 45%, tag=dance 20%, energy high 10%".
  Explanation explain(std::int32_t user, std::int32_t item) const override;
  std::vector<FeatureMatch> matched_features(std::int32_t user, std::int32_t item, std::size_t n = 5) const;

  // Partial fit: the users' plays (history) and skips are replaced; the item
  // rows and the popularity prior keep the fit's.
  bool supports_partial_fit() const override { return true; }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;
  void partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) override;

 private:
  ContentIndex index_;
  SparseRows skips_;  // the training negatives (FeedbackMatrix::negatives)
};

// The content parameters (also declared by blend).
std::vector<ParamDecl> content_params();
ModelInfo content_info();

// Helpers shared by content and blend.
namespace content_detail {
// "matched: artist=Queen 45%, tag=dance 20%" ("" when none).
std::string matches_note(const std::vector<FeatureMatch>& matches);
// Splits a history with signed weights into merged positives and skips (by item).
void split_history(std::span<const std::int32_t> items, std::span<const float> weights, std::vector<std::int32_t>& pos,
                   std::vector<float>& pos_values, std::vector<std::int32_t>& neg, std::vector<float>& neg_values);
void save_rows(ModelWriter& out, const std::string& prefix, const SparseRows& rows);
SparseRows load_rows(const ModelReader& in, const std::string& prefix, std::int32_t n_rows, std::int32_t n_cols);
}  // namespace content_detail

}  // namespace segue

// title: recommendations from a playlist's title alone (the RecSys Challenge
// 2018 title-only case): tracks that training playlists with the same title
// words contain, weighted by how specific each word is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// score(title, i) = Σ_{w ∈ words(title)} idf(w) · n(w, i) / n(w)  +  pop_weight · pop(i)
// where n(w) = training playlists whose title has word w, n(w, i) = those of
// them that contain item i, idf(w) = ln(N / n(w)), pop(i) = log1p(n_i)/log1p(max).
// Words are the feature pipeline's (features/item_features.h tokenize_words),
// plus the whole normalised title as one more word. Titles come from the
// training users' "name" attribute (FitContext::dataset; `segue train
// --user-names FILE`); a user without a title scores popularity.
// Parameters:
//   min_df       int [1, 1e6], default 1: words in fewer training titles are ignored (2 was 9% lower on
//                an mpd-subset validation carve, docs/MODELS.md "Defaults")
//   top_items    int [1, 1e6], default 500: items kept per word (by n(w, i))
//   pop_weight   float [0, 100], default 0.01: popularity prior
class TitleModel final : public Recommender {
 public:
  explicit TitleModel(const ModelSpec& spec);

  // Scores for a new playlist from its title (n_items() floats).
  void score_title(std::string_view title, float* out) const;
  void score_users(std::span<const std::int32_t> users, float* out) const override;
  // A history has no title: popularity (so fold-in degrades gracefully).
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  std::vector<std::string> words_of(std::string_view title) const;

  std::vector<std::string> words_;        // sorted vocabulary
  std::vector<float> idf_;                // per word
  std::vector<std::int64_t> indptr_{0};   // per word: its items
  std::vector<std::int32_t> items_;
  std::vector<float> shares_;             // n(w, i) / n(w)
  std::vector<float> popularity_;
  std::vector<std::string> user_titles_;  // per training user ("" = none)
};

ModelInfo title_info();

}  // namespace segue

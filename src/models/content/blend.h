// blend: a collaborative model and the content model, mixed per user after
// standardising each score row (z = (s - mean) / std over the row's finite
// scores, so the scales match):
//   score(u, i) = (1 - weight) · z(cf(u))_i + weight · z(content(u))_i
// weight 0 ranks as the CF model, weight 1 as `content`. Tune the weight on a
// validation split carved from the training data:
//   segue tune --model blend:cf=ials --train TRAIN.csv --items ITEMS.csv --space weight=0:1
#pragma once

#include <memory>

#include "models/content/content.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters (docs/MODELS.md):
//   cf       string, default ials: the CF model's name (its default parameters)
//   cf_spec  string, default "": the CF model's full spec with ';' between its
//            parameters ("ials:factors=128;reg=0.05"); wins over cf when given
//   weight   float [0, 1], default 0.2: the content share (0.3 was 7% below the best on an mpd-subset
//            validation carve once content dropped title words; docs/MODELS.md "Defaults")
//   and every content parameter (w_artist, ..., skip_weight, pop_weight)
// The model file holds the CF model's own model file as one section
// ("blend.cf_model", nested_model.h) and the content arrays under "blend.content".
class BlendModel final : public Recommender {
 public:
  explicit BlendModel(const ModelSpec& spec);

  const Recommender& cf() const { return *cf_; }
  const ContentIndex& content() const { return index_; }
  float weight() const { return weight_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  // Weights > 0 are plays, < 0 skips (content); the CF model gets the positives.
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // The CF model's contributions scaled by (1 - weight) merged with the content
  // ones scaled by weight; the note names the matched features.
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // z-standardises a row in place (finite scores only; a constant row becomes 0).
  static void standardise(float* row, std::size_t n);

  // Partial fit: when the CF model can (its users updated too), with the
  // content side's plays and skips replaced.
  bool supports_partial_fit() const override { return cf_->supports_partial_fit(); }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  void mix(float* cf_row, const float* content_row) const;

  std::unique_ptr<Recommender> cf_;
  ContentIndex index_;
  SparseRows skips_;
  float weight_ = 0.2f;
};

ModelInfo blend_info();

}  // namespace segue

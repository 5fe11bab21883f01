// pop: recommends what most users listen to (optionally favouring recent
// listening) — the floor every personalised model has to beat.
#pragma once

#include <vector>

#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters:
//   decay_days  float >= 0, default 0. 0: an item's score is the number of
//               users with positive feedback on it. > 0: each such user counts
//               exp(-age / decay_days), age = days from the user's last
//               training event on the item to the last training event of all
//               (decay_days is the e-folding time: 30 → a 30-day-old listen
//               counts 1/e). Needs FitContext::dataset with timestamps
//               (UsageError otherwise); a pair whose events all lack a time
//               counts as old as the oldest timed event.
class Popularity final : public Recommender {
 public:
  explicit Popularity(const ModelSpec& spec);

  const std::vector<float>& item_scores() const { return scores_; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  // Partial fit: scores do not depend on the user; history() (what is excluded) is replaced.
  bool supports_partial_fit() const override { return true; }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  void fit_decayed(const FeedbackMatrix& train, const FitContext& context);

  double decay_days_;
  std::vector<float> scores_;  // one per item
};

ModelInfo popularity_info();

}  // namespace segue

// random: a uniformly random ranking per user — the floor below which a model
// has learnt nothing. Deterministic for a seed, whatever the batch or thread.
#pragma once

#include <cstdint>

#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters:
//   seed  int >= 0, default 42. Score of (user, item) is a hash of (seed,
//         user, item) mapped to [0, 1): no state, nothing to fit or save.
//         An unseen user's history is hashed in place of the user id.
class RandomRecommender final : public Recommender {
 public:
  explicit RandomRecommender(const ModelSpec& spec);

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;

 protected:
  void fit_model(const FeedbackMatrix&, const FitContext&) override {}
  void save_model(ModelWriter&) const override {}
  void load_model(const ModelReader&) override {}

 private:
  void score_key(std::uint64_t key, float* out) const;

  std::uint64_t seed_;
};

ModelInfo random_info();

}  // namespace segue

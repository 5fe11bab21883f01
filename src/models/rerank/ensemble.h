// ensemble: the mean of several models' per-user z-scored score rows.
//   score(u, i) = (1/M) Σ_m z(s_m(u))_i,  z over the row's finite scores (blend's standardise)
// A fitted ials differs from seed to seed and from one weight scale to another
// (user_scale); on the small Last.fm HetRec matrix those differences are mostly
// noise, and averaging them removes it: four scales × five seeds of tuned ials
// scored 2–3% above the best single one on two validation carves, where the
// re-ranker and mixes with other families added nothing (docs/BENCHMARKS.md).
//   ensemble:members=ials:alpha=1.03;reg=0.6241+ials:alpha=10;user_scale=median,seeds=5
#pragma once

#include <memory>
#include <vector>

#include "models/recommender.h"
#include "models/registry.h"

namespace segue {

// Parameters (docs/MODELS.md):
//   members  string, default "ials": '+'-separated member specs, ';' between a member's parameters
//   seeds    int [1, 64], default 1: each member that has a `seed` parameter is fitted this many times,
//            at its seed, seed + 1, ... (members without one, once)
// The model file holds each member's model file as one section ("ensemble.member.K", nested_model.h).
class EnsembleModel final : public Recommender {
 public:
  explicit EnsembleModel(const ModelSpec& spec);

  std::size_t size() const { return members_.size(); }
  const Recommender& member(std::size_t k) const { return *members_[k]; }

  void score_users(std::span<const std::int32_t> users, float* out) const override;
  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override;
  // The members' contributions, averaged; the note counts the members.
  Explanation explain(std::int32_t user, std::int32_t item) const override;

  bool supports_partial_fit() const override;
  bool supports_partial_fit_items() const override;
  MemoryNeed fit_memory(const FeedbackMatrix& train, int threads) const override;

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext& context) override;
  void partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) override;
  void partial_fit_items_model(std::span<const std::int32_t> items, const SparseRows& columns) override;
  void save_model(ModelWriter& out) const override;
  void load_model(const ModelReader& in) override;

 private:
  std::vector<std::unique_ptr<Recommender>> members_;
};

ModelInfo ensemble_info();

}  // namespace segue

// The seam between the home screen and its policies (docs/HOME.md): a
// decision picks `slots` arms, in order, out of a list of arms described by
// sparse features; each pick comes with its propensity, the probability that
// the policy picks that arm at that slot given the picks before it. The same
// interface arranges shelves on a page (arms = shelves) and cards on a shelf
// (arms = (item, explanation) candidates). Policies learn from outcomes
// online (update) and in batch from logs (refit, importance-weighted).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "util/rng.h"

namespace segue::home {

// One sparse feature: a hashed index into the reward model's feature space
// (feature_index below) and its value (1 for categorical features).
struct Feature {
  std::uint32_t index = 0;
  float value = 1.0f;
};

// The feature space the reward model and the featurised policies share.
inline constexpr std::uint32_t kFeatureBits = 20;  // 2^20 hashed features
// Index of feature `name` (e.g. "item=123", "explanation=because_you_played",
// "hour=21", "shelf=made_for_you") in field `field` (the field is part of the
// hash, so "user=3" and "item=3" differ): FNV-1a 64 folded to kFeatureBits.
std::uint32_t feature_index(std::string_view field, std::string_view name);

// An arm: its features (context features included: the caller concatenates
// listener/context features with the arm's own), and a stable key for
// policies that keep per-arm statistics (Beta-Bernoulli Thompson sampling
// keys on (arm key, context bucket)).
struct Arm {
  std::vector<Feature> features;
  std::uint64_t key = 0;
};

// One decision's input: the arms, the number of slots to fill (<= arms), and
// a context bucket for per-bucket statistics (e.g. hour-of-day band).
struct Decision {
  std::span<const Arm> arms;
  std::int32_t slots = 0;
  std::uint32_t context_bucket = 0;
};

// One pick: which arm (index into Decision::arms), at which slot, with its
// propensity in (0, 1] and, for Monte Carlo propensities, the number of draws
// (0 = exact).
struct Pick {
  std::int32_t arm = 0;
  std::int32_t slot = 0;
  double propensity = 1.0;
  std::int32_t mc_draws = 0;
  double predicted_reward = 0.0;  // the reward model's estimate, when the policy has one (else 0)
};

// One logged outcome for learning: the arm's features as shown (with its
// position features), whether it was rewarded, and the propensity it was
// shown with (for importance weighting in refit).
struct Outcome {
  std::vector<Feature> features;
  std::uint64_t key = 0;
  std::uint32_t context_bucket = 0;
  double reward = 0.0;  // 1 = streamed (the configured success), 0 = not
  double propensity = 1.0;
};

class Policy {
 public:
  virtual ~Policy() = default;
  // The canonical spec, every parameter spelled out, e.g. "linucb:alpha=1,reg=1"
  // (logged with every impression; make_policy(spec()) configures the same policy, untrained).
  virtual std::string spec() const = 0;
  // Fills `out` with min(slots, arms.size()) picks, slot 0 first, no arm twice.
  // Thread-safe with other decide() calls; `rng` is the caller's.
  virtual void decide(const Decision& decision, Rng& rng, std::vector<Pick>& out) const = 0;
  // The probability this policy would pick each arm at each slot, as a
  // arms.size() × slots row-major matrix (for off-policy evaluation of this
  // policy on logs of another): exact where the policy has a closed form,
  // else Monte Carlo with `draws` draws.
  virtual std::vector<double> action_distribution(const Decision& decision, Rng& rng, std::int32_t draws) const = 0;
  // Online learning from one outcome. Not concurrent with decide(): the caller serialises.
  virtual void update(const Outcome& outcome) = 0;
  // Batch re-fit from logs: every outcome weighted by min(1 / propensity, max_weight).
  virtual void refit(std::span<const Outcome> outcomes, double max_weight) = 0;
};

// Policies by spec string: uniform, greedy, egreedy:epsilon=0.1,
// thompson (Beta-Bernoulli per arm key and context bucket; alpha=1,beta=1,
// draws=1000), thompson:model=logistic (Bayesian logistic regression over the
// features; prior_precision=1,draws=1000), linucb:alpha=1,reg=1. greedy and
// egreedy use a factorization machine reward model whose parameters they
// take too (factors=8,learning_rate=0.05,reg=0.001,epochs=5,seed=1).
// UsageError naming the parameter for a bad spec. Implementations:
// src/home/policies.h.
std::unique_ptr<Policy> make_policy(const std::string& spec);

}  // namespace segue::home

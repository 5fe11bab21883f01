// thompson (model=beta): Beta-Bernoulli Thompson sampling per (arm key,
// context bucket), the policy of the Open Bandit Dataset's "BTS" logs.
#include <unordered_map>
#include <utility>

#include "home/policies.h"
#include "home/sampling.h"
#include "home/thompson_slate.h"

namespace segue::home {
namespace {

// The evidence of one (arm key, context bucket) cell, added to the prior.
struct BetaCounts {
  double successes = 0.0;
  double failures = 0.0;
};

std::uint64_t cell_of(std::uint64_t key, std::uint32_t bucket) {
  return splitmix64_mix(key ^ (std::uint64_t{bucket} * 0x9E3779B97F4A7C15ull));
}

// One posterior draw of every arm's stream rate.
auto draw_from(const std::vector<BetaSampler>& posteriors) {
  return [&posteriors, normals = NormalDraws()](Rng& rng, std::span<double> scores) mutable {
    for (std::size_t arm = 0; arm < scores.size(); ++arm) scores[arm] = posteriors[arm].draw(rng, normals);
  };
}

class BetaThompsonPolicy final : public Policy {
 public:
  BetaThompsonPolicy(const BetaThompsonOptions& options, std::string spec)
      : options_(options), spec_(std::move(spec)) {}

  std::string spec() const override { return spec_; }

  void decide(const Decision& decision, Rng& rng, std::vector<Pick>& out) const override {
    thread_local std::vector<BetaSampler> samplers;
    thread_local std::vector<double> means;
    posteriors(decision, samplers, means);
    decide_sequential_thompson(decision, rng, options_.draws, draw_from(samplers), means, out);
  }

  std::vector<double> action_distribution(const Decision& decision, Rng& rng, std::int32_t draws) const override {
    std::vector<BetaSampler> samplers;
    std::vector<double> means;
    posteriors(decision, samplers, means);
    return sequential_thompson_distribution(decision, rng, draws > 0 ? draws : options_.draws, draw_from(samplers));
  }

  void update(const Outcome& outcome) override {
    BetaCounts& counts = cells_[cell_of(outcome.key, outcome.context_bucket)];
    counts.successes += outcome.reward;
    counts.failures += 1.0 - outcome.reward;
  }

  // Per cell, the importance-weighted stream rate r (self-normalised: Σ w·reward / Σ w)
  // counted as n = the cell's outcomes: successes n·r, failures n·(1 - r).
  // Weighting within a cell undoes a logging policy whose choice depended on
  // more than the bucket; keeping n (not Σ w) keeps the posterior as sure as
  // the data, not more.
  void refit(std::span<const Outcome> outcomes, double max_weight) override {
    const std::vector<double> weights = importance_weights(outcomes, max_weight);
    struct Sums {
      double weight = 0.0, weighted_reward = 0.0, count = 0.0;
    };
    std::unordered_map<std::uint64_t, Sums> sums;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      Sums& cell = sums[cell_of(outcomes[i].key, outcomes[i].context_bucket)];
      cell.weight += weights[i];
      cell.weighted_reward += weights[i] * outcomes[i].reward;
      cell.count += 1.0;
    }
    cells_.clear();
    for (const auto& [cell, sum] : sums) {
      const double rate = sum.weight > 0.0 ? sum.weighted_reward / sum.weight : 0.0;
      cells_[cell] = BetaCounts{sum.count * rate, sum.count * (1.0 - rate)};
    }
  }

 private:
  void posteriors(const Decision& decision, std::vector<BetaSampler>& samplers, std::vector<double>& means) const {
    const std::size_t n = decision.arms.size();
    samplers.resize(n);
    means.resize(n);
    for (std::size_t arm = 0; arm < n; ++arm) {
      double alpha = options_.prior_alpha, beta = options_.prior_beta;
      const auto found = cells_.find(cell_of(decision.arms[arm].key, decision.context_bucket));
      if (found != cells_.end()) {
        alpha += found->second.successes;
        beta += found->second.failures;
      }
      samplers[arm] = BetaSampler(alpha, beta);
      means[arm] = alpha / (alpha + beta);
    }
  }

  BetaThompsonOptions options_;
  std::unordered_map<std::uint64_t, BetaCounts> cells_;
  std::string spec_;
};

}  // namespace

std::unique_ptr<Policy> make_beta_thompson_policy(const BetaThompsonOptions& options, std::string spec) {
  return std::make_unique<BetaThompsonPolicy>(options, std::move(spec));
}

}  // namespace segue::home

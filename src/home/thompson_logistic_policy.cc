// thompson:model=logistic: Thompson sampling over a Bayesian logistic
// regression of the stream probability on the hashed features, with a
// diagonal Gaussian (Laplace) posterior per weight (Chapelle & Li 2011).
#include <algorithm>
#include <cmath>
#include <utility>

#include "home/policies.h"
#include "home/sampling.h"
#include "home/thompson_slate.h"

namespace segue::home {
namespace {

constexpr std::size_t kWeights = std::size_t{1} << kFeatureBits;

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// One decision's features, deduplicated: a feature several arms share (the
// listener's, the context's) must take the same sampled weight in one draw.
struct CompactDecision {
  std::vector<std::uint32_t> distinct;      // sorted feature indices
  std::vector<double> mean, sd;             // their posterior, per distinct feature
  std::vector<std::uint32_t> begin;         // arm a's entries: [begin[a], begin[a + 1])
  std::vector<std::pair<std::uint32_t, float>> entries;  // (position in distinct, value)
  std::vector<double> sampled;              // one draw of the distinct weights
};

// One posterior draw of the weights, and the arms' logits under it (the
// bias is the same for every arm, so it is left out of the ranking).
auto draw_from(CompactDecision& compact) {
  return [&compact](Rng& rng, std::span<double> scores) {
    for (std::size_t i = 0; i < compact.distinct.size(); ++i)
      compact.sampled[i] = compact.mean[i] + compact.sd[i] * standard_normal(rng);
    for (std::size_t a = 0; a < scores.size(); ++a) {
      double logit = 0.0;
      for (std::uint32_t e = compact.begin[a]; e < compact.begin[a + 1]; ++e)
        logit += compact.sampled[compact.entries[e].first] * compact.entries[e].second;
      scores[a] = logit;
    }
  };
}

class LogisticThompsonPolicy final : public Policy {
 public:
  LogisticThompsonPolicy(const LogisticThompsonOptions& options, std::string spec)
      : options_(options), spec_(std::move(spec)) {
    reset();
  }

  std::string spec() const override { return spec_; }

  void decide(const Decision& decision, Rng& rng, std::vector<Pick>& out) const override {
    thread_local CompactDecision compact;
    thread_local std::vector<double> means;
    compactify(decision, compact, means);
    decide_sequential_thompson(decision, rng, options_.draws, draw_from(compact), means, out);
  }

  std::vector<double> action_distribution(const Decision& decision, Rng& rng, std::int32_t draws) const override {
    CompactDecision compact;
    std::vector<double> means;
    compactify(decision, compact, means);
    return sequential_thompson_distribution(decision, rng, draws, draw_from(compact));
  }

  void update(const Outcome& outcome) override { learn(outcome.features, outcome.reward, 1.0); }

  // The prior again, then one pass over the logs in a seeded order, each
  // outcome's likelihood raised to its importance weight.
  void refit(std::span<const Outcome> outcomes, double max_weight) override {
    reset();
    const std::vector<double> weights = importance_weights(outcomes, max_weight);
    Rng rng(0x7B0A5EEDull);
    for (const std::size_t i : shuffled_order(outcomes.size(), rng))
      learn(outcomes[i].features, outcomes[i].reward, weights[i]);
  }

 private:
  void reset() {
    mean_.assign(kWeights, 0.0f);
    precision_.assign(kWeights, static_cast<float>(options_.prior_precision));
    bias_mean_ = 0.0;
    bias_precision_ = options_.prior_precision;
  }

  // The Laplace approximation of posterior × one outcome's likelihood^weight,
  // around the current mean: the logit's variance s = Σ x_i² / q_i scales
  // the step (a diagonal Newton step per weight would overshoot when many
  // features move the same logit), the precisions gain the curvature.
  void learn(std::span<const Feature> features, double reward, double weight) {
    double logit = bias_mean_;
    double variance = 1.0 / bias_precision_;
    for (const Feature& f : features) {
      logit += mean_[f.index] * f.value;
      variance += f.value * f.value / precision_[f.index];
    }
    const double p = sigmoid(logit);
    const double curvature = weight * p * (1.0 - p);
    const double step = weight * (p - reward) / (1.0 + curvature * variance);
    bias_mean_ -= step / bias_precision_;
    bias_precision_ += curvature;
    for (const Feature& f : features) {
      mean_[f.index] -= static_cast<float>(step * f.value / precision_[f.index]);
      precision_[f.index] += static_cast<float>(curvature * f.value * f.value);
    }
  }

  void compactify(const Decision& decision, CompactDecision& compact, std::vector<double>& means) const {
    compact.distinct.clear();
    for (const Arm& arm : decision.arms)
      for (const Feature& f : arm.features) compact.distinct.push_back(f.index);
    std::sort(compact.distinct.begin(), compact.distinct.end());
    compact.distinct.erase(std::unique(compact.distinct.begin(), compact.distinct.end()), compact.distinct.end());
    const std::size_t k = compact.distinct.size();
    compact.mean.resize(k);
    compact.sd.resize(k);
    compact.sampled.resize(k);
    for (std::size_t i = 0; i < k; ++i) {
      compact.mean[i] = mean_[compact.distinct[i]];
      compact.sd[i] = 1.0 / std::sqrt(static_cast<double>(precision_[compact.distinct[i]]));
    }
    compact.begin.clear();
    compact.entries.clear();
    means.resize(decision.arms.size());
    for (std::size_t a = 0; a < decision.arms.size(); ++a) {
      compact.begin.push_back(static_cast<std::uint32_t>(compact.entries.size()));
      double logit = bias_mean_;
      for (const Feature& f : decision.arms[a].features) {
        const auto at = std::lower_bound(compact.distinct.begin(), compact.distinct.end(), f.index);
        compact.entries.emplace_back(static_cast<std::uint32_t>(at - compact.distinct.begin()), f.value);
        logit += mean_[f.index] * f.value;
      }
      means[a] = sigmoid(logit);
    }
    compact.begin.push_back(static_cast<std::uint32_t>(compact.entries.size()));
  }

  LogisticThompsonOptions options_;
  std::vector<float> mean_, precision_;  // per hashed feature
  double bias_mean_ = 0.0, bias_precision_ = 1.0;
  std::string spec_;
};

}  // namespace

std::unique_ptr<Policy> make_logistic_thompson_policy(const LogisticThompsonOptions& options, std::string spec) {
  return std::make_unique<LogisticThompsonPolicy>(options, std::move(spec));
}

}  // namespace segue::home

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

// One decision's logits under the posterior, split so that a draw samples
// as few normals as the exact joint distribution allows: a feature only one
// arm has adds independent noise, pooled per arm into one normal; a feature
// every arm has with the same value shifts every score alike and is left out;
// only the features some arms share take one draw each, the same for every
// arm that has them.
struct CompactDecision {
  std::vector<std::uint32_t> distinct;  // sorted feature indices
  std::vector<std::int32_t> shared_at;  // per distinct feature: its position among the shared ones, or -1
  std::vector<double> mean_logit;       // per arm: the logit at the posterior mean
  std::vector<double> private_sd;       // per arm: sd of the noise of its own features
  std::vector<double> shared_sd;        // per shared feature
  std::vector<std::uint32_t> begin;     // arm a's shared entries: [begin[a], begin[a + 1])
  std::vector<std::pair<std::uint32_t, float>> entries;  // (shared position, value)
  std::vector<double> sampled;          // one draw of the shared features' noise
};

// One posterior draw of every arm's logit.
auto draw_from(CompactDecision& compact) {
  return [&compact, normals = NormalDraws()](Rng& rng, std::span<double> scores) mutable {
    for (std::size_t s = 0; s < compact.shared_sd.size(); ++s) compact.sampled[s] = compact.shared_sd[s] * normals.next(rng);
    for (std::size_t a = 0; a < scores.size(); ++a) {
      double logit = compact.mean_logit[a] + compact.private_sd[a] * normals.next(rng);
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
    return sequential_thompson_distribution(decision, rng, draws > 0 ? draws : options_.draws, draw_from(compact));
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
    const std::size_t n = decision.arms.size();
    compact.distinct.clear();
    for (const Arm& arm : decision.arms)
      for (const Feature& f : arm.features) compact.distinct.push_back(f.index);
    std::sort(compact.distinct.begin(), compact.distinct.end());
    compact.distinct.erase(std::unique(compact.distinct.begin(), compact.distinct.end()), compact.distinct.end());
    const auto position = [&compact](std::uint32_t index) {
      return static_cast<std::size_t>(std::lower_bound(compact.distinct.begin(), compact.distinct.end(), index) -
                                      compact.distinct.begin());
    };
    // How each feature occurs: in how many entries, on how many arms, always with one value?
    thread_local std::vector<std::uint32_t> occurrences, arms_with;
    thread_local std::vector<std::size_t> last_arm;
    thread_local std::vector<float> first_value;
    thread_local std::vector<char> one_value;
    const std::size_t k = compact.distinct.size();
    occurrences.assign(k, 0);
    arms_with.assign(k, 0);
    last_arm.assign(k, n);
    first_value.assign(k, 0.0f);
    one_value.assign(k, 1);
    for (std::size_t a = 0; a < n; ++a)
      for (const Feature& f : decision.arms[a].features) {
        const std::size_t at = position(f.index);
        if (occurrences[at]++ == 0) first_value[at] = f.value;
        else if (f.value != first_value[at]) one_value[at] = 0;
        if (last_arm[at] != a) ++arms_with[at];
        last_arm[at] = a;
      }
    // Drawn per feature: more than one entry, unless it is once on every arm with one value.
    compact.shared_at.assign(k, -1);
    compact.shared_sd.clear();
    for (std::size_t at = 0; at < k; ++at) {
      const bool common = n > 1 && arms_with[at] == n && occurrences[at] == n && one_value[at];
      if (occurrences[at] > 1 && !common) {
        compact.shared_at[at] = static_cast<std::int32_t>(compact.shared_sd.size());
        compact.shared_sd.push_back(1.0 / std::sqrt(static_cast<double>(precision_[compact.distinct[at]])));
      }
    }
    compact.sampled.resize(compact.shared_sd.size());
    compact.mean_logit.resize(n);
    compact.private_sd.resize(n);
    compact.begin.clear();
    compact.entries.clear();
    means.resize(n);
    for (std::size_t a = 0; a < n; ++a) {
      compact.begin.push_back(static_cast<std::uint32_t>(compact.entries.size()));
      double logit = bias_mean_;
      double private_variance = 0.0;
      for (const Feature& f : decision.arms[a].features) {
        logit += mean_[f.index] * f.value;
        const std::size_t at = position(f.index);
        if (compact.shared_at[at] >= 0)
          compact.entries.emplace_back(static_cast<std::uint32_t>(compact.shared_at[at]), f.value);
        else if (occurrences[at] == 1)
          private_variance += f.value * f.value / precision_[f.index];
      }
      compact.mean_logit[a] = logit;
      compact.private_sd[a] = std::sqrt(private_variance);
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

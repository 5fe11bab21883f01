// linucb: LinUCB (Li et al. 2010) over the hashed features. The 2^20 × 2^20
// design matrix is approximated by its diagonal, shared by all arms (one
// weight per feature): A_i = reg + Σ x_i², learnt by diagonal recursive least
// squares, so an update costs O(features) and the bonus is sqrt(Σ x_i² / A_i).
#include <cmath>
#include <utility>

#include "home/policies.h"
#include "home/slate.h"

namespace segue::home {
namespace {

constexpr std::size_t kWeights = std::size_t{1} << kFeatureBits;

class LinUcbPolicy final : public Policy {
 public:
  LinUcbPolicy(const LinUcbOptions& options, std::string spec) : options_(options), spec_(std::move(spec)) {
    reset();
  }

  std::string spec() const override { return spec_; }

  // Deterministic: the arms by upper confidence bound, ties by lower index; propensity 1.
  void decide(const Decision& decision, Rng&, std::vector<Pick>& out) const override {
    thread_local std::vector<double> bounds, means;
    thread_local std::vector<std::int32_t> ranking;
    score_all(decision, bounds, means);
    rank_by_score(bounds, ranking);
    out.clear();
    for (std::int32_t slot = 0; slot < slate_size(decision); ++slot)
      out.push_back(Pick{ranking[slot], slot, 1.0, 0, means[ranking[slot]]});
  }

  std::vector<double> action_distribution(const Decision& decision, Rng&, std::int32_t) const override {
    std::vector<double> bounds, means;
    std::vector<std::int32_t> ranking;
    score_all(decision, bounds, means);
    rank_by_score(bounds, ranking);
    return egreedy_marginals(ranking, std::max(decision.slots, 0), 0.0);
  }

  void update(const Outcome& outcome) override { learn(outcome.features, outcome.reward, 1.0); }

  // The prior again, then each outcome once, in a seeded order, with its importance weight.
  void refit(std::span<const Outcome> outcomes, double max_weight) override {
    reset();
    const std::vector<double> weights = importance_weights(outcomes, max_weight);
    Rng rng(0x11CBull);
    for (const std::size_t i : shuffled_order(outcomes.size(), rng))
      learn(outcomes[i].features, outcomes[i].reward, weights[i]);
  }

 private:
  void reset() {
    theta_.assign(kWeights, 0.0f);
    design_.assign(kWeights, static_cast<float>(options_.reg));
    bias_theta_ = 0.0;
    bias_design_ = options_.reg;
  }

  // Diagonal RLS: the residual is spread over the features in proportion to
  // their uncertainty x_i² / A_i, normalised by the total so the prediction
  // moves by at most the residual (a per-feature step would overshoot when
  // many features share the outcome).
  void learn(std::span<const Feature> features, double reward, double weight) {
    double predicted = bias_theta_;
    double spread = 1.0 / bias_design_;
    for (const Feature& f : features) {
      predicted += theta_[f.index] * f.value;
      spread += f.value * f.value / design_[f.index];
    }
    const double step = weight * (reward - predicted) / (1.0 + weight * spread);
    bias_theta_ += step / bias_design_;
    bias_design_ += weight;
    for (const Feature& f : features) {
      theta_[f.index] += static_cast<float>(step * f.value / design_[f.index]);
      design_[f.index] += static_cast<float>(weight * f.value * f.value);
    }
  }

  void score_all(const Decision& decision, std::vector<double>& bounds, std::vector<double>& means) const {
    bounds.resize(decision.arms.size());
    means.resize(decision.arms.size());
    for (std::size_t a = 0; a < decision.arms.size(); ++a) {
      double mean = bias_theta_;
      double width = 1.0 / bias_design_;
      for (const Feature& f : decision.arms[a].features) {
        mean += theta_[f.index] * f.value;
        width += f.value * f.value / design_[f.index];
      }
      means[a] = mean;
      bounds[a] = mean + options_.alpha * std::sqrt(width);
    }
  }

  LinUcbOptions options_;
  std::vector<float> theta_, design_;  // per hashed feature: the weight and A_i
  double bias_theta_ = 0.0, bias_design_ = 1.0;
  std::string spec_;
};

}  // namespace

std::unique_ptr<Policy> make_linucb_policy(const LinUcbOptions& options, std::string spec) {
  return std::make_unique<LinUcbPolicy>(options, std::move(spec));
}

}  // namespace segue::home

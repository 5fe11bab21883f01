// egreedy and greedy: BaRT's policy, ε-greedy over a factorization machine's
// predicted stream probability (greedy is ε = 0).
#include <algorithm>
#include <utility>

#include "home/policies.h"
#include "home/sampling.h"
#include "home/slate.h"

namespace segue::home {
namespace {

class EgreedyPolicy final : public Policy {
 public:
  EgreedyPolicy(double epsilon, const FmOptions& reward_model, std::string spec)
      : epsilon_(epsilon), model_(reward_model), spec_(std::move(spec)) {}

  std::string spec() const override { return spec_; }

  void decide(const Decision& decision, Rng& rng, std::vector<Pick>& out) const override {
    const auto n = static_cast<std::int32_t>(decision.arms.size());
    thread_local std::vector<double> scores;
    thread_local std::vector<std::int32_t> ranking;
    thread_local std::vector<char> picked;
    predict_all(decision, scores);
    rank_by_score(scores, ranking);
    picked.assign(n, 0);
    out.clear();
    std::int32_t head = 0;  // position in `ranking` of the best arm not yet picked
    for (std::int32_t slot = 0; slot < slate_size(decision); ++slot) {
      while (picked[ranking[head]]) ++head;
      const std::int32_t remaining = n - slot;
      const bool explore = epsilon_ > 0.0 && open_unit(rng) < epsilon_;
      const std::int32_t arm = explore ? nth_unpicked(picked, rng.below(remaining)) : ranking[head];
      picked[arm] = 1;
      const double propensity = (arm == ranking[head] ? 1.0 - epsilon_ : 0.0) + epsilon_ / remaining;
      out.push_back(Pick{arm, slot, propensity, 0, scores[arm]});
    }
  }

  std::vector<double> action_distribution(const Decision& decision, Rng&, std::int32_t) const override {
    std::vector<double> scores;
    std::vector<std::int32_t> ranking;
    predict_all(decision, scores);
    rank_by_score(scores, ranking);
    return egreedy_marginals(ranking, std::max(decision.slots, 0), epsilon_);
  }

  // Online: one unweighted SGD step (the policy learns from what it showed;
  // refit is where logs of other policies are importance-weighted).
  void update(const Outcome& outcome) override { model_.update(outcome.features, outcome.reward); }
  void refit(std::span<const Outcome> outcomes, double max_weight) override { model_.refit(outcomes, max_weight); }

 private:
  void predict_all(const Decision& decision, std::vector<double>& scores) const {
    const std::span<const Arm> arms = decision.arms;
    scores.resize(arms.size());
    constexpr std::size_t kAhead = 4;  // arms whose rows are on their way while one is scored
    for (std::size_t arm = 0; arm < std::min(kAhead, arms.size()); ++arm) model_.prefetch(arms[arm].features);
    for (std::size_t arm = 0; arm < arms.size(); ++arm) {
      if (arm + kAhead < arms.size()) model_.prefetch(arms[arm + kAhead].features);
      scores[arm] = model_.predict(arms[arm].features);
    }
  }

  double epsilon_;
  FactorizationMachine model_;
  std::string spec_;
};

}  // namespace

std::unique_ptr<Policy> make_egreedy_policy(double epsilon, const FmOptions& reward_model, std::string spec) {
  return std::make_unique<EgreedyPolicy>(epsilon, reward_model, std::move(spec));
}

}  // namespace segue::home

// uniform: the logging policy with the simplest propensities, and the
// baseline every other policy has to beat.
#include <utility>

#include "home/policies.h"
#include "home/slate.h"

namespace segue::home {
namespace {

class UniformPolicy final : public Policy {
 public:
  explicit UniformPolicy(std::string spec) : spec_(std::move(spec)) {}

  std::string spec() const override { return spec_; }

  void decide(const Decision& decision, Rng& rng, std::vector<Pick>& out) const override {
    const auto n = static_cast<std::int32_t>(decision.arms.size());
    thread_local std::vector<char> picked;
    picked.assign(n, 0);
    out.clear();
    for (std::int32_t slot = 0; slot < slate_size(decision); ++slot) {
      const std::int32_t remaining = n - slot;
      const std::int32_t arm = nth_unpicked(picked, rng.below(remaining));
      picked[arm] = 1;
      out.push_back(Pick{arm, slot, 1.0 / remaining, 0, 0.0});
    }
  }

  // Every arm is equally likely at every slot: 1 / arms.
  std::vector<double> action_distribution(const Decision& decision, Rng&, std::int32_t) const override {
    const std::size_t n = decision.arms.size();
    const std::int32_t columns = std::max(decision.slots, 0);
    std::vector<double> distribution(n * columns, 0.0);
    for (std::size_t arm = 0; arm < n; ++arm)
      for (std::int32_t slot = 0; slot < slate_size(decision); ++slot) distribution[arm * columns + slot] = 1.0 / n;
    return distribution;
  }

  void update(const Outcome&) override {}
  void refit(std::span<const Outcome>, double) override {}

 private:
  std::string spec_;
};

}  // namespace

std::unique_ptr<Policy> make_uniform_policy(std::string spec) { return std::make_unique<UniformPolicy>(std::move(spec)); }

}  // namespace segue::home

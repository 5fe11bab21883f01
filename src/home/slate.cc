// Slate helpers shared by the policies (src/home/slate.h).
#include "home/slate.h"

#include <algorithm>
#include <numeric>

namespace segue::home {

std::int32_t slate_size(const Decision& decision) {
  return std::max(0, std::min(decision.slots, static_cast<std::int32_t>(decision.arms.size())));
}

void rank_by_score(std::span<const double> scores, std::vector<std::int32_t>& ranking) {
  ranking.resize(scores.size());
  std::iota(ranking.begin(), ranking.end(), 0);
  std::stable_sort(ranking.begin(), ranking.end(),
                   [&scores](std::int32_t a, std::int32_t b) { return scores[a] > scores[b]; });
}

std::int32_t nth_unpicked(std::span<const char> picked, std::uint32_t index) {
  for (std::size_t arm = 0; arm < picked.size(); ++arm)
    if (!picked[arm] && index-- == 0) return static_cast<std::int32_t>(arm);
  return -1;
}

std::vector<double> egreedy_marginals(std::span<const std::int32_t> ranking, std::int32_t columns, double epsilon) {
  const auto n = static_cast<std::int32_t>(ranking.size());
  const std::int32_t slots = std::min(columns, n);
  std::vector<double> marginals(static_cast<std::size_t>(n) * columns, 0.0);
  const auto cell = [&](std::int32_t rank, std::int32_t slot) -> double& {
    return marginals[static_cast<std::size_t>(ranking[rank]) * columns + slot];
  };
  // state[m]: P(ranks 0..m-1 all picked, rank m not) before slot j; the other
  // j - m picks are a uniform subset of ranks m+1..n-1.
  std::vector<double> state(n + 1, 0.0), next(n + 1, 0.0);
  state[0] = 1.0;
  for (std::int32_t slot = 0; slot < slots; ++slot) {
    const double remaining = n - slot;
    std::fill(next.begin(), next.end(), 0.0);
    for (std::int32_t m = 0; m <= std::min(slot, n - 1); ++m) {
      const double p = state[m];
      if (p == 0.0) continue;
      const std::int32_t extra = slot - m;      // picks below the head
      const std::int32_t below = n - m - 1;     // ranks below the head
      const double head = (1.0 - epsilon) + epsilon / remaining;
      cell(m, slot) += p * head;
      if (below > 0) {
        const double other = p * (epsilon / remaining) * (1.0 - static_cast<double>(extra) / below);
        for (std::int32_t rank = m + 1; rank < n; ++rank) cell(rank, slot) += other;
      }
      // A pick below the head: the prefix stays, the subset grows by one.
      next[m] += p * (below - extra) * epsilon / remaining;
      // The head: the prefix grows by 1 + the run of already-picked ranks after it.
      double at_least = 1.0;  // P(run >= length)
      for (std::int32_t length = 0; length <= extra; ++length) {
        const double longer = length < extra ? at_least * (extra - length) / (below - length) : 0.0;
        next[m + 1 + length] += p * head * (at_least - longer);
        at_least = longer;
      }
    }
    std::swap(state, next);
  }
  return marginals;
}

}  // namespace segue::home

// Sequential Thompson sampling over a slate: every slot is a fresh posterior
// draw of all arms' scores, and the best arm not yet picked takes the slot.
// Drawing afresh per slot (rather than ordering one draw) makes the
// propensity at slot j exactly P(arm = argmax of one posterior draw over the
// arms left), whatever the earlier picks were: the conditional probability
// the log needs, which Monte Carlo estimates with the same precision at every
// slot (conditioning one draw's order on the earlier picks would leave few
// matching draws for the deeper slots).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "home/bandit.h"
#include "home/slate.h"

namespace segue::home {

// DrawScores: void(Rng&, std::span<double> scores), one posterior draw of
// every arm's score. `means` gives Pick::predicted_reward.
template <class DrawScores>
void decide_sequential_thompson(const Decision& decision, Rng& rng, std::int32_t draws, DrawScores&& draw_scores,
                                std::span<const double> means, std::vector<Pick>& out) {
  const std::size_t n = decision.arms.size();
  const std::int32_t slots = slate_size(decision);
  thread_local std::vector<double> scores;
  thread_local std::vector<char> picked;
  thread_local std::vector<std::int32_t> wins;
  scores.resize(n);
  picked.assign(n, 0);
  out.clear();
  if (slots == 0) return;
  for (std::int32_t slot = 0; slot < slots; ++slot) {
    draw_scores(rng, std::span<double>(scores));
    std::int32_t best = -1;
    for (std::size_t arm = 0; arm < n; ++arm)
      if (!picked[arm] && (best < 0 || scores[arm] > scores[best])) best = static_cast<std::int32_t>(arm);
    picked[best] = 1;
    out.push_back(Pick{best, slot, 1.0, draws, means[best]});
  }
  // Propensities from `draws` shared draws: the picked arm at slot j wins a
  // draw when it beats the arms never picked and the ones picked after j.
  wins.assign(slots, 0);
  for (std::int32_t d = 0; d < draws; ++d) {
    draw_scores(rng, std::span<double>(scores));
    double rival = -std::numeric_limits<double>::infinity();
    for (std::size_t arm = 0; arm < n; ++arm)
      if (!picked[arm]) rival = std::max(rival, scores[arm]);
    for (std::int32_t slot = slots - 1; slot >= 0; --slot) {
      const double score = scores[out[slot].arm];
      if (score > rival) ++wins[slot];
      rival = std::max(rival, score);
    }
  }
  // A picked arm that never won gets 1/draws, not 0: its own pick shows it
  // can win, and a zero propensity would break importance weighting.
  for (std::int32_t slot = 0; slot < slots; ++slot)
    out[slot].propensity = draws > 0 ? std::max(wins[slot], 1) / static_cast<double>(draws) : 1.0;
}

// P(arm at slot) by simulating the policy `draws` times: arms × slots, row-major.
template <class DrawScores>
std::vector<double> sequential_thompson_distribution(const Decision& decision, Rng& rng, std::int32_t draws,
                                                     DrawScores&& draw_scores) {
  const std::size_t n = decision.arms.size();
  const std::int32_t columns = std::max(decision.slots, 0);
  const std::int32_t slots = slate_size(decision);
  std::vector<double> distribution(n * columns, 0.0);
  std::vector<double> scores(n);
  std::vector<char> picked(n);
  for (std::int32_t d = 0; d < draws; ++d) {
    std::fill(picked.begin(), picked.end(), 0);
    for (std::int32_t slot = 0; slot < slots; ++slot) {
      draw_scores(rng, std::span<double>(scores));
      std::size_t best = n;
      for (std::size_t arm = 0; arm < n; ++arm)
        if (!picked[arm] && (best == n || scores[arm] > scores[best])) best = arm;
      picked[best] = 1;
      distribution[best * columns + slot] += 1.0 / draws;
    }
  }
  return distribution;
}

}  // namespace segue::home

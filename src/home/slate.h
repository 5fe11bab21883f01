// Pieces every policy shares: how many picks a decision gets, a deterministic
// ranking by score, the exact slot marginals of ε-greedy over a ranking, and
// the Monte Carlo machinery of sequential Thompson sampling.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "home/bandit.h"

namespace segue::home {

// min(slots, arms): the number of picks decide() makes.
std::int32_t slate_size(const Decision& decision);

// Arm indices by descending score, ties by lower index (what greedy picks, in order).
void rank_by_score(std::span<const double> scores, std::vector<std::int32_t>& ranking);

// The `index`-th arm (0-based, in index order) that is not yet picked.
std::int32_t nth_unpicked(std::span<const char> picked, std::uint32_t index);

// P(arm at slot) for ε-greedy over a fixed ranking, arms × columns row-major
// (columns beyond the arms stay 0). Exact: a dynamic programme over m, the
// number of top-ranked arms already picked as an unbroken prefix; the other
// picks so far are a uniformly random subset of the ranks below the prefix
// head (a uniform pick keeps that subset uniform), so m alone is the state.
// ε = 0 gives greedy's 0/1 matrix.
std::vector<double> egreedy_marginals(std::span<const std::int32_t> ranking, std::int32_t columns, double epsilon);

}  // namespace segue::home

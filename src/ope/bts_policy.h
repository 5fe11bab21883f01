// Bernoulli Thompson sampling as a context-free evaluation policy: its
// probability of each item at each slot, by Monte Carlo over its Beta
// posteriors, computed as the Open Bandit Pipeline's
// BernoulliTS.compute_batch_action_dist does (obp 0.5.5): per draw, sample
// theta_i ~ Beta(alpha_i, beta_i) for every item, rank items by theta, and
// count the top n_slots items at their ranks; frequencies / draws.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ope/action_dist.h"

namespace segue::ope {

struct BetaPrior {
  std::vector<double> alpha;  // one per item (item id = index), > 0
  std::vector<double> beta;
};

// The campaign's parameters from a prior_bts.yaml as the OBP ships it:
//   campaign:\n  alpha:\n    - 47.0\n ...\n  beta:\n    - ...
// Only that subset of YAML (block lists of numbers under alpha/beta under
// top-level campaign keys; '#' comments) is read; anything else is an
// InputError naming the line. Unknown campaign: InputError listing the ones there.
BetaPrior read_bts_prior(const std::string& path, const std::string& campaign);

// A draw from Beta(a, b) as X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b)
// (Marsaglia–Tsang), from mt19937_64 bits only, so a seed gives the same
// numbers with every standard library (std::gamma_distribution does not).
double beta_draw(std::mt19937_64& rng, double a, double b);

// The Monte Carlo action distribution over n_items = prior size and n_slots
// slots (<= n_items). Standard error of each probability p is
// sqrt(p (1 - p) / draws) (<= 0.0016 for 100,000 draws).
ActionDist bts_action_dist(const BetaPrior& prior, std::int32_t n_slots, std::int64_t draws, std::uint64_t seed);

}  // namespace segue::ope

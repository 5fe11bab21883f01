// Closing the loop in the simulator: log one (frozen) policy, estimate another
// (frozen) policy's stream rate from those logs with the off-policy estimators
// of src/ope, then run that policy for the truth.
//
// The estimand is the stream rate of the top row's cards. A card's logged
// propensity is a product of conditionals (the shelf at its row given the rows
// above, the card at its place given the cards before it and the tracks
// already on the page: page.h), which is not the marginal probability that
// per-position IPS needs; on the top row the marginal is exact and cheap —
// P(shelf s at row 0) × P(card a at place c | shelf s on an empty page), both
// from Policy::action_distribution — so the weights there are exact. Lower
// rows depend on what the rows above took and are left out. The simulator runs
// stateless (no history, no wear) so pages are i.i.d. contexts, as the
// estimators assume.
#pragma once

#include <string>
#include <vector>

#include "home/simulator.h"

namespace segue::home {

struct OffPolicyEstimate {
  std::string estimator;  // ipw, snipw, dm, dr
  double value = 0, lo = 0, hi = 0;  // 95% CI: bootstrap over logged pages
};

struct OffPolicyComparison {
  std::int64_t logged_pages = 0, logged_cards = 0;  // top-row cards
  double effective_sample_size = 0;                 // (Σw)² / Σw²
  double max_weight = 0;
  std::vector<OffPolicyEstimate> estimates;
  // The target run in the simulator: its top-row stream rate (realised, and
  // the mean of the simulator's P(stream) over the cards it showed), with a
  // 95% CI over its pages.
  double truth = 0, truth_lo = 0, truth_hi = 0;
  double truth_expected = 0;
  std::int64_t truth_pages = 0;
};

struct OffPolicyOptions {
  std::int32_t log_rounds = 10;    // logging pages per listener
  std::int32_t truth_rounds = 10;  // target pages per listener
  std::int32_t bootstrap = 200;
  std::uint64_t seed = 1;
};

// `sim` must be stateless (SimulatorOptions::stateful = false); the policies
// are not updated. DM and DR's reward model: a greedy policy's factorization
// machine fed the logged top-row outcomes, calibrated per card place (its
// prediction has no position; the place's logged rate fixes the scale), fitted
// on the same logs it corrects (no cross-fitting).
OffPolicyComparison compare_off_policy(ListenerSimulator& sim, Policy& logger_shelves, Policy& logger_cards,
                                       Policy& target_shelves, Policy& target_cards,
                                       const OffPolicyOptions& options);

}  // namespace segue::home

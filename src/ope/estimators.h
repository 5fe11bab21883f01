// Off-policy estimators of a policy's value per (round, slot) from logged
// bandit feedback, as the Open Bandit Pipeline 0.5.5 computes them
// (obp/ope/estimators.py, no weight clipping). Slates are handled per
// position and independently: round i is one (item a_i, slot k_i) shown with
// propensity p_i, and its weight w_i = pi_e(a_i | k_i) / p_i uses only the
// evaluation policy's marginal at that slot. That is unbiased for the mean
// reward per slot when a slot's reward depends only on the item in that slot
// (no interaction between the items of one slate) and every item pi_e can
// put at a slot has a logged propensity > 0 there.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ope/action_dist.h"
#include "ope/logged_feedback.h"
#include "ope/reward_model.h"

namespace segue::ope {

enum class EstimatorKind { kIpw, kSnipw, kDm, kDr, kSndr, kSwitchDr };

struct EstimatorSpec {
  EstimatorKind kind = EstimatorKind::kIpw;
  std::string name;    // "ipw", "snipw", "dm", "dr", "sndr", "switch-dr"
  double tau = 10.0;   // switch-dr only: rounds with w > tau use DM alone
  bool needs_model() const { return kind != EstimatorKind::kIpw && kind != EstimatorKind::kSnipw; }
};

// "ipw,snipw,dm,dr,sndr,switch-dr:tau=10" (UsageError naming --estimators for
// an unknown name, a bad tau or a repeat).
std::vector<EstimatorSpec> parse_estimators(const std::string& list);

// What every estimator is a function of, per round i:
//   weight w_i = pi_e(a_i | k_i) / p_i, reward r_i,
//   dm_i = Σ_a pi_e(a | k_i) q̂(x_i, a, k_i) / Σ_a pi_e(a | k_i) (OBP's np.average),
//   q_factual_i = q̂(x_i, a_i, k_i).
// dm and q_factual are empty when model is null.
struct RoundTerms {
  std::vector<double> weight, reward, dm, q_factual;
};

// UsageError when the distribution or model does not fit the log (fewer
// items than the log's ids, other slot count).
RoundTerms round_terms(const LoggedFeedback& log, const ActionDist& dist, const RewardPredictions* model);
// The terms of the listed rounds, entry j = round rows[j] (a bootstrap resample).
RoundTerms round_terms(const LoggedFeedback& log, const ActionDist& dist, const RewardPredictions* model,
                       std::span<const std::uint32_t> rows);

// The evaluation policy's probability mass, averaged over slots, on items the
// log never shows at that slot: 0 when the log supports pi_e; above 0 IPW and
// SNIPW miss that part of the value, and DM and the DR family see it only
// through q̂ (a mean weight below 1 shows it too).
double unsupported_mass(const LoggedFeedback& log, const ActionDist& dist);

// The estimate over the rounds listed in `rows` (repeats allowed: a bootstrap
// resample), n = rows.size():
//   ipw       Σ w r / n
//   snipw     Σ w r / Σ w
//   dm        Σ dm / n
//   dr        Σ (dm + w (r - q_f)) / n
//   sndr      Σ dm / n + Σ w (r - q_f) / Σ w
//   switch-dr Σ (dm + [w <= tau] w (r - q_f)) / n
// Self-normalised estimators are 0 when Σ w = 0.
double estimate(const EstimatorSpec& spec, const RoundTerms& terms, std::span<const std::uint32_t> rows);

}  // namespace segue::ope

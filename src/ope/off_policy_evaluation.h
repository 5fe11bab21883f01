// One off-policy evaluation: every requested estimator's value with a
// bootstrap confidence interval over rounds, and diagnostics of the
// importance weights (how far the evaluation policy is from the logging one).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "ope/estimators.h"

namespace segue::ope {

struct OpeOptions {
  std::vector<EstimatorSpec> estimators;
  // Percentile bootstrap over rounds, as src/eval/statistics.h: resample b
  // draws rounds with replacement from mt19937_64 seeded by splitmix64(seed, b)
  // and bounded_draw, and every estimator is recomputed on it (the
  // self-normalised ones renormalise per resample; the reward model is not
  // re-fitted). 0 resamples: no interval (lo = hi = value).
  std::int32_t resamples = 1000;
  std::uint64_t seed = 42;
  double level = 0.95;
  // When set, each resample's terms come from here (entry j = round rows[j]),
  // so a reward model can be re-fitted on the resample and DM's interval
  // includes the model's own error; when unset, the full log's terms are
  // resampled (the model fixed, as the Open Bandit Pipeline does).
  std::function<RoundTerms(std::span<const std::uint32_t> rows)> resample_terms;
};

struct OpeEstimate {
  std::string name;
  double value = 0.0;
  double lo = 0.0;
  double hi = 0.0;
};

// Of the importance weights w_i over all rounds.
struct WeightDiagnostics {
  double effective_sample_size = 0.0;  // (Σ w)² / Σ w²: rounds an on-policy log would need for the same variance (roughly)
  double max_weight = 0.0;
  double mean_weight = 0.0;            // ≈ 1 when pi_e is covered by the logging policy
  std::int64_t zero_weight_rounds = 0; // rounds whose logged item pi_e never shows at that slot
};

struct OpeResult {
  std::vector<OpeEstimate> estimates;
  std::int64_t rounds = 0;
  WeightDiagnostics diagnostics;
};

WeightDiagnostics weight_diagnostics(const std::vector<double>& weights);

// UsageError for bad options (level outside (0, 1), negative resamples, no estimators).
OpeResult evaluate_off_policy(const RoundTerms& terms, const OpeOptions& options);

}  // namespace segue::ope

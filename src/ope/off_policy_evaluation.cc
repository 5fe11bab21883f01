#include "ope/off_policy_evaluation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "data/error.h"
#include "eval/statistics.h"
#include "util/thread_pool.h"

namespace segue::ope {
namespace {

// Resample b's own seed, so resamples run on any thread with the same result.
std::uint64_t resample_seed(std::uint64_t seed, std::int64_t b) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// numpy's default quantile: linear interpolation between order statistics.
double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

WeightDiagnostics weight_diagnostics(const std::vector<double>& weights) {
  WeightDiagnostics d;
  if (weights.empty()) return d;
  double sum = 0.0, sum_sq = 0.0;
  for (const double w : weights) {
    sum += w;
    sum_sq += w * w;
    d.max_weight = std::max(d.max_weight, w);
    if (w == 0.0) ++d.zero_weight_rounds;
  }
  d.mean_weight = sum / static_cast<double>(weights.size());
  d.effective_sample_size = sum_sq > 0.0 ? sum * sum / sum_sq : 0.0;
  return d;
}

OpeResult evaluate_off_policy(const RoundTerms& terms, const OpeOptions& options) {
  if (options.estimators.empty()) throw UsageError("--estimators: at least one estimator");
  if (options.resamples < 0) throw UsageError("--bootstrap: resamples must be >= 0");
  if (!(options.level > 0.0 && options.level < 1.0)) throw UsageError("confidence level must be in (0, 1)");
  const std::size_t n = terms.weight.size();
  OpeResult result;
  result.rounds = static_cast<std::int64_t>(n);
  result.diagnostics = weight_diagnostics(terms.weight);
  std::vector<std::uint32_t> all(n);
  std::iota(all.begin(), all.end(), 0u);
  const std::size_t m = options.estimators.size();
  // values[b * m + e]: estimator e on resample b.
  std::vector<double> values(static_cast<std::size_t>(options.resamples) * m);
  default_thread_pool().parallel_for(0, options.resamples, 4, [&](std::int64_t begin, std::int64_t end, int) {
    std::vector<std::uint32_t> rows(n);
    for (std::int64_t b = begin; b < end; ++b) {
      std::mt19937_64 rng(resample_seed(options.seed, b));
      for (std::uint32_t& row : rows) row = static_cast<std::uint32_t>(bounded_draw(rng, n));
      double* out = values.data() + static_cast<std::size_t>(b) * m;
      if (options.resample_terms) {
        const RoundTerms refit = options.resample_terms(rows);
        for (std::size_t e = 0; e < m; ++e) out[e] = estimate(options.estimators[e], refit, all);
      } else {
        for (std::size_t e = 0; e < m; ++e) out[e] = estimate(options.estimators[e], terms, rows);
      }
    }
  });
  const double tail = (1.0 - options.level) / 2.0;
  for (std::size_t e = 0; e < m; ++e) {
    OpeEstimate out;
    out.name = options.estimators[e].name;
    out.value = estimate(options.estimators[e], terms, all);
    out.lo = out.hi = out.value;
    if (options.resamples > 0 && n > 0) {
      std::vector<double> column(static_cast<std::size_t>(options.resamples));
      for (std::int32_t b = 0; b < options.resamples; ++b) column[b] = values[static_cast<std::size_t>(b) * m + e];
      std::sort(column.begin(), column.end());
      out.lo = quantile_sorted(column, tail);
      out.hi = quantile_sorted(column, 1.0 - tail);
    }
    result.estimates.push_back(out);
  }
  return result;
}

}  // namespace segue::ope

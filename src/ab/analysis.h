// The A/B analysis `segue ab analyze` prints and bench_ab simulates: per-arm
// metrics with listener-level CIs, each arm against control (fixed-horizon
// z-test, CUPED-adjusted test, mSPRT look), and the sample-ratio check.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ab/cuped.h"
#include "ab/impression_log.h"
#include "ab/msprt.h"
#include "ab/ratio_metric.h"
#include "ab/srm.h"

namespace segue::ab {

// Each metric is Σ numerator / Σ denominator over an arm's listeners.
enum class Metric { kPagesPerListener, kStreamRate, kSkipRate, kLikesPerListener };
inline constexpr std::array<Metric, 4> kAllMetrics{Metric::kPagesPerListener, Metric::kStreamRate, Metric::kSkipRate,
                                                   Metric::kLikesPerListener};
const char* metric_name(Metric metric);  // "pages_per_listener", "stream_rate", ...
double numerator(Metric metric, const ListenerTotals& t);
double denominator(Metric metric, const ListenerTotals& t);  // 1 for per-listener metrics

struct AnalysisOptions {
  double alpha = 0.05;
  std::vector<Metric> metrics{kAllMetrics.begin(), kAllMetrics.end()};
  int control = 0;                 // index of the control arm
  std::vector<double> shares;      // configured shares aligned with the arms; empty: no SRM check
  // mSPRT mixing scale per metric (absolute, on the metric's scale), aligned
  // with `metrics`; a missing or 0 entry means tau_relative × the control's
  // value at this look. Fix it before the experiment for a strictly
  // always-valid test (the CLI takes it from the whole log).
  std::vector<double> tau;
  double tau_relative = 0.05;
};

struct Comparison {
  Difference fixed;                 // fixed-horizon z-test (valid at one pre-planned look)
  std::optional<Difference> cuped;  // the same on CUPED-adjusted estimates (with a pre period)
  MsprtLook sequential;             // this look's mSPRT, on the unadjusted difference
  std::optional<MsprtLook> sequential_cuped;  // the same on the CUPED-adjusted difference
};

struct MetricReport {
  Metric metric = Metric::kStreamRate;
  double tau = 0.0;                       // the mSPRT τ used
  std::vector<RatioEstimate> arms;        // per arm: value and delta-method variance
  std::optional<CupedResult> cuped;       // with a pre period
  std::vector<Comparison> vs_control;     // per arm; the control's own entry is empty
};

struct ArmCounts {
  std::int64_t listeners = 0, pages = 0, impressions = 0, streams = 0, skips = 0, likes = 0;
};

struct AbReport {
  std::vector<std::string> arms;
  int control = 0;
  double alpha = 0.05;
  std::vector<ArmCounts> counts;
  std::optional<SrmTest> srm;
  std::vector<MetricReport> metrics;
};

// pre: each listener's pre-period totals aligned with data.listeners (e.g.
// align_pre_period), or empty for no CUPED. UsageError when there are fewer
// than 2 arms, the control index or shares do not fit the arms, or pre is
// not aligned.
AbReport analyze(const AbData& data, std::span<const ListenerTotals> pre, const AnalysisOptions& options);

// Always-valid results per (metric, arm) over successive looks at a growing
// experiment: feed each look's report in order.
class SequentialMonitor {
 public:
  void observe(const AbReport& look);
  // The metric's index in the reports' `metrics`, and an arm index.
  // Before any look: p = 1 and an unbounded interval.
  const AlwaysValid& at(std::size_t metric, std::size_t arm) const { return lookup(results_, metric, arm); }
  // The same on the CUPED-adjusted differences (looks analysed with a pre period).
  const AlwaysValid& at_cuped(std::size_t metric, std::size_t arm) const { return lookup(cuped_, metric, arm); }

 private:
  static const AlwaysValid& lookup(const std::vector<std::vector<AlwaysValid>>& table, std::size_t metric,
                                   std::size_t arm);
  std::vector<std::vector<AlwaysValid>> results_, cuped_;
};

}  // namespace segue::ab

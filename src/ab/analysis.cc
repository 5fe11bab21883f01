#include "ab/analysis.h"

#include <cmath>

#include "data/error.h"

namespace segue::ab {

const char* metric_name(Metric metric) {
  switch (metric) {
    case Metric::kPagesPerListener: return "pages_per_listener";
    case Metric::kStreamRate: return "stream_rate";
    case Metric::kSkipRate: return "skip_rate";
    case Metric::kLikesPerListener: return "likes_per_listener";
  }
  return "?";
}

double numerator(Metric metric, const ListenerTotals& t) {
  switch (metric) {
    case Metric::kPagesPerListener: return static_cast<double>(t.pages);
    case Metric::kStreamRate: return static_cast<double>(t.streams);
    case Metric::kSkipRate: return static_cast<double>(t.skips);
    case Metric::kLikesPerListener: return static_cast<double>(t.likes);
  }
  return 0.0;
}

double denominator(Metric metric, const ListenerTotals& t) {
  return metric == Metric::kStreamRate || metric == Metric::kSkipRate ? static_cast<double>(t.impressions) : 1.0;
}

namespace {

std::vector<ArmSeries> series(Metric metric, std::span<const ListenerTotals> listeners,
                              std::span<const ListenerTotals> arms_of, std::size_t n_arms) {
  std::vector<ArmSeries> out(n_arms);
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    ArmSeries& s = out[static_cast<std::size_t>(arms_of[i].arm)];
    s.y.push_back(numerator(metric, listeners[i]));
    s.x.push_back(denominator(metric, listeners[i]));
  }
  return out;
}

}  // namespace

AbReport analyze(const AbData& data, std::span<const ListenerTotals> pre, const AnalysisOptions& options) {
  const std::size_t n_arms = data.arms.size();
  if (n_arms < 2) throw UsageError("an A/B analysis needs at least 2 arms, the log has " + std::to_string(n_arms));
  if (options.control < 0 || static_cast<std::size_t>(options.control) >= n_arms)
    throw UsageError("control arm index " + std::to_string(options.control) + " is out of range");
  if (!options.shares.empty() && options.shares.size() != n_arms)
    throw UsageError("the shares name " + std::to_string(options.shares.size()) + " arms, the log has " +
                     std::to_string(n_arms));
  if (!pre.empty() && pre.size() != data.listeners.size())
    throw UsageError("the pre-period totals are not aligned with the listeners");

  AbReport report;
  report.arms = data.arms;
  report.control = options.control;
  report.alpha = options.alpha;
  report.counts.resize(n_arms);
  for (const ListenerTotals& t : data.listeners) {
    if (t.arm < 0 || static_cast<std::size_t>(t.arm) >= n_arms)
      throw UsageError("a listener's arm index " + std::to_string(t.arm) + " is out of range");
    ArmCounts& c = report.counts[static_cast<std::size_t>(t.arm)];
    ++c.listeners;
    c.pages += t.pages;
    c.impressions += t.impressions;
    c.streams += t.streams;
    c.skips += t.skips;
    c.likes += t.likes;
  }
  if (!options.shares.empty()) {
    std::vector<std::int64_t> listeners;
    for (const ArmCounts& c : report.counts) listeners.push_back(c.listeners);
    report.srm = srm_test(listeners, options.shares);
  }

  const std::size_t control = static_cast<std::size_t>(options.control);
  for (std::size_t k = 0; k < options.metrics.size(); ++k) {
    MetricReport m;
    m.metric = options.metrics[k];
    const std::vector<ArmSeries> now = series(m.metric, data.listeners, data.listeners, n_arms);
    for (const ArmSeries& s : now) m.arms.push_back(ratio_estimate(s.y, s.x));
    if (!pre.empty()) m.cuped = cuped_adjust(now, series(m.metric, pre, data.listeners, n_arms));
    const double given = k < options.tau.size() ? options.tau[k] : 0.0;
    m.tau = given > 0.0 ? given : options.tau_relative * std::abs(m.arms[control].value);
    if (!(m.tau > 0.0)) m.tau = options.tau_relative;  // a control at 0 (or undefined): an absolute fallback
    m.vs_control.resize(n_arms);
    for (std::size_t a = 0; a < n_arms; ++a) {
      if (a == control) continue;
      Comparison& c = m.vs_control[a];
      c.fixed = difference(m.arms[control], m.arms[a], options.alpha);
      if (m.cuped) c.cuped = difference(m.cuped->arms[control], m.cuped->arms[a], options.alpha);
      const double variance = m.arms[control].variance + m.arms[a].variance;
      c.sequential = msprt_look(c.fixed.estimate, variance, m.tau, options.alpha);
      if (c.cuped) c.sequential_cuped = msprt_look(c.cuped->estimate, c.cuped->se * c.cuped->se, m.tau, options.alpha);
    }
    report.metrics.push_back(std::move(m));
  }
  return report;
}

const AlwaysValid& SequentialMonitor::lookup(const std::vector<std::vector<AlwaysValid>>& table, std::size_t metric,
                                             std::size_t arm) {
  static const AlwaysValid none;
  if (table.empty()) return none;
  return table.at(metric).at(arm);
}

void SequentialMonitor::observe(const AbReport& look) {
  if (results_.empty()) {
    results_.assign(look.metrics.size(), std::vector<AlwaysValid>(look.arms.size()));
    cuped_ = results_;
  }
  for (std::size_t k = 0; k < look.metrics.size(); ++k)
    for (std::size_t a = 0; a < look.arms.size(); ++a) {
      if (static_cast<int>(a) == look.control) continue;
      const Comparison& c = look.metrics[k].vs_control[a];
      results_[k][a].observe(c.sequential);
      if (c.sequential_cuped) cuped_[k][a].observe(*c.sequential_cuped);
    }
}

}  // namespace segue::ab

// segue ab analyze|assign: A/B tests on the home screen's impression log
// (docs/AB.md). analyze reads LOG.csv (--format segue), reports each arm's
// metrics with listener-level CIs, each arm against control (fixed-horizon,
// CUPED with --pre, the always-valid mSPRT and O'Brien–Fleming group-sequential
// boundaries over --looks), and the sample-ratio check; assign prints the arm
// of listeners.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "ab/analysis.h"
#include "ab/distributions.h"
#include "ab/experiment.h"
#include "ab/group_sequential.h"
#include "ab/impression_log.h"
#include "cli/commands.h"
#include "data/error.h"

namespace segue::cli {
namespace {

using nlohmann::json;

struct AnalyzeArgs {
  std::string log, pre, experiment, experiment_file, shares, control, json_path;
  double alpha = 0.05;
  double tau_relative = 0.05;
  int looks = 10;
};

// The arms and shares from the experiment file or --shares (in that order of
// preference; neither: arms as the log has them and no SRM check).
std::vector<ab::Arm> configured_arms(const AnalyzeArgs& args, std::string& experiment_name) {
  if (!args.experiment_file.empty()) {
    if (!args.shares.empty()) throw UsageError("--shares: give either --experiment-file or --shares, not both");
    ab::Experiment experiment = ab::load_experiment(args.experiment_file);
    if (experiment_name.empty()) experiment_name = experiment.name;
    else if (experiment_name != experiment.name)
      throw UsageError("--experiment '" + experiment_name + "' differs from the name in '" + args.experiment_file +
                       "' ('" + experiment.name + "')");
    return experiment.arms;
  }
  return args.shares.empty() ? std::vector<ab::Arm>{} : ab::parse_shares(args.shares);
}

int control_index(const std::vector<std::string>& arms, const std::string& wanted) {
  const std::string name = wanted.empty() ? "control" : wanted;
  const auto it = std::find(arms.begin(), arms.end(), name);
  if (it != arms.end()) return static_cast<int>(it - arms.begin());
  if (!wanted.empty()) throw UsageError("--control: the log has no arm '" + wanted + "'");
  return 0;  // no arm called control: the first configured (or seen) arm
}

// Timestamps of the looks: the k/K quantiles of the impressions' timestamps.
std::vector<std::int64_t> look_times(const ab::ImpressionLog& log, int looks) {
  std::vector<std::int64_t> times;
  times.reserve(log.rows.size());
  for (const ab::Impression& row : log.rows) times.push_back(row.timestamp);
  std::sort(times.begin(), times.end());
  std::vector<std::int64_t> out;
  for (int k = 1; k <= looks; ++k) {
    const std::size_t k_rows = (times.size() * static_cast<std::size_t>(k) + looks - 1) / looks;  // ceil
    const std::size_t at = std::max<std::size_t>(1, k_rows) - 1;
    if (out.empty() || times[at] > out.back()) out.push_back(times[at]);
  }
  return out;
}

json interval(double lo, double hi) { return json::array({lo, hi}); }

// The z of every (metric, arm) at every look, and the O'Brien–Fleming
// boundaries for looks at the listener fractions seen (the whole log being the
// planned horizon): the first look whose |z| reaches its boundary, or 0.
struct GroupSequential {
  std::vector<double> fractions, bounds;
  std::vector<std::vector<std::vector<double>>> z;  // [look][metric][arm]

  int crossed_at(std::size_t metric, std::size_t arm) const {
    for (std::size_t k = 0; k < bounds.size(); ++k)
      if (std::abs(z[k][metric][arm]) >= bounds[k]) return static_cast<int>(k) + 1;
    return 0;
  }
};

json difference_json(const ab::Difference& d) {
  return {{"difference", d.estimate}, {"relative", d.relative}, {"se", d.se},
          {"ci", interval(d.lo, d.hi)}, {"z", d.z}, {"p", d.p}};
}

json report_json(const ab::AbReport& r, const ab::SequentialMonitor& monitor, const GroupSequential& group,
                 const std::string& experiment) {
  const double z = ab::normal_quantile(1.0 - r.alpha / 2.0);
  json out = {{"experiment", experiment}, {"alpha", r.alpha}, {"control", r.arms[r.control]}};
  json arms = json::array();
  for (std::size_t a = 0; a < r.arms.size(); ++a) {
    const ab::ArmCounts& c = r.counts[a];
    json arm = {{"name", r.arms[a]}, {"listeners", c.listeners}, {"pages", c.pages}, {"impressions", c.impressions},
                {"streams", c.streams}, {"skips", c.skips}, {"likes", c.likes}};
    for (const ab::MetricReport& m : r.metrics) {
      const ab::RatioEstimate& e = m.arms[a];
      arm["metrics"][ab::metric_name(m.metric)] = {{"value", e.value}, {"se", e.se()},
                                                   {"ci", interval(e.value - z * e.se(), e.value + z * e.se())}};
    }
    arms.push_back(arm);
  }
  out["arms"] = arms;
  if (r.srm) out["srm"] = {{"chi_square", r.srm->chi_square}, {"df", r.srm->df}, {"p", r.srm->p},
                           {"expected", r.srm->expected}};
  for (std::size_t k = 0; k < r.metrics.size(); ++k) {
    const ab::MetricReport& m = r.metrics[k];
    json metric;
    if (m.cuped) metric["cuped"] = {{"theta", m.cuped->theta}, {"variance_reduction", m.cuped->variance_reduction}};
    metric["tau"] = m.tau;
    for (std::size_t a = 0; a < r.arms.size(); ++a) {
      if (static_cast<int>(a) == r.control) continue;
      const ab::Comparison& c = m.vs_control[a];
      json arm = {{"fixed_horizon", difference_json(c.fixed)}};
      if (c.cuped) arm["cuped"] = difference_json(*c.cuped);
      const ab::AlwaysValid& v = monitor.at(k, a);
      arm["always_valid"] = {{"looks", v.looks}, {"p", v.p}, {"ci", interval(v.lo, v.hi)}};
      if (c.cuped) {
        const ab::AlwaysValid& w = monitor.at_cuped(k, a);
        arm["always_valid_cuped"] = {{"looks", w.looks}, {"p", w.p}, {"ci", interval(w.lo, w.hi)}};
      }
      arm["group_sequential"] = {{"spending", "obrien_fleming"}, {"fractions", group.fractions},
                                 {"bounds", group.bounds}, {"crossed_at_look", group.crossed_at(k, a)}};
      metric["vs_control"][r.arms[a]] = arm;
    }
    out["metrics"][ab::metric_name(m.metric)] = metric;
  }
  return out;
}

void print_report(const ab::AbReport& r, const ab::SequentialMonitor& monitor, const GroupSequential& group,
                  const ab::ImpressionLog& log, int looks) {
  const double z = ab::normal_quantile(1.0 - r.alpha / 2.0);
  std::int64_t listeners = 0;
  for (const ab::ArmCounts& c : r.counts) listeners += c.listeners;
  std::printf("experiment '%s': %zu arms, %lld listeners, %zu impressions", log.experiment.c_str(), r.arms.size(),
              static_cast<long long>(listeners), log.rows.size());
  if (log.other_rows > 0) std::printf(" (%lld rows outside it left out)", static_cast<long long>(log.other_rows));
  std::printf("; control '%s'; CIs %.0f%%, listener-level (delta method)\n", r.arms[r.control].c_str(),
              100.0 * (1.0 - r.alpha));
  if (r.srm) {
    std::printf("sample ratio:");
    for (std::size_t a = 0; a < r.arms.size(); ++a)
      std::printf("%s %s %lld (expected %.1f)", a == 0 ? "" : ",", r.arms[a].c_str(), static_cast<long long>(r.counts[a].listeners),
                  r.srm->expected[a]);
    std::printf("; chi2 %.3f, df %d, p %.4g%s\n", r.srm->chi_square, r.srm->df, r.srm->p,
                r.srm->p < 0.001 ? "  MISMATCH: check assignment and logging before trusting anything below" : "");
  } else {
    std::printf("sample ratio: not checked (give --experiment-file or --shares)\n");
  }
  std::printf("\n%-14s %10s %12s", "arm", "listeners", "impressions");
  for (const ab::MetricReport& m : r.metrics) std::printf(" %30s", ab::metric_name(m.metric));
  std::printf("\n");
  for (std::size_t a = 0; a < r.arms.size(); ++a) {
    std::printf("%-14s %10lld %12lld", r.arms[a].c_str(), static_cast<long long>(r.counts[a].listeners),
                static_cast<long long>(r.counts[a].impressions));
    for (const ab::MetricReport& m : r.metrics) {
      const ab::RatioEstimate& e = m.arms[a];
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.4f [%.4f, %.4f]", e.value, e.value - z * e.se(), e.value + z * e.se());
      std::printf(" %30s", cell);
    }
    std::printf("\n");
  }
  for (std::size_t k = 0; k < r.metrics.size(); ++k) {
    const ab::MetricReport& m = r.metrics[k];
    std::printf("\n%s", ab::metric_name(m.metric));
    if (m.cuped)
      std::printf(" (CUPED theta %.4f, variance reduction %.1f%%)", m.cuped->theta,
                  100.0 * m.cuped->variance_reduction);
    std::printf("; mSPRT tau %.4g over %d looks\n", m.tau, looks);
    for (std::size_t a = 0; a < r.arms.size(); ++a) {
      if (static_cast<int>(a) == r.control) continue;
      const ab::Comparison& c = m.vs_control[a];
      std::printf("  %s - %s: %+.4f (%+.2f%%) [%.4f, %.4f] p %.4g (fixed horizon)", r.arms[a].c_str(),
                  r.arms[r.control].c_str(), c.fixed.estimate, 100.0 * c.fixed.relative, c.fixed.lo, c.fixed.hi,
                  c.fixed.p);
      if (c.cuped) std::printf("; CUPED %+.4f [%.4f, %.4f] p %.4g", c.cuped->estimate, c.cuped->lo, c.cuped->hi, c.cuped->p);
      const ab::AlwaysValid& v = monitor.at(k, a);
      std::printf("; always-valid [%.4f, %.4f] p %.4g", v.lo, v.hi, v.p);
      if (c.cuped) {
        const ab::AlwaysValid& w = monitor.at_cuped(k, a);
        std::printf("; always-valid CUPED [%.4f, %.4f] p %.4g", w.lo, w.hi, w.p);
      }
      const int crossed = group.crossed_at(k, a);
      if (crossed > 0) std::printf("; O'Brien-Fleming boundary crossed at look %d\n", crossed);
      else std::printf("; O'Brien-Fleming boundary not crossed\n");
    }
  }
}

// The experiment as it stood at each look (listeners with a row by then, with
// their pre-period totals when there is a pre log): the mSPRT's always-valid
// results and the z's against the O'Brien–Fleming boundaries. Returns the
// number of looks.
int watch_looks(const ab::ImpressionLog& log, const ab::ImpressionLog* pre_log, std::size_t listeners,
                const ab::AnalysisOptions& options, int looks, ab::SequentialMonitor& monitor, GroupSequential& group) {
  const std::vector<std::int64_t> times = look_times(log, looks);
  for (const std::int64_t until : times) {
    const ab::AbData look = ab::listener_totals(log, until);
    bool every_arm = true;  // an arm with no listener yet gives no look
    for (std::size_t a = 0; a < look.arms.size(); ++a)
      every_arm &= std::any_of(look.listeners.begin(), look.listeners.end(),
                               [a](const ab::ListenerTotals& t) { return t.arm == static_cast<int>(a); });
    if (!every_arm) continue;
    const ab::AbReport at = ab::analyze(
        look, pre_log ? ab::align_pre_period(look, *pre_log) : std::vector<ab::ListenerTotals>{}, options);
    monitor.observe(at);
    group.fractions.push_back(static_cast<double>(look.listeners.size()) / static_cast<double>(listeners));
    auto& z = group.z.emplace_back();
    for (const ab::MetricReport& m : at.metrics) {
      z.emplace_back();
      for (const ab::Comparison& c : m.vs_control) z.back().push_back(c.fixed.z);
    }
  }
  // A look that adds no listener adds no information: keep the last of equal fractions.
  for (std::size_t k = group.fractions.size(); k-- > 1;)
    if (group.fractions[k - 1] >= group.fractions[k]) {
      group.fractions.erase(group.fractions.begin() + static_cast<std::ptrdiff_t>(k) - 1);
      group.z.erase(group.z.begin() + static_cast<std::ptrdiff_t>(k) - 1);
    }
  group.bounds = ab::group_sequential_bounds(group.fractions, options.alpha);
  return static_cast<int>(times.size());
}

void add_analyze(CLI::App& parent) {
  auto args = std::make_shared<AnalyzeArgs>();
  CLI::App* cmd = parent.add_subcommand("analyze", "Per-arm metrics, tests against control, SRM, CUPED and mSPRT");
  cmd->add_option("--log", args->log, "Impression log (segue logs export --format segue)")->required();
  cmd->add_option("--pre", args->pre, "Pre-period impression log of the same listeners, for CUPED");
  cmd->add_option("--experiment", args->experiment, "Experiment to analyse (needed when the log holds several)");
  cmd->add_option("--experiment-file", args->experiment_file,
                  "Experiment config (JSON: name, salt, arms with shares): arms and shares for the SRM check");
  cmd->add_option("--shares", args->shares, "Configured shares, e.g. control=0.5,treatment=0.5 (SRM check)");
  cmd->add_option("--control", args->control, "Control arm (default: 'control', else the first arm)");
  cmd->add_option("--alpha", args->alpha, "Significance level (two-sided)")->capture_default_str();
  cmd->add_option("--looks", args->looks, "Sequential looks (mSPRT, O'Brien-Fleming) at the k/K quantiles of the log's timestamps")
      ->capture_default_str();
  cmd->add_option("--tau-relative", args->tau_relative,
                  "mSPRT mixing scale tau as a share of the control's value over the whole log")
      ->capture_default_str();
  cmd->add_option("--json", args->json_path, "Also write the report as JSON");
  cmd->callback([args] {
    if (!(args->alpha > 0.0 && args->alpha < 1.0)) throw UsageError("--alpha: expected a value in (0, 1)");
    if (args->looks < 1) throw UsageError("--looks: expected >= 1");
    if (!(args->tau_relative > 0.0)) throw UsageError("--tau-relative: expected > 0");
    std::string experiment = args->experiment;
    const std::vector<ab::Arm> arms = configured_arms(*args, experiment);
    ab::LogOptions log_options;
    log_options.experiment = experiment;
    for (const ab::Arm& arm : arms) log_options.arms.push_back(arm.name);
    const ab::ImpressionLog log = ab::read_impression_log(args->log, log_options);
    const ab::AbData data = ab::listener_totals(log);

    ab::AnalysisOptions options;
    options.alpha = args->alpha;
    options.tau_relative = args->tau_relative;
    options.control = control_index(data.arms, args->control);
    for (const ab::Arm& arm : arms) options.shares.push_back(arm.share);
    std::vector<ab::ListenerTotals> pre;
    ab::ImpressionLog pre_log;
    if (!args->pre.empty()) {
      ab::LogOptions pre_options;
      pre_options.pre_period = true;
      pre_log = ab::read_impression_log(args->pre, pre_options);
      pre = ab::align_pre_period(data, pre_log);
    }
    const ab::AbReport report = ab::analyze(data, pre, options);
    // One τ per metric for every look: from the whole log, so looks agree.
    for (const ab::MetricReport& m : report.metrics) options.tau.push_back(m.tau);
    ab::SequentialMonitor monitor;
    GroupSequential group;
    const int looks = watch_looks(log, args->pre.empty() ? nullptr : &pre_log, data.listeners.size(), options,
                                  args->looks, monitor, group);
    print_report(report, monitor, group, log, looks);
    if (!args->json_path.empty()) {
      std::ofstream out(args->json_path);
      if (!(out << report_json(report, monitor, group, log.experiment).dump(2) << "\n"))
        throw UsageError("--json: cannot write '" + args->json_path + "'");
    }
  });
}

void add_assign(CLI::App& parent) {
  struct Args {
    std::string experiment_file;
    std::vector<std::string> listeners;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand("assign", "Print the arm of each listener (hash of listener id and salt)");
  cmd->add_option("--experiment-file", args->experiment_file, "Experiment config (JSON)")->required();
  cmd->add_option("listeners", args->listeners, "Listener ids")->required();
  cmd->callback([args] {
    const ab::Experiment experiment = ab::load_experiment(args->experiment_file);
    for (const std::string& listener : args->listeners) {
      const ab::Arm& arm = ab::assign(experiment, listener);
      std::printf("%s\t%s\t%s\n", listener.c_str(), arm.name.c_str(), arm.spec.c_str());
    }
  });
}

}  // namespace

void add_ab_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("ab", "A/B tests: assign listeners to arms, analyse impression logs");
  cmd->require_subcommand(1);
  add_analyze(*cmd);
  add_assign(*cmd);
}

}  // namespace segue::cli

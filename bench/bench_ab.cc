// A/A false-positive rate and A/B power of segue's A/B analysis (src/ab) on
// simulated experiments whose listeners are real Last.fm listeners: each
// simulated listener is a HetRec user drawn at random, with pages in
// proportion to that user's real play volume and a stream propensity set by
// how focused their real listening is (the share of their plays that goes to
// their 5 most played artists). Outcomes are thus clustered by listener with
// real heterogeneity, as in a real log. Listeners are assigned by ab::assign
// (50/50, a new salt per test); every test runs ab::analyze, the function
// behind `segue ab analyze`, at 10 looks (after each 10% of listeners) for
// peeking (naive z-test, group-sequential boundaries, mSPRT) and at the end
// for the fixed-horizon test.
// Usage: bench_ab [DATA=/work/shared/data/lastfm-hetrec-2k] [TESTS=1000] [LISTENERS=10000] [EFFECT=0.05] [LOOKS=10]
//                 [EXAMPLE_DIR]
// With EXAMPLE_DIR it also writes one simulated A/B test (LISTENERS, EFFECT) as
// impression logs, log.csv and pre.csv (--format segue), for `segue ab analyze`.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "ab/analysis.h"
#include "ab/experiment.h"
#include "ab/group_sequential.h"
#include "bench_util.h"
#include "data/csv_reader.h"

using namespace segue;

namespace {

struct RealListener {
  double plays = 0.0;
  double propensity = 0.0;
};

constexpr double kMeanPages = 5.0;        // pages per listener in the experiment period
constexpr int kCardsPerPage = 10;         // impressions per page
constexpr double kMeanStreamRate = 0.3;   // propensities are scaled to this mean
constexpr double kSkipShare = 0.5;        // of the cards not streamed, the share skipped
constexpr double kLikeShare = 0.1;        // of the streams, the share liked

std::vector<RealListener> load_listeners(const std::string& dir) {
  CsvOptions options;
  options.delimiter = '\t';
  options.quotes = false;
  CsvReader reader(dir + "/user_artists.dat", options);
  const int user = reader.require_column("userID", "DATA"), weight = reader.require_column("weight", "DATA");
  std::unordered_map<std::int64_t, std::vector<double>> plays;
  while (reader.next()) plays[reader.integer(user)].push_back(reader.number(weight));
  std::vector<RealListener> out;
  for (auto& [id, counts] : plays) {
    std::sort(counts.begin(), counts.end(), std::greater<>());
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    if (total <= 0.0) continue;
    const double top = std::accumulate(counts.begin(), counts.begin() + std::min<std::size_t>(5, counts.size()), 0.0);
    out.push_back({total, top / total});
  }
  std::sort(out.begin(), out.end(), [](const RealListener& a, const RealListener& b) { return a.plays < b.plays; });
  double plays_sum = 0.0, focus_sum = 0.0;
  for (const RealListener& l : out) plays_sum += l.plays, focus_sum += l.propensity;
  const double mean_plays = plays_sum / out.size(), mean_focus = focus_sum / out.size();
  for (RealListener& l : out) {
    l.plays /= mean_plays;  // relative play volume: mean 1
    l.propensity = std::clamp(kMeanStreamRate * l.propensity / mean_focus, 0.01, 0.95);
  }
  return out;
}

// One simulated period of a listener: pages ∝ real play volume (Poisson, at least 1).
ab::ListenerTotals simulate(const RealListener& real, double propensity, std::mt19937_64& rng) {
  ab::ListenerTotals t;
  t.pages = std::max<std::int64_t>(1, std::poisson_distribution<std::int64_t>(kMeanPages * real.plays)(rng));
  t.impressions = t.pages * kCardsPerPage;
  t.streams = std::binomial_distribution<std::int64_t>(t.impressions, propensity)(rng);
  t.skips = std::binomial_distribution<std::int64_t>(t.impressions - t.streams, kSkipShare)(rng);
  t.likes = std::binomial_distribution<std::int64_t>(t.streams, kLikeShare)(rng);
  return t;
}

// One listener's totals spread over cards as impression rows: pages of
// kCardsPerPage cards, streams, skips and likes on random cards, a page a minute.
void write_rows(std::ofstream& out, const std::string& user, const std::string& arm, const ab::ListenerTotals& t,
                std::int64_t& clock, std::mt19937_64& rng) {
  std::vector<int> outcome(static_cast<std::size_t>(t.impressions), 0);  // 0 nothing, 1 stream, 2 stream+like, 3 skip
  std::int64_t i = 0;
  for (std::int64_t k = 0; k < t.streams; ++k) outcome[i++] = k < t.likes ? 2 : 1;
  for (std::int64_t k = 0; k < t.skips; ++k) outcome[i++] = 3;
  std::shuffle(outcome.begin(), outcome.end(), rng);
  for (std::int64_t p = 0; p < t.pages; ++p) {
    char page[17];
    std::snprintf(page, sizeof page, "%016llx", static_cast<unsigned long long>(rng()));
    clock += 60;
    for (int c = 0; c < kCardsPerPage; ++c) {
      const int o = outcome[static_cast<std::size_t>(p * kCardsPerPage + c)];
      out << page << ':' << c << ',' << page << ',' << clock << ',' << user << ",sim," << arm
          << ",egreedy:epsilon=0.1,made_for_you,0," << c << ',' << c << ",item" << rng() % 17632
          << ",made_for_you,,0.1,0,,v1," << (o == 1 || o == 2) << ',' << (o == 3) << ',' << (o == 2) << ','
          << (o == 1 || o == 2) << '\n';
    }
  }
}

void write_example(const std::string& dir, const std::vector<RealListener>& real, int listeners, double effect) {
  const char* header =
      "impression_id,page_id,timestamp,user_id,experiment,arm,policy,shelf,shelf_position,card_position,position,"
      "item_id,explanation,reason,propensity,mc_draws,context,model_version,streamed,skipped,liked,reward\n";
  std::ofstream log(dir + "/log.csv"), pre(dir + "/pre.csv");
  log << header;
  pre << header;
  const ab::Experiment experiment{"sim", "example", {{"control", 0.5, ""}, {"treatment", 0.5, ""}}};
  std::mt19937_64 rng(7);
  std::int64_t clock = 1767225600, pre_clock = clock - 30 * 86400;  // 2026-01-01 and a month before
  for (int i = 0; i < listeners; ++i) {
    const RealListener& who = real[std::uniform_int_distribution<std::size_t>(0, real.size() - 1)(rng)];
    const std::string id = "sim-" + std::to_string(i);
    const ab::Arm& arm = ab::assign(experiment, id);
    const double p = &arm == &experiment.arms[1] ? std::min(1.0, who.propensity * (1.0 + effect)) : who.propensity;
    write_rows(pre, id, "", simulate(who, who.propensity, rng), pre_clock, rng);
    write_rows(log, id, arm.name, simulate(who, p, rng), clock, rng);
  }
  std::printf("wrote %s/log.csv and %s/pre.csv: one A/B test, %d listeners, effect %+g\n", dir.c_str(), dir.c_str(),
              listeners, effect);
}

struct Tally {
  int tests = 0, fixed = 0, cuped = 0, naive_peeking = 0, msprt = 0, msprt_cuped = 0, msprt_final = 0, srm = 0;
  int obrien_fleming = 0, pocock = 0;  // group-sequential boundaries at the same looks
  double variance_reduction = 0.0;
};

// Wilson 95% interval of a proportion.
void print_rate(const char* label, int hits, int n) {
  const double z = 1.959963984540054, p = static_cast<double>(hits) / n;
  const double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z / (1 + z * z / n) * std::sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));
  std::printf("  %-44s %5.1f%%  (%d/%d; 95%% CI %.1f–%.1f%%)\n", label, 100.0 * p, hits, n, 100.0 * std::max(0.0, centre - half),
              100.0 * std::min(1.0, centre + half));
}

Tally run(const std::vector<RealListener>& real, int tests, int listeners, double effect, int looks, double tau,
          std::uint64_t seed) {
  Tally tally;
  ab::AnalysisOptions options;
  options.metrics = {ab::Metric::kStreamRate};
  options.tau = {tau};
  options.shares = {0.5, 0.5};
  std::vector<double> fractions;
  for (int k = 1; k <= looks; ++k) fractions.push_back(static_cast<double>(k) / looks);
  const std::vector<double> obf = ab::group_sequential_bounds(fractions, options.alpha, ab::Spending::kOBrienFleming);
  const std::vector<double> pocock = ab::group_sequential_bounds(fractions, options.alpha, ab::Spending::kPocock);
  for (int test = 0; test < tests; ++test) {
    std::mt19937_64 rng(seed * 1000003 + static_cast<std::uint64_t>(test));
    const ab::Experiment experiment{"sim", "salt-" + std::to_string(seed) + "-" + std::to_string(test),
                                    {{"control", 0.5, ""}, {"treatment", 0.5, ""}}};
    ab::AbData data;
    data.arms = {"control", "treatment"};
    std::vector<ab::ListenerTotals> pre;
    for (int i = 0; i < listeners; ++i) {
      const RealListener& who = real[std::uniform_int_distribution<std::size_t>(0, real.size() - 1)(rng)];
      const std::int32_t arm = &ab::assign(experiment, "sim-" + std::to_string(i)) == &experiment.arms[1];
      const double p = arm == 1 ? std::min(1.0, who.propensity * (1.0 + effect)) : who.propensity;
      pre.push_back(simulate(who, who.propensity, rng));  // the pre period: before the treatment
      data.listeners.push_back(simulate(who, p, rng));
      data.listeners.back().arm = pre.back().arm = arm;
    }
    // Peeking: looks after each 1/looks of the listeners, in arrival order.
    ab::SequentialMonitor monitor;
    bool naive = false, obf_crossed = false, pocock_crossed = false;
    ab::AbReport final_look;
    for (int k = 1; k <= looks; ++k) {
      ab::AbData look;
      look.arms = data.arms;
      const std::size_t n = static_cast<std::size_t>(listeners) * k / looks;
      look.listeners.assign(data.listeners.begin(), data.listeners.begin() + n);
      const bool last = k == looks;
      ab::AbReport report = ab::analyze(look, std::span<const ab::ListenerTotals>(pre).first(n), options);
      monitor.observe(report);
      const ab::Difference& fixed = report.metrics[0].vs_control[1].fixed;
      naive |= fixed.p < options.alpha;
      obf_crossed |= std::abs(fixed.z) >= obf[k - 1];
      pocock_crossed |= std::abs(fixed.z) >= pocock[k - 1];
      if (last) final_look = std::move(report);
    }
    const ab::Comparison& end = final_look.metrics[0].vs_control[1];
    ++tally.tests;
    tally.fixed += end.fixed.p < options.alpha;
    tally.cuped += end.cuped->p < options.alpha;
    tally.naive_peeking += naive;
    tally.obrien_fleming += obf_crossed;
    tally.pocock += pocock_crossed;
    tally.msprt += monitor.at(0, 1).p <= options.alpha;
    tally.msprt_cuped += monitor.at_cuped(0, 1).p <= options.alpha;
    tally.msprt_final += end.sequential.p <= options.alpha;
    tally.srm += final_look.srm->p < options.alpha;
    tally.variance_reduction += final_look.metrics[0].cuped->variance_reduction;
  }
  tally.variance_reduction /= tests;
  return tally;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/work/shared/data/lastfm-hetrec-2k";
  const int tests = argc > 2 ? std::stoi(argv[2]) : 1000;
  const int listeners = argc > 3 ? std::stoi(argv[3]) : 10000;
  const double effect = argc > 4 ? std::stod(argv[4]) : 0.05;
  const int looks = argc > 5 ? std::stoi(argv[5]) : 10;
  std::printf("bench_ab %s %d %d %g %d\ncpu: %s\n", dir.c_str(), tests, listeners, effect, looks,
              bench::cpu_model().c_str());
  const auto start = std::chrono::steady_clock::now();
  const std::vector<RealListener> real = load_listeners(dir);
  double mean_p = 0.0, sd_p = 0.0;
  for (const RealListener& l : real) mean_p += l.propensity / real.size();
  for (const RealListener& l : real) sd_p += (l.propensity - mean_p) * (l.propensity - mean_p) / real.size();
  std::printf("data: %zu Last.fm listeners (user_artists.dat); stream propensity mean %.3f, sd %.3f; pages/listener "
              "mean %.0f ∝ real plays (max %.0f); %d cards a page\n",
              real.size(), mean_p, std::sqrt(sd_p), kMeanPages, kMeanPages * real.back().plays, kCardsPerPage);
  if (argc > 6) {
    write_example(argv[6], real, listeners, effect);
    return 0;
  }
  // τ fixed before any test: 5% of the expected stream rate (the effect size one hopes to see).
  const double tau = 0.05 * mean_p;
  std::printf("each test: %d listeners, 50/50 by ab::assign; stream rate, alpha 0.05; mSPRT tau %.4f; %d looks\n",
              listeners, tau, looks);
  for (const double lift : {0.0, effect}) {
    const Tally t = run(real, tests, listeners, lift, looks, tau, lift == 0.0 ? 1 : 2);
    std::printf("\n%s over %d tests (%s):\n", lift == 0.0 ? "A/A false-positive rate" : "A/B power", t.tests,
                lift == 0.0 ? "no effect" : ("+" + std::to_string(lift * 100).substr(0, 4) + "% relative stream rate").c_str());
    print_rate("fixed horizon, one look at the end", t.fixed, t.tests);
    print_rate("fixed horizon + CUPED, one look", t.cuped, t.tests);
    print_rate("naive: fixed-horizon test at every look", t.naive_peeking, t.tests);
    print_rate("group sequential, O'Brien-Fleming spending", t.obrien_fleming, t.tests);
    print_rate("group sequential, Pocock spending", t.pocock, t.tests);
    print_rate("mSPRT always-valid p at every look", t.msprt, t.tests);
    print_rate("mSPRT, one look at the end", t.msprt_final, t.tests);
    print_rate("mSPRT + CUPED always-valid p at every look", t.msprt_cuped, t.tests);
    if (lift == 0.0) print_rate("SRM check (chi-square) flags", t.srm, t.tests);
    std::printf("  CUPED variance reduction (stream rate, pre period = same listeners): %.1f%%\n",
                100.0 * t.variance_reduction);
  }
  std::printf("\n%.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}

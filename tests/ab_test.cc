// A/B tests (src/ab): assignment, the delta method, SRM, CUPED and mSPRT
// against values worked by hand, bad input, and `segue ab analyze` end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <nlohmann/json.hpp>

#include "ab/analysis.h"
#include "ab/distributions.h"
#include "ab/experiment.h"
#include "ab/group_sequential.h"
#include "ab/impression_log.h"
#include "test_util.h"

namespace segue {
namespace {

using ab::ListenerTotals;

ab::Experiment three_arms(const std::string& salt) {
  return {"home-v2", salt, {{"control", 0.5, "ials"}, {"b", 0.3, "bpr"}, {"c", 0.2, "ease"}}};
}

TEST(AbAssignment, SameListenerAlwaysGetsTheSameArm) {
  const ab::Experiment experiment = three_arms("s1");
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "listener-" + std::to_string(i);
    EXPECT_EQ(&ab::assign(experiment, id), &ab::assign(experiment, id));
    EXPECT_EQ(ab::assignment_point(id, "s1"), ab::assignment_point(std::string(id), "s1"));
  }
  // Salt and id are separated: ("ab", "c") is not ("a", "bc").
  EXPECT_NE(ab::assignment_point("c", "ab"), ab::assignment_point("bc", "a"));
}

TEST(AbAssignment, SharesHoldWithinBinomialTolerance) {
  const ab::Experiment experiment = three_arms("shares");
  constexpr int n = 100000;
  std::map<std::string, int> counts;
  for (int i = 0; i < n; ++i) ++counts[ab::assign(experiment, std::to_string(i)).name];
  for (const ab::Arm& arm : experiment.arms) {
    const double sd = std::sqrt(n * arm.share * (1.0 - arm.share));  // 158, 145, 126
    EXPECT_NEAR(counts[arm.name], n * arm.share, 5.0 * sd) << arm.name;
  }
}

TEST(AbAssignment, SaltsSplitIndependently) {
  // Two 50/50 experiments: each of the 4 arm pairs should hold a quarter.
  const ab::Experiment first{"x", "salt-x", {{"a", 0.5, ""}, {"b", 0.5, ""}}};
  const ab::Experiment second{"y", "salt-y", {{"a", 0.5, ""}, {"b", 0.5, ""}}};
  constexpr int n = 100000;
  int cells[2][2] = {};
  for (int i = 0; i < n; ++i) {
    const std::string id = "u" + std::to_string(i);
    ++cells[ab::assign(first, id).name == "b"][ab::assign(second, id).name == "b"];
  }
  const double sd = std::sqrt(n * 0.25 * 0.75);  // 137
  for (auto& row : cells)
    for (const int cell : row) EXPECT_NEAR(cell, n * 0.25, 5.0 * sd);
}

TEST(AbExperiment, LoadsAFileAndNamesTheBadField) {
  testing::TempDir dir;
  const std::string good = dir.write("good.json", R"({"name": "home-v2", "salt": "s", "arms": [
      {"name": "control", "share": 0.5, "spec": "ials:factors=64"}, {"name": "treatment", "share": 0.5}]})");
  const ab::Experiment e = ab::load_experiment(good);
  ASSERT_EQ(e.arms.size(), 2u);
  EXPECT_EQ(e.arms[0].spec, "ials:factors=64");
  EXPECT_EQ(e.find("treatment"), 1);

  const auto field_of = [&](const std::string& text) {
    const std::string path = dir.write("bad.json", text);
    const InputError error = testing::expect_input_error([&] { ab::load_experiment(path); });
    EXPECT_EQ(error.file(), path);
    return error.field();
  };
  EXPECT_EQ(field_of(R"({"name": "x", "salt": "s", "arms": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.6}]})"),
            "arms[].share");
  EXPECT_EQ(field_of(R"({"name": "x", "salt": "s", "arms": [{"name": "a", "share": 1}, {"name": "b", "share": 0}]})"),
            "arms[1].share");
  EXPECT_EQ(field_of(R"({"name": "x", "salt": "s", "arms": [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]})"),
            "arms[1].name");
  EXPECT_EQ(field_of(R"({"name": "x", "salt": "", "arms": [{"name": "a", "share": 1}]})"), "salt");
  EXPECT_EQ(field_of(R"({"name": "x", "arms": [{"name": "a", "share": 1}]})"), "salt");
  EXPECT_EQ(field_of(R"({"name": "x", "salt": "s", "arms": [{"name": "a", "share": "half"}]})"), "arms[0].share");
  EXPECT_EQ(field_of("{not json"), "");
}

TEST(AbExperiment, ParsesShares) {
  const auto arms = ab::parse_shares("control=0.25,treatment=0.75");
  ASSERT_EQ(arms.size(), 2u);
  EXPECT_EQ(arms[1].name, "treatment");
  EXPECT_DOUBLE_EQ(arms[1].share, 0.75);
  EXPECT_THROW(ab::parse_shares("control=0.5,treatment"), UsageError);
  EXPECT_THROW(ab::parse_shares("control=0.5,treatment=0.6"), UsageError);
}

// Control: A (4 impressions, 2 streams), B (2, 0), C (6, 4); treatment: D (5, 5), E (5, 1).
std::vector<double> v(std::initializer_list<double> values) { return values; }

TEST(AbDeltaMethod, RatioVarianceMatchesHandComputation) {
  // R = 6/12 = 0.5, x̄ = 4; L = (y − R x)/x̄ = (2−2)/4, (0−1)/4, (4−3)/4 = 0, −0.25, 0.25;
  // Var = Σ L² / (n (n−1)) = 0.125 / 6 = 1/48. The textbook form agrees:
  // s_y² = 4, s_x² = 4, s_xy = 4: (4 − 2·0.5·4 + 0.25·4) / (3 · 16) = 1/48.
  const ab::RatioEstimate control = ab::ratio_estimate(v({2, 0, 4}), v({4, 2, 6}));
  EXPECT_EQ(control.n, 3);
  EXPECT_DOUBLE_EQ(control.value, 0.5);
  EXPECT_NEAR(control.variance, 1.0 / 48.0, 1e-15);
  // Treatment: R = 6/10 = 0.6, x̄ = 5, L = (5−3)/5, (1−3)/5 = ±0.4; Var = 0.32 / 2 = 0.16.
  const ab::RatioEstimate treatment = ab::ratio_estimate(v({5, 1}), v({5, 5}));
  EXPECT_NEAR(treatment.variance, 0.16, 1e-15);
  // d = 0.1, se = sqrt(0.16 + 1/48) = 0.425245..., z = 0.235159, p = erfc(z/√2) = 0.814086.
  const ab::Difference d = ab::difference(control, treatment, 0.05);
  EXPECT_NEAR(d.estimate, 0.1, 1e-15);
  EXPECT_NEAR(d.se, 0.42524502740576914, 1e-12);
  EXPECT_NEAR(d.p, 0.8140856836114602, 1e-12);
  EXPECT_NEAR(d.hi - d.estimate, 1.959963984540054 * 0.42524502740576914, 1e-9);
  EXPECT_NEAR(d.relative, 0.2, 1e-15);
  // A single listener has no variance estimate; no impressions, no ratio.
  EXPECT_TRUE(std::isnan(ab::ratio_estimate(v({1}), v({2})).variance));
  EXPECT_TRUE(std::isnan(ab::ratio_estimate(v({0, 0}), v({0, 0})).value));
}

TEST(AbDistributions, MatchKnownValues) {
  EXPECT_NEAR(ab::normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(ab::normal_quantile(0.001), -3.090232306167813, 1e-12);
  EXPECT_NEAR(ab::chi_square_sf(3.841458820694124, 1), 0.05, 1e-12);
  EXPECT_NEAR(ab::chi_square_sf(6.0, 2), std::exp(-3.0), 1e-14);  // df 2: e^{-x/2}
  // df 5: erfc(sqrt(x/2)) + sqrt(2x/π) e^{-x/2} (1 + x/3); x = 3 takes the series, x = 30 the fraction.
  const auto df5 = [](double x) {
    return std::erfc(std::sqrt(x / 2)) + std::sqrt(2 * x / M_PI) * std::exp(-x / 2) * (1 + x / 3);
  };
  EXPECT_NEAR(ab::chi_square_sf(3.0, 5), df5(3.0), 1e-14);
  EXPECT_NEAR(ab::chi_square_sf(30.0, 5), df5(30.0), 1e-18);
}

TEST(AbSrm, MatchesHandComputedChiSquare) {
  // 1012 vs 988 at 50/50: expected 1000 each, χ² = 144/1000 + 144/1000 = 0.288,
  // df 1, p = erfc(sqrt(0.288 / 2)) = 0.591505.
  const std::vector<std::int64_t> two{1012, 988};
  const ab::SrmTest srm = ab::srm_test(two, v({0.5, 0.5}));
  EXPECT_NEAR(srm.chi_square, 0.288, 1e-12);
  EXPECT_EQ(srm.df, 1);
  EXPECT_NEAR(srm.p, 0.5915050369949165, 1e-12);
  // 50/30/20 at 0.5/0.25/0.25: expected 50, 25, 25; χ² = 0 + 1 + 1 = 2, df 2, p = e^{-1}.
  const std::vector<std::int64_t> three{50, 30, 20};
  const ab::SrmTest srm3 = ab::srm_test(three, v({0.5, 0.25, 0.25}));
  EXPECT_NEAR(srm3.chi_square, 2.0, 1e-12);
  EXPECT_NEAR(srm3.p, std::exp(-1.0), 1e-13);
  // A broken split is flagged.
  const std::vector<std::int64_t> broken{5300, 4700};
  EXPECT_LT(ab::srm_test(broken, v({0.5, 0.5})).p, 1e-8);
}

TEST(AbCuped, ThetaAndAdjustedMeansMatchHandComputation) {
  // Per-listener metric (x = 1). Control y = 1, 3 (pre 0, 2); treatment y = 4, 6 (pre 1, 5).
  // L = y − ȳ_arm: control −1, 1; treatment −1, 1. M = y' − ȳ'_arm: control −1, 1; treatment −2, 2.
  // θ = Σ L M / Σ M² = (1 + 1 + 2 + 2) / (1 + 1 + 4 + 4) = 0.6. Pooled pre mean ȳ' = 8/4 = 2.
  // Adjusted: control 2 − 0.6 (1 − 2) = 2.6; treatment 5 − 0.6 (3 − 2) = 4.4.
  // Residuals L − θM: control ∓0.4 → Var 0.32 / 2 = 0.16; treatment ±0.2 → 0.08 / 2 = 0.04.
  // Variance reduction 1 − (0.32 + 0.08) / (2 + 2) = 0.9.
  std::vector<ab::ArmSeries> now{{{1, 3}, {1, 1}}, {{4, 6}, {1, 1}}};
  std::vector<ab::ArmSeries> pre{{{0, 2}, {1, 1}}, {{1, 5}, {1, 1}}};
  const ab::CupedResult c = ab::cuped_adjust(now, pre);
  EXPECT_NEAR(c.theta, 0.6, 1e-15);
  EXPECT_NEAR(c.arms[0].value, 2.6, 1e-14);
  EXPECT_NEAR(c.arms[1].value, 4.4, 1e-14);
  EXPECT_NEAR(c.arms[0].variance, 0.16, 1e-14);
  EXPECT_NEAR(c.arms[1].variance, 0.04, 1e-14);
  EXPECT_NEAR(c.variance_reduction, 0.9, 1e-14);
}

TEST(AbCuped, AnalyzeJoinsThePrePeriodPerListener) {
  // The same numbers through analyze(): likes per listener, pre-period likes.
  ab::AbData data;
  data.arms = {"control", "treatment"};
  const std::int64_t likes[] = {1, 3, 4, 6}, pre_likes[] = {0, 2, 1, 5};
  std::vector<ListenerTotals> pre;
  for (int i = 0; i < 4; ++i) {
    ListenerTotals t;
    t.arm = i < 2 ? 0 : 1;
    t.impressions = t.pages = 1;
    t.likes = likes[i];
    data.listeners.push_back(t);
    t.likes = pre_likes[i];
    pre.push_back(t);
  }
  ab::AnalysisOptions options;
  options.metrics = {ab::Metric::kLikesPerListener};
  const ab::AbReport report = ab::analyze(data, pre, options);
  const ab::Comparison& c = report.metrics[0].vs_control[1];
  EXPECT_NEAR(c.fixed.estimate, 3.0, 1e-14);
  ASSERT_TRUE(c.cuped.has_value());
  EXPECT_NEAR(c.cuped->estimate, 1.8, 1e-14);       // 4.4 − 2.6
  EXPECT_NEAR(c.cuped->se, std::sqrt(0.2), 1e-14);  // sqrt(0.16 + 0.04)
}

TEST(AbMsprt, PValueMatchesHandComputation) {
  // d = 0.3, V = 0.01, τ = 0.1: Λ = sqrt(0.01/0.02) · exp(0.01 · 0.09 / (2 · 0.01 · 0.02))
  //   = 0.7071068 · e^{2.25} = 6.708842; p = 1/Λ = 0.149057.
  // Interval half-width sqrt(0.01 · 0.02 / 0.01 · (2 ln 20 + ln 2)) = 0.365639.
  const ab::MsprtLook look = ab::msprt_look(0.3, 0.01, 0.1, 0.05);
  EXPECT_NEAR(look.lambda, 6.708842347995734, 1e-12);
  EXPECT_NEAR(look.p, 0.14905701283899597, 1e-13);
  EXPECT_NEAR(look.hi - 0.3, 0.36563948713638483, 1e-13);
  // The paper's two-sample form with σ² = 1, n = 100 per arm (V = 2σ²/n = 0.02), τ = 0.1:
  // sqrt(2 / (2 + 100 · 0.01)) · exp(100² · 0.01 · 0.09 / (4 · 3)) = sqrt(2/3) e^{0.75}.
  EXPECT_NEAR(ab::msprt_look(0.3, 0.02, 0.1, 0.05).lambda, 1.7285232753881883, 1e-12);
  // Small evidence: Λ < 1, p capped at 1.
  EXPECT_DOUBLE_EQ(ab::msprt_look(0.0, 0.01, 0.1, 0.05).p, 1.0);
}

TEST(AbMsprt, AlwaysValidPNeverRisesOverLooks) {
  ab::AlwaysValid valid;
  const double ds[] = {0.05, 0.3, 0.1, 0.0, 0.4, 0.2};
  double previous = 1.0;
  for (int k = 0; k < 6; ++k) {
    valid.observe(ab::msprt_look(ds[k], 0.04 / (k + 1), 0.1, 0.05));
    EXPECT_LE(valid.p, previous);
    EXPECT_LE(valid.lo, valid.hi);
    previous = valid.p;
  }
  EXPECT_EQ(valid.looks, 6);
  // The look with d = 0.1 at V = 0.04/3 had a larger 1/Λ than the one before; p kept the smaller.
  EXPECT_LT(valid.p, ab::msprt_look(0.1, 0.04 / 3, 0.1, 0.05).p);
}

// ---- The impression log ------------------------------------------------------

const char* kHeader =
    "impression_id,page_id,timestamp,user_id,experiment,arm,policy,shelf,shelf_position,card_position,position,"
    "item_id,explanation,reason,propensity,mc_draws,context,model_version,streamed,skipped,liked,reward\n";

// One page of `cards` cards for a listener: the first `streams` streamed, the rest skipped.
std::string page(const std::string& page_id, long timestamp, const std::string& user, const std::string& arm,
                 int cards, int streams, int likes = 0) {
  std::string out;
  for (int c = 0; c < cards; ++c) {
    out += page_id + ":" + std::to_string(c) + "," + page_id + "," + std::to_string(timestamp) + "," + user +
           ",home-v2," + arm + ",egreedy,made_for_you,0," + std::to_string(c) + "," + std::to_string(c) + ",item" +
           std::to_string(c) + ",made_for_you,,0.5,0,,v1," + (c < streams ? "1,0," : "0,1,") +
           (c < likes ? "1," : "0,") + (c < streams ? "1" : "0") + "\n";
  }
  return out;
}

// The delta-method example as a log: A (4 cards, 2 streams over 2 pages), B (2, 0),
// C (6, 4 over 2 pages), D (5, 5), E (5, 1); plus a listener outside the experiment.
std::string fixture_log() {
  return std::string(kHeader) + page("00000000000000a1", 100, "A", "control", 2, 1, 1) +
         page("00000000000000d1", 110, "D", "treatment", 5, 5, 2) + page("00000000000000b1", 120, "B", "control", 2, 0) +
         page("00000000000000a2", 130, "A", "control", 2, 1) + page("00000000000000c1", 140, "C", "control", 3, 2) +
         page("00000000000000e1", 150, "E", "treatment", 5, 1) + page("00000000000000c2", 160, "C", "control", 3, 2) +
         "x:0,x,170,Z,,,uniform,popular,0,0,0,item9,popular,,0.1,0,,v1,1,0,0,1\n";
}

TEST(AbLog, ReadsListenerTotals) {
  testing::TempDir dir;
  const ab::ImpressionLog log = ab::read_impression_log(dir.write("log.csv", fixture_log()));
  EXPECT_EQ(log.experiment, "home-v2");
  EXPECT_EQ(log.other_rows, 1);
  const ab::AbData data = ab::listener_totals(log);
  ASSERT_EQ(data.arms, (std::vector<std::string>{"control", "treatment"}));
  ASSERT_EQ(data.listeners.size(), 5u);
  EXPECT_EQ(data.listener_ids[0], "A");
  EXPECT_EQ(data.listeners[0].pages, 2);
  EXPECT_EQ(data.listeners[0].impressions, 4);
  EXPECT_EQ(data.listeners[0].streams, 2);
  EXPECT_EQ(data.listeners[0].skips, 2);
  EXPECT_EQ(data.listeners[0].likes, 1);
  // A look at t = 120 sees A's first page, D and B only.
  const ab::AbData early = ab::listener_totals(log, 120);
  EXPECT_EQ(early.listeners.size(), 3u);
  EXPECT_EQ(early.listeners[0].impressions, 2);
  // Through analyze(): the stream rate is the delta-method example.
  ab::AnalysisOptions options;
  options.metrics = {ab::Metric::kStreamRate};
  const ab::AbReport report = ab::analyze(data, {}, options);
  EXPECT_NEAR(report.metrics[0].arms[0].variance, 1.0 / 48.0, 1e-15);
  EXPECT_NEAR(report.metrics[0].vs_control[1].fixed.p, 0.8140856836114602, 1e-12);
}

TEST(AbLog, BadInputNamesFileLineAndField) {
  testing::TempDir dir;
  // Missing column.
  std::string no_streamed = fixture_log();
  no_streamed.replace(no_streamed.find(",streamed,"), 10, ",played,");
  const std::string missing = dir.write("missing.csv", no_streamed);
  InputError error = testing::expect_input_error([&] { ab::read_impression_log(missing); });
  EXPECT_EQ(error.field(), "streamed");
  EXPECT_EQ(error.file(), missing);
  // An arm the experiment does not have: D's first card, line 4 (after the header and A's 2 cards).
  std::string t2 = fixture_log();
  const std::string bad_arm = dir.write("arm.csv", t2.replace(t2.find("treatment"), 9, "t2"));
  ab::LogOptions configured;
  configured.arms = {"control", "treatment"};
  error = testing::expect_input_error([&] { ab::read_impression_log(bad_arm, configured); });
  EXPECT_EQ(error.field(), "arm");
  EXPECT_EQ(error.line(), 4u);
  EXPECT_NE(std::string(error.what()).find("'t2'"), std::string::npos);
  // NaN as an outcome.
  std::string nan = std::string(kHeader) + page("00000000000000a1", 100, "A", "control", 1, 1);
  nan.replace(nan.find(",1,0,0,1\n"), 9, ",nan,0,0,1\n");
  const std::string nan_path = dir.write("nan.csv", nan);
  error = testing::expect_input_error([&] { ab::read_impression_log(nan_path); });
  EXPECT_EQ(error.field(), "streamed");
  EXPECT_EQ(error.line(), 2u);
  // An outcome that is not 0/1.
  const std::string two = dir.write("two.csv", std::string(kHeader) + "a:0,a,1,A,e,control,p,s,0,0,0,i,x,,0.5,0,,v,2,0,0,1\n");
  EXPECT_EQ(testing::expect_input_error([&] { ab::read_impression_log(two); }).field(), "streamed");
  // Empty file; header only.
  const std::string empty = dir.write("empty.csv", "");
  EXPECT_NE(std::string(testing::expect_input_error([&] { ab::read_impression_log(empty); }).what()).find("empty"),
            std::string::npos);
  const std::string header_only = dir.write("header.csv", kHeader);
  EXPECT_NE(std::string(testing::expect_input_error([&] { ab::read_impression_log(header_only); }).what())
                .find("no impressions"),
            std::string::npos);
  // A listener in two arms.
  const std::string both = dir.write("both.csv", std::string(kHeader) + page("00000000000000a1", 1, "A", "control", 1, 1) +
                                                      page("00000000000000a2", 2, "A", "treatment", 1, 1));
  error = testing::expect_input_error([&] { ab::read_impression_log(both); });
  EXPECT_EQ(error.field(), "arm");
  EXPECT_EQ(error.line(), 3u);
}

TEST(AbCli, AnalyzePrintsAndWritesTheReport) {
  testing::TempDir dir;
  const std::string log = dir.write("log.csv", fixture_log());
  const std::string json_path = dir.file("report.json");
  const auto result = testing::run_command(std::string(SEGUE_BINARY) + " ab analyze --log " + log +
                                           " --shares control=0.5,treatment=0.5 --looks 3 --json " + json_path);
  ASSERT_EQ(result.code, 0) << result.out;
  EXPECT_NE(result.out.find("sample ratio: control 3 (expected 2.5), treatment 2 (expected 2.5)"), std::string::npos)
      << result.out;
  const nlohmann::json report = nlohmann::json::parse(testing::read_file(json_path));
  EXPECT_NEAR(report["arms"][0]["metrics"]["stream_rate"]["value"].get<double>(), 0.5, 1e-15);
  EXPECT_NEAR(report["arms"][0]["metrics"]["pages_per_listener"]["value"].get<double>(), 5.0 / 3.0, 1e-15);
  EXPECT_NEAR(report["arms"][1]["metrics"]["likes_per_listener"]["value"].get<double>(), 1.0, 1e-15);
  // χ² = (0.5² + 0.5²) / 2.5 = 0.2.
  EXPECT_NEAR(report["srm"]["chi_square"].get<double>(), 0.2, 1e-12);
  const auto& stream = report["metrics"]["stream_rate"]["vs_control"]["treatment"];
  EXPECT_NEAR(stream["fixed_horizon"]["p"].get<double>(), 0.8140856836114602, 1e-12);
  EXPECT_GE(stream["always_valid"]["p"].get<double>(), stream["fixed_horizon"]["p"].get<double>() - 1e-12);
  EXPECT_EQ(stream["group_sequential"]["crossed_at_look"].get<int>(), 0);
  EXPECT_DOUBLE_EQ(stream["group_sequential"]["fractions"].back().get<double>(), 1.0);

  // With a pre period (here the log itself: θ = 1 and the adjusted difference is 0 for stream rate).
  const std::string pre_json = dir.file("pre.json");
  const auto with_pre = testing::run_command(std::string(SEGUE_BINARY) + " ab analyze --log " + log + " --pre " + log +
                                             " --looks 2 --json " + pre_json);
  ASSERT_EQ(with_pre.code, 0) << with_pre.out;
  const nlohmann::json adjusted = nlohmann::json::parse(testing::read_file(pre_json));
  EXPECT_NEAR(adjusted["metrics"]["stream_rate"]["cuped"]["theta"].get<double>(), 1.0, 1e-12);
  const auto& cuped_stream = adjusted["metrics"]["stream_rate"]["vs_control"]["treatment"];
  EXPECT_NEAR(cuped_stream["cuped"]["difference"].get<double>(), 0.0, 1e-12);
  EXPECT_EQ(cuped_stream["always_valid_cuped"]["looks"].get<int>(), 2);

  const auto bad = testing::run_command(std::string(SEGUE_BINARY) + " ab analyze --log " + log +
                                        " --shares control=0.5,t2=0.5");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find(log + ":4: field 'arm'"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace segue

namespace segue {
namespace {

TEST(AbGroupSequential, BoundariesMatchKnownValues) {
  // One look: the fixed-horizon 1.959964.
  const double one[] = {1.0};
  EXPECT_NEAR(ab::group_sequential_bounds(one, 0.05)[0], 1.959963984540054, 1e-8);
  // Two looks at 1/2 and 1, O'Brien–Fleming spending: α(1/2) = 4 − 4Φ(2.241403 · √2) = 0.0030506
  // by hand, so c_1 = Φ⁻¹(1 − 0.0030506 / 2) = 2.962588; c_2 = 1.969 (Lan–DeMets tables, gsDesign sfLDOF).
  const double two[] = {0.5, 1.0};
  const auto b2 = ab::group_sequential_bounds(two, 0.05);
  EXPECT_NEAR(b2[0], 2.9625880427275924, 1e-8);
  EXPECT_NEAR(b2[1], 1.969, 1e-3);
  // Five equal looks (gsDesign: 4.8769 3.3569 2.6803 2.2898 2.0310).
  const double five[] = {0.2, 0.4, 0.6, 0.8, 1.0};
  const auto b5 = ab::group_sequential_bounds(five, 0.05);
  const double expected[] = {4.8769, 3.3569, 2.6803, 2.2898, 2.0310};
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(b5[k], expected[k], 2e-3) << k;
}

TEST(AbGroupSequential, TenLooksSpendAlphaOnSimulatedNullPaths) {
  // 100,000 Brownian paths under H0 watched at 10 equal looks: the share that
  // ever crosses must be α = 0.05 within 4 binomial sd (0.0028), where the
  // naive 1.96 at every look crosses ~19%.
  std::vector<double> t;
  for (int k = 1; k <= 10; ++k) t.push_back(k / 10.0);
  for (const ab::Spending spending : {ab::Spending::kOBrienFleming, ab::Spending::kPocock}) {
    const auto bounds = ab::group_sequential_bounds(t, 0.05, spending);
    std::mt19937_64 rng(7);
    std::normal_distribution<double> step(0.0, std::sqrt(0.1));
    int crossed = 0, naive = 0;
    constexpr int paths = 100000;
    for (int p = 0; p < paths; ++p) {
      double s = 0.0;
      bool hit = false, naive_hit = false;
      for (int k = 0; k < 10; ++k) {
        s += step(rng);
        const double z = s / std::sqrt(t[k]);
        hit |= std::abs(z) >= bounds[k];
        naive_hit |= std::abs(z) >= 1.959963984540054;
      }
      crossed += hit;
      naive += naive_hit;
    }
    EXPECT_NEAR(crossed / double(paths), 0.05, 0.0028);
    EXPECT_GT(naive / double(paths), 0.15);
  }
}

}  // namespace
}  // namespace segue

// Off-policy evaluation (src/ope): estimators on a hand-computed log, input
// validation, the BTS Monte Carlo distribution and the `segue ope` command.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "data/error.h"
#include "ope/action_dist.h"
#include "ope/bts_policy.h"
#include "ope/estimators.h"
#include "ope/evaluation_policy.h"
#include "ope/logged_feedback.h"
#include "ope/off_policy_evaluation.h"
#include "ope/reward_model.h"
#include "test_util.h"

namespace segue::ope {
namespace {

using segue::testing::expect_input_error;
using segue::testing::TempDir;

const char* kHeader = ",timestamp,item_id,position,click,propensity_score,user_feature_0\n";

// Four rounds, two items, positions 1..2 (OBD numbering):
//   round  item  pos  click  pscore
//   0      0     1    1      0.5
//   1      1     1    0      0.5
//   2      0     2    0      0.25
//   3      1     2    1      0.5
std::string tiny_log() {
  return std::string(kHeader) +
         "0,t,0,1,1,0.5,a\n"
         "1,t,1,1,0,0.5,b\n"
         "2,t,0,2,0,0.25,a\n"
         "3,t,1,2,1,0.5,b\n";
}

// pi_e: position 1 -> item 0 w.p. 0.8, item 1 w.p. 0.2; position 2 -> 0.5 / 0.5.
std::string tiny_dist() { return "item_id,position,prob\n0,1,0.8\n1,1,0.2\n0,2,0.5\n1,2,0.5\n"; }

std::vector<std::uint32_t> all_rows(std::size_t n) {
  std::vector<std::uint32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0u);
  return rows;
}

double estimate_named(const std::string& name, const RoundTerms& terms) {
  const std::vector<EstimatorSpec> specs = parse_estimators(name);
  return estimate(specs.at(0), terms, all_rows(terms.weight.size()));
}

TEST(OpeLog, ReadsObdLayoutAndNumbersPositionsFromOne) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  ASSERT_EQ(log.rounds(), 4u);
  EXPECT_EQ(log.n_items, 2);
  EXPECT_EQ(log.n_slots, 2);
  EXPECT_EQ(log.position_base, 1);
  EXPECT_EQ(log.slot[2], 1);  // position 2 -> slot 1
  EXPECT_DOUBLE_EQ(log.pscore[2], 0.25);
}

TEST(OpeLog, ZeroBasedPositionsAreKeptAsSlots) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(
      dir.write("log.csv", std::string(kHeader) + "0,t,0,0,1,0.5,a\n1,t,1,1,0,0.5,b\n"));
  EXPECT_EQ(log.position_base, 0);
  EXPECT_EQ(log.slot[1], 1);
}

TEST(OpeEstimators, EveryEstimatorMatchesHandArithmetic) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const ActionDist dist = read_action_dist(dir.write("dist.csv", tiny_dist()), log);
  // Click-rate model with m = 2 pseudo-shows at p̄ = 2/4 = 0.5: each (item, slot)
  // was shown once, so q̂ = (clicks + 1) / 3:
  //   q̂(0,pos1) = 2/3, q̂(1,pos1) = 1/3, q̂(0,pos2) = 1/3, q̂(1,pos2) = 2/3.
  const RewardPredictions model = fit_click_rate_model(log, dist.n_items, 2.0);
  EXPECT_NEAR(model.at(0, 0, 0), 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(model.at(3, 1, 0), 1.0 / 3.0, 1e-15);
  const RoundTerms terms = round_terms(log, dist, &model);
  // w = pi_e / p: 0.8/0.5 = 1.6, 0.2/0.5 = 0.4, 0.5/0.25 = 2, 0.5/0.5 = 1; Σw = 5.
  EXPECT_DOUBLE_EQ(terms.weight[0], 1.6);
  EXPECT_DOUBLE_EQ(terms.weight[2], 2.0);
  // IPW = (1.6·1 + 0.4·0 + 2·0 + 1·1) / 4 = 2.6 / 4.
  EXPECT_NEAR(estimate_named("ipw", terms), 0.65, 1e-12);
  // SNIPW = 2.6 / Σw = 2.6 / 5.
  EXPECT_NEAR(estimate_named("snipw", terms), 0.52, 1e-12);
  // dm at pos 1 = 0.8·2/3 + 0.2·1/3 = 0.6; at pos 2 = 0.5·1/3 + 0.5·2/3 = 0.5.
  // DM = (0.6 + 0.6 + 0.5 + 0.5) / 4 = 0.55.
  EXPECT_NEAR(estimate_named("dm", terms), 0.55, 1e-12);
  // w (r - q̂ factual): 1.6·(1/3), 0.4·(-1/3), 2·(-1/3), 1·(1/3); Σ = 0.2/3.
  // DR = (2.2 + 0.2/3) / 4 = 0.55 + 0.2/12.
  EXPECT_NEAR(estimate_named("dr", terms), 0.55 + 0.2 / 12.0, 1e-12);
  // SNDR = 0.55 + (0.2/3) / 5.
  EXPECT_NEAR(estimate_named("sndr", terms), 0.55 + 0.2 / 15.0, 1e-12);
  // Switch-DR, tau = 1.5: only rounds 1 (w 0.4) and 3 (w 1) keep their
  // correction: (-0.4 + 1) / 3 = 0.2; (2.2 + 0.2) / 4 = 0.6.
  EXPECT_NEAR(estimate_named("switch-dr:tau=1.5", terms), 0.6, 1e-12);
  // A large tau is DR again.
  EXPECT_NEAR(estimate_named("switch-dr:tau=1000", terms), 0.55 + 0.2 / 12.0, 1e-12);
}

TEST(OpeEstimators, ResampledRowsRepeatRounds) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const ActionDist dist = read_action_dist(dir.write("dist.csv", tiny_dist()), log);
  const RoundTerms terms = round_terms(log, dist, nullptr);
  const std::vector<std::uint32_t> rows{0, 0, 1};
  // IPW over rounds 0, 0, 1: (1.6 + 1.6 + 0) / 3; SNIPW: 3.2 / (1.6 + 1.6 + 0.4).
  EXPECT_NEAR(estimate(parse_estimators("ipw")[0], terms, rows), 3.2 / 3.0, 1e-12);
  EXPECT_NEAR(estimate(parse_estimators("snipw")[0], terms, rows), 3.2 / 3.6, 1e-12);
}

TEST(OpeEstimators, RewardModelFileGivesTheSameDoublyRobustValue) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const ActionDist dist = read_action_dist(dir.write("dist.csv", tiny_dist()), log);
  // The same q̂ as the m = 2 click-rate model above, written per round.
  std::string pred = "round,item_id,position,q_hat\n";
  const double q[2][2] = {{2.0 / 3.0, 1.0 / 3.0}, {1.0 / 3.0, 2.0 / 3.0}};  // [item][slot]
  for (int round = 0; round < 4; ++round)
    for (int item = 0; item < 2; ++item)
      for (int slot = 0; slot < 2; ++slot)
        pred += std::to_string(round) + "," + std::to_string(item) + "," + std::to_string(slot + 1) + "," +
                std::to_string(q[item][slot]) + "\n";
  const RewardPredictions model = read_reward_predictions(dir.write("pred.csv", pred), log, dist.n_items);
  const RoundTerms terms = round_terms(log, dist, &model);
  EXPECT_NEAR(estimate_named("dr", terms), 0.55 + 0.2 / 12.0, 1e-6);
}

TEST(OpeEstimators, RewardModelFileMissingATripleNamesIt) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const std::string path = dir.write("pred.csv", "round,item_id,position,q_hat\n0,0,1,0.5\n");
  const InputError error = expect_input_error([&] { read_reward_predictions(path, log, 2); });
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.field(), "q_hat");
  EXPECT_NE(error.reason().find("round 0, item 0, position 2"), std::string::npos) << error.what();
}

TEST(OpeEstimators, UnsupportedMassCountsPairsTheLogNeverShows) {
  TempDir dir;
  // Item 1 is never logged at position 2; pi_e puts 0.5 there: (0 + 0.5) / 2 slots.
  const LoggedFeedback log = read_logged_feedback(
      dir.write("log.csv", std::string(kHeader) + "0,t,0,1,1,0.5,a\n1,t,1,1,0,0.5,b\n2,t,0,2,0,0.25,a\n"));
  const ActionDist dist = read_action_dist(dir.write("dist.csv", tiny_dist()), log);
  EXPECT_DOUBLE_EQ(unsupported_mass(log, dist), 0.25);
  const LoggedFeedback full = read_logged_feedback(dir.write("full.csv", tiny_log()));
  EXPECT_DOUBLE_EQ(unsupported_mass(full, dist), 0.0);
}

TEST(OpeEstimators, ParseRejectsUnknownAndRepeatedNames) {
  EXPECT_THROW(parse_estimators("ipw,magic"), UsageError);
  EXPECT_THROW(parse_estimators("ipw,ipw"), UsageError);
  EXPECT_THROW(parse_estimators("switch-dr:tau=-1"), UsageError);
  EXPECT_THROW(parse_estimators("dr:tau=3"), UsageError);
  EXPECT_THROW(parse_estimators("ipw,"), UsageError);
  EXPECT_EQ(parse_estimators("ipw,snipw,dm,dr,sndr,switch-dr").size(), 6u);
}

TEST(OpeEvaluation, BootstrapIntervalContainsTheEstimateAndIsDeterministic) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const ActionDist dist = read_action_dist(dir.write("dist.csv", tiny_dist()), log);
  const RoundTerms terms = round_terms(log, dist, nullptr);
  OpeOptions options;
  options.estimators = parse_estimators("ipw,snipw");
  options.resamples = 200;
  const OpeResult a = evaluate_off_policy(terms, options);
  const OpeResult b = evaluate_off_policy(terms, options);
  ASSERT_EQ(a.estimates.size(), 2u);
  EXPECT_NEAR(a.estimates[0].value, 0.65, 1e-12);
  EXPECT_LE(a.estimates[0].lo, a.estimates[0].value);
  EXPECT_GE(a.estimates[0].hi, a.estimates[0].value);
  EXPECT_LT(a.estimates[0].lo, a.estimates[0].hi);
  EXPECT_EQ(a.estimates[0].lo, b.estimates[0].lo);
  EXPECT_EQ(a.estimates[1].hi, b.estimates[1].hi);
  // Diagnostics: Σw = 5, Σw² = 2.56 + 0.16 + 4 + 1 = 7.72; ESS = 25 / 7.72.
  EXPECT_NEAR(a.diagnostics.effective_sample_size, 25.0 / 7.72, 1e-12);
  EXPECT_DOUBLE_EQ(a.diagnostics.max_weight, 2.0);
  EXPECT_DOUBLE_EQ(a.diagnostics.mean_weight, 1.25);
  EXPECT_EQ(a.rounds, 4);
}

TEST(OpeEvaluation, RefittingTheModelPerResampleMovesOnlyModelBasedIntervals) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const ActionDist dist = read_action_dist(dir.write("dist.csv", tiny_dist()), log);
  const RewardPredictions model = fit_click_rate_model(log, dist.n_items, 2.0);
  const RoundTerms terms = round_terms(log, dist, &model);
  OpeOptions fixed;
  fixed.estimators = parse_estimators("ipw,dm");
  fixed.resamples = 300;
  OpeOptions same = fixed;  // the full-log model per resample: the default path exactly
  same.resample_terms = [&](std::span<const std::uint32_t> rows) { return round_terms(log, dist, &model, rows); };
  OpeOptions refit = fixed;
  refit.resample_terms = [&](std::span<const std::uint32_t> rows) {
    const RewardPredictions m = fit_click_rate_model(log, dist.n_items, 2.0, rows);
    return round_terms(log, dist, &m, rows);
  };
  const OpeResult a = evaluate_off_policy(terms, fixed);
  const OpeResult b = evaluate_off_policy(terms, same);
  const OpeResult c = evaluate_off_policy(terms, refit);
  EXPECT_EQ(a.estimates[1].lo, b.estimates[1].lo);
  EXPECT_EQ(a.estimates[1].hi, b.estimates[1].hi);
  EXPECT_EQ(a.estimates[0].lo, c.estimates[0].lo);  // IPW does not use the model
  EXPECT_EQ(a.estimates[0].hi, c.estimates[0].hi);
  EXPECT_EQ(a.estimates[1].value, c.estimates[1].value);  // the point estimate keeps the full-log model
  EXPECT_NE(a.estimates[1].lo, c.estimates[1].lo);
}

// ---- Input validation ---------------------------------------------------------

TEST(OpeLog, MalformedLinesNameFileLineAndField) {
  TempDir dir;
  struct Case {
    std::string row;
    std::string field;
  };
  const std::vector<Case> cases{
      {"1,t,1,1,0\n", "propensity_score"},     // missing columns
      {"1,t,1,1,0,nan,b\n", "propensity_score"},
      {"1,t,1,1,0,0,b\n", "propensity_score"},  // propensity 0
      {"1,t,1,1,0,1.5,b\n", "propensity_score"},
      {"1,t,1,1,yes,0.5,b\n", "click"},
      {"1,t,x,1,0,0.5,b\n", "item_id"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.write("bad.csv", std::string(kHeader) + "0,t,0,1,1,0.5,a\n" + c.row);
    const InputError error = expect_input_error([&] { read_logged_feedback(path); });
    EXPECT_EQ(error.file(), path) << c.row;
    EXPECT_EQ(error.line(), 3u) << c.row;
    EXPECT_EQ(error.field(), c.field) << c.row << " -> " << error.what();
  }
}

TEST(OpeLog, MissingHeaderColumnIsNamed) {
  TempDir dir;
  const std::string path = dir.write("log.csv", ",timestamp,item_id,position,click\n0,t,0,1,1\n");
  const InputError error = expect_input_error([&] { read_logged_feedback(path); });
  EXPECT_EQ(error.line(), 1u);
  EXPECT_EQ(error.field(), "propensity_score");
}

TEST(OpeLog, PositionsMustStartAtZeroOrOne) {
  TempDir dir;
  const std::string path = dir.write("log.csv", std::string(kHeader) + "0,t,0,2,1,0.5,a\n");
  const InputError error = expect_input_error([&] { read_logged_feedback(path); });
  EXPECT_EQ(error.field(), "position");
  EXPECT_EQ(error.line(), 2u);
}

TEST(OpeDist, ValidationErrorsNameFileLineAndField) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  struct Case {
    std::string body;
    std::size_t line;
    std::string field;
  };
  const std::vector<Case> cases{
      {"0,1,1.5\n1,1,0\n0,2,0.5\n1,2,0.5\n", 2, "prob"},          // prob > 1
      {"0,1,-0.1\n", 2, "prob"},                                   // prob < 0
      {"0,1,0.8\n7,1,0.2\n", 3, "item_id"},                         // unknown item
      {"0,1,0.8\n0,3,0.2\n", 3, "position"},                        // unknown position
      {"0,1,0.8\n0,1,0.2\n", 3, "item_id"},                         // repeated pair
      {"0,1,0.8\n1,1,0.3\n0,2,0.5\n1,2,0.5\n", 0, "prob"},          // position 1 sums to 1.1
      {"0,1,0.8\n1,1,0.2\n0,2,0.5\n", 0, "prob"},                   // position 2 sums to 0.5
  };
  for (const Case& c : cases) {
    const std::string path = dir.write("dist.csv", "item_id,position,prob\n" + c.body);
    const InputError error = expect_input_error([&] { read_action_dist(path, log); });
    EXPECT_EQ(error.file(), path) << c.body;
    EXPECT_EQ(error.line(), c.line) << c.body << " -> " << error.what();
    EXPECT_EQ(error.field(), c.field) << c.body << " -> " << error.what();
  }
}

TEST(OpeDist, SumWithinToleranceIsAccepted) {
  TempDir dir;
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const ActionDist dist = read_action_dist(
      dir.write("dist.csv", "item_id,position,prob\n0,1,0.8000000001\n1,1,0.2\n0,2,1\n"), log);
  EXPECT_DOUBLE_EQ(dist.at(1, 1), 0.0);  // absent pair = 0
}

// ---- Bernoulli Thompson sampling -------------------------------------------------

std::string three_item_prior() {
  // Item 0: Beta(1000, 1) ≈ 0.999; item 1: Beta(1, 1000) ≈ 0.001; item 2: uniform.
  return "# test prior\nmen:\n  alpha:\n    - 1000.0\n    - 1\n    - 1\n  beta:\n    - 1\n    - 1000\n    - 1.0\n"
         "women:\n  alpha:\n    - 2\n  beta:\n    - 3\n";
}

TEST(OpeBts, ReadsTheCampaignFromTheYamlSubset) {
  TempDir dir;
  const std::string path = dir.write("prior.yaml", three_item_prior());
  const BetaPrior prior = read_bts_prior(path, "men");
  ASSERT_EQ(prior.alpha.size(), 3u);
  EXPECT_DOUBLE_EQ(prior.alpha[0], 1000.0);
  EXPECT_DOUBLE_EQ(prior.beta[1], 1000.0);
  EXPECT_EQ(read_bts_prior(path, "women").alpha.size(), 1u);
}

TEST(OpeBts, MalformedYamlNamesTheLine) {
  TempDir dir;
  const InputError bad_number = expect_input_error(
      [&] { read_bts_prior(dir.write("p.yaml", "men:\n  alpha:\n    - 1\n    - x\n  beta:\n    - 1\n"), "men"); });
  EXPECT_EQ(bad_number.line(), 4u);
  EXPECT_EQ(bad_number.field(), "men.alpha");
  const InputError flow = expect_input_error(
      [&] { read_bts_prior(dir.write("p.yaml", "men:\n  alpha: [1, 2]\n"), "men"); });
  EXPECT_EQ(flow.line(), 2u);
  const InputError lengths = expect_input_error(
      [&] { read_bts_prior(dir.write("p.yaml", "men:\n  alpha:\n    - 1\n    - 2\n  beta:\n    - 1\n"), "men"); });
  EXPECT_EQ(lengths.field(), "men");
  const InputError campaign = expect_input_error([&] { read_bts_prior(dir.write("p.yaml", three_item_prior()), "all"); });
  EXPECT_NE(campaign.reason().find("men, women"), std::string::npos) << campaign.what();
}

TEST(OpeBts, AHugeAlphaTakesTheFirstPosition) {
  TempDir dir;
  const BetaPrior prior = read_bts_prior(dir.write("prior.yaml", three_item_prior()), "men");
  const ActionDist dist = bts_action_dist(prior, 3, 20000, 7);
  // theta_0 ≈ 0.999 beats a uniform theta_2 unless U > theta_0 (P ≈ 0.001);
  // theta_1 ≈ 0.001 loses to theta_2 unless U < theta_1 (P ≈ 0.001).
  EXPECT_GT(dist.at(0, 0), 0.99);
  EXPECT_GT(dist.at(2, 1), 0.99);
  EXPECT_GT(dist.at(1, 2), 0.99);
  for (int slot = 0; slot < 3; ++slot) {
    double sum = 0.0;
    for (int item = 0; item < 3; ++item) sum += dist.at(item, slot);
    EXPECT_NEAR(sum, 1.0, 1e-12);  // one item per slot per draw
  }
  for (int item = 0; item < 3; ++item) {
    double sum = 0.0;
    for (int slot = 0; slot < 3; ++slot) sum += dist.at(item, slot);
    EXPECT_NEAR(sum, 1.0, 1e-12);  // 3 slots of 3 items: every item shown once per draw
  }
}

TEST(OpeBts, SymmetricPriorIsUniformWithinMonteCarloError) {
  const BetaPrior prior{{2, 2, 2, 2}, {3, 3, 3, 3}};
  const ActionDist dist = bts_action_dist(prior, 2, 40000, 11);
  // Each probability is 1/4 with standard error sqrt(0.25·0.75/40000) ≈ 0.0022.
  for (int item = 0; item < 4; ++item)
    for (int slot = 0; slot < 2; ++slot) EXPECT_NEAR(dist.at(item, slot), 0.25, 0.012);
  const ActionDist again = bts_action_dist(prior, 2, 40000, 11);
  EXPECT_EQ(dist.prob, again.prob);  // same seed, same counts
  EXPECT_NE(dist.prob, bts_action_dist(prior, 2, 40000, 12).prob);
}

TEST(OpeBts, BetaDrawHasTheRightMean) {
  std::mt19937_64 rng(3);
  double sum = 0.0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += beta_draw(rng, 2.0, 5.0);
  EXPECT_NEAR(sum / n, 2.0 / 7.0, 0.003);  // sd 0.16, standard error 0.00036
  double small = 0.0;
  for (int i = 0; i < n; ++i) small += beta_draw(rng, 0.5, 0.5);  // shape < 1 path
  EXPECT_NEAR(small / n, 0.5, 0.004);
}

TEST(OpeBts, PolicySpecChecksTheLogFitsThePrior) {
  TempDir dir;
  const std::string prior = dir.write("prior.yaml", three_item_prior());
  const LoggedFeedback log = read_logged_feedback(dir.write("log.csv", tiny_log()));
  const ActionDist dist = make_evaluation_policy("bts:prior=" + prior + ",campaign=men,draws=1000,seed=1", log);
  EXPECT_EQ(dist.n_items, 3);
  EXPECT_EQ(dist.n_slots, 2);
  EXPECT_THROW(make_evaluation_policy("bts:prior=" + prior + ",campaign=women", log), UsageError);  // 1 item < 2
  EXPECT_THROW(make_evaluation_policy("bts:campaign=men", log), UsageError);
  EXPECT_THROW(make_evaluation_policy("bts:prior=" + prior + ",campaign=men,colour=red", log), UsageError);
  EXPECT_THROW(make_evaluation_policy("greedy", log), UsageError);
  EXPECT_DOUBLE_EQ(make_evaluation_policy("uniform", log).at(1, 1), 0.5);
}

// ---- The command ----------------------------------------------------------------

TEST(OpeCommand, WritesJsonWithTheHandComputedEstimates) {
  TempDir dir;
  const std::string log = dir.write("log.csv", tiny_log());
  const std::string dist = dir.write("dist.csv", tiny_dist());
  const std::string json = dir.file("out.json");
  const auto run = segue::testing::run_command(std::string(SEGUE_BINARY) + " ope --log " + log + " --policy-dist " +
                                               dist + " --reward-prior 2 --bootstrap 100 --json " + json);
  ASSERT_EQ(run.code, 0) << run.out;
  const nlohmann::json out = nlohmann::json::parse(segue::testing::read_file(json));
  EXPECT_EQ(out["rounds"], 4);
  EXPECT_NEAR(out["estimates"]["ipw"]["value"].get<double>(), 0.65, 1e-12);
  EXPECT_NEAR(out["estimates"]["dr"]["value"].get<double>(), 0.55 + 0.2 / 12.0, 1e-12);
  ASSERT_EQ(out["estimates"]["snipw"]["ci95"].size(), 2u);
  EXPECT_NEAR(out["diagnostics"]["mean_weight"].get<double>(), 1.25, 1e-12);
  EXPECT_NE(run.out.find("switch-dr"), std::string::npos) << run.out;
}

TEST(OpeCommand, BadDistFailsWithFileAndLine) {
  TempDir dir;
  const std::string log = dir.write("log.csv", tiny_log());
  const std::string dist = dir.write("dist.csv", "item_id,position,prob\n0,1,2\n");
  const auto run = segue::testing::run_command(std::string(SEGUE_BINARY) + " ope --log " + log + " --policy-dist " + dist);
  EXPECT_NE(run.code, 0);
  EXPECT_NE(run.out.find(dist), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("prob"), std::string::npos) << run.out;
  const auto both = segue::testing::run_command(std::string(SEGUE_BINARY) + " ope --log " + log +
                                                " --policy uniform --policy-dist " + dist);
  EXPECT_NE(both.code, 0);
}

}  // namespace
}  // namespace segue::ope

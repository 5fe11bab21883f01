// Tests of the home screen's policies and reward model (src/home/bandit.h):
// hand-computed propensities, action distributions against the picks they
// describe, the factorization machine's interactions, importance-weighted
// refits, exploration and the spec errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "data/error.h"
#include "home/bandit.h"
#include "home/reward_model.h"
#include "home/sampling.h"

namespace segue::home {
namespace {

Feature feature(std::string_view field, std::string_view name) { return Feature{feature_index(field, name), 1.0f}; }

// Arm i: its item feature plus the context's features.
std::vector<Arm> item_arms(int count, const std::vector<Feature>& context = {}) {
  std::vector<Arm> arms;
  for (int i = 0; i < count; ++i) {
    Arm arm;
    arm.key = static_cast<std::uint64_t>(i);
    arm.features = context;
    arm.features.push_back(feature("item", std::to_string(i)));
    arms.push_back(std::move(arm));
  }
  return arms;
}

Outcome outcome_of(const Arm& arm, double reward, double propensity = 1.0, std::uint32_t bucket = 0) {
  return Outcome{arm.features, arm.key, bucket, reward, propensity};
}

// Teaches a policy that arm i streams with rate rates[i] (deterministic
// fractions of `rounds` shows per arm), so its reward model ranks the arms.
void teach_rates(Policy& policy, const std::vector<Arm>& arms, const std::vector<double>& rates, int rounds) {
  for (int round = 0; round < rounds; ++round)
    for (std::size_t i = 0; i < arms.size(); ++i) {
      const double reward = (round + 0.5) / rounds < rates[i] ? 1.0 : 0.0;
      policy.update(outcome_of(arms[i], reward));
    }
}

// Empirical P(arm at slot) over `decisions` seeded decide() calls.
std::vector<double> pick_frequencies(const Policy& policy, const Decision& decision, int decisions) {
  std::vector<double> frequencies(decision.arms.size() * decision.slots, 0.0);
  Rng rng(99);
  std::vector<Pick> picks;
  for (int d = 0; d < decisions; ++d) {
    policy.decide(decision, rng, picks);
    for (const Pick& pick : picks) frequencies[pick.arm * decision.slots + pick.slot] += 1.0 / decisions;
  }
  return frequencies;
}

std::string spec_error(const std::string& spec) {
  try {
    make_policy(spec);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(HomePolicy_FeatureIndex, FieldIsPartOfTheHashAndIndicesFitTheSpace) {
  EXPECT_NE(feature_index("user", "3"), feature_index("item", "3"));
  EXPECT_NE(feature_index("ab", "c"), feature_index("a", "bc"));
  EXPECT_EQ(feature_index("hour", "21"), feature_index("hour", "21"));
  for (int i = 0; i < 1000; ++i) EXPECT_LT(feature_index("item", std::to_string(i)), 1u << kFeatureBits);
}

TEST(HomePolicy_Uniform, PropensityIsOneOverTheArmsLeft) {
  const auto policy = make_policy("uniform");
  const std::vector<Arm> arms = item_arms(4);
  Rng rng(1);
  std::vector<Pick> picks;
  policy->decide(Decision{arms, 3, 0}, rng, picks);
  ASSERT_EQ(picks.size(), 3u);
  // 4 arms: 1/4 at slot 0, then 1/3, then 1/2.
  EXPECT_DOUBLE_EQ(picks[0].propensity, 0.25);
  EXPECT_DOUBLE_EQ(picks[1].propensity, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(picks[2].propensity, 0.5);
  std::set<std::int32_t> distinct;
  for (const Pick& pick : picks) distinct.insert(pick.arm);
  EXPECT_EQ(distinct.size(), 3u);
  EXPECT_EQ(picks[0].mc_draws, 0);
}

TEST(HomePolicy_Uniform, MoreSlotsThanArmsPicksEveryArmOnce) {
  const auto policy = make_policy("uniform");
  const std::vector<Arm> arms = item_arms(2);
  Rng rng(1);
  std::vector<Pick> picks;
  policy->decide(Decision{arms, 5, 0}, rng, picks);
  ASSERT_EQ(picks.size(), 2u);
  EXPECT_NE(picks[0].arm, picks[1].arm);
  EXPECT_DOUBLE_EQ(picks[1].propensity, 1.0);
}

TEST(HomePolicy_Egreedy, HandComputedPropensitiesAndMarginals) {
  // 4 arms, 2 slots, ε = 0.2; the reward model learns the ranking 0 > 1 > 2 > 3.
  const auto policy = make_policy("egreedy:epsilon=0.2");
  const std::vector<Arm> arms = item_arms(4);
  teach_rates(*policy, arms, {0.9, 0.6, 0.3, 0.1}, 200);
  const Decision decision{arms, 2, 0};

  // Per pick: (1 − ε)·[best remaining] + ε / remaining.
  // Slot 0, 4 left: best 0.8 + 0.2/4 = 0.85, others 0.2/4 = 0.05.
  // Slot 1, 3 left: best 0.8 + 0.2/3 = 0.8667, others 0.2/3 = 0.0667.
  Rng rng(5);
  std::vector<Pick> picks;
  int explored = 0;
  for (int d = 0; d < 200; ++d) {
    policy->decide(decision, rng, picks);
    ASSERT_EQ(picks.size(), 2u);
    EXPECT_DOUBLE_EQ(picks[0].propensity, picks[0].arm == 0 ? 0.85 : 0.05);
    const std::int32_t best_left = picks[0].arm == 0 ? 1 : 0;
    EXPECT_NEAR(picks[1].propensity, picks[1].arm == best_left ? 0.8 + 0.2 / 3 : 0.2 / 3, 1e-12);
    explored += picks[0].arm != 0;
  }
  EXPECT_GT(explored, 0);

  // Marginals at slot 1, by the four slot-0 outcomes:
  // arm 0: slot 0 went to 1, 2 or 3 (3 × 0.05), then arm 0 is best: 0.15 × 0.8667 = 0.13
  // arm 1: slot 0 = 0 (0.85) then best: 0.85 × 0.8667; slot 0 = 2 or 3 (0.1) then not best: 0.1 × 0.0667
  //        = 0.736667 + 0.006667 = 0.743333
  // arm 2: slot 0 = 0 (0.85) × 0.0667 + slot 0 = 1 or 3 (0.1) × 0.0667 = 0.063333; arm 3 likewise.
  Rng unused(0);
  const std::vector<double> marginals = policy->action_distribution(decision, unused, 0);
  const double expected[4][2] = {{0.85, 0.13}, {0.05, 0.743333333333}, {0.05, 0.063333333333}, {0.05, 0.063333333333}};
  for (int arm = 0; arm < 4; ++arm)
    for (int slot = 0; slot < 2; ++slot) EXPECT_NEAR(marginals[arm * 2 + slot], expected[arm][slot], 1e-9);
}

// Every policy's action distribution: each slot's column sums to 1, and it
// matches how often decide() really puts each arm at each slot (within 4.5
// binomial standard errors, plus the Monte Carlo error of the distribution).
TEST(HomePolicy_ActionDistribution, SumsToOnePerSlotAndMatchesPickFrequencies) {
  const std::vector<Arm> arms = item_arms(6, {feature("hour", "21")});
  const Decision decision{arms, 3, 0};
  const int decisions = 8000;
  const int distribution_draws = 8000;
  for (const std::string spec : {"uniform", "greedy", "egreedy:epsilon=0.3", "thompson:draws=10",
                                 "thompson:model=logistic,draws=10", "linucb:alpha=0.5"}) {
    SCOPED_TRACE(spec);
    const auto policy = make_policy(spec);
    teach_rates(*policy, arms, {0.5, 0.45, 0.4, 0.35, 0.3, 0.25}, 6);  // close rates: Thompson stays uncertain
    Rng rng(7);
    const std::vector<double> distribution = policy->action_distribution(decision, rng, distribution_draws);
    ASSERT_EQ(distribution.size(), arms.size() * 3);
    for (int slot = 0; slot < 3; ++slot) {
      double total = 0.0;
      for (std::size_t arm = 0; arm < arms.size(); ++arm) total += distribution[arm * 3 + slot];
      EXPECT_NEAR(total, 1.0, 1e-9);
    }
    const std::vector<double> frequencies = pick_frequencies(*policy, decision, decisions);
    for (std::size_t i = 0; i < distribution.size(); ++i) {
      const double p = distribution[i];
      const double tolerance = 4.5 * std::sqrt(p * (1 - p) * (1.0 / decisions + 1.0 / distribution_draws)) + 1e-9;
      EXPECT_NEAR(frequencies[i], p, tolerance) << "arm " << i / 3 << " slot " << i % 3;
    }
  }
}

TEST(HomePolicy_Thompson, PropensityEstimatesTheSlotProbabilityWithItsDraws) {
  // At slot 0 nothing is conditioned on, so the propensity is the marginal.
  const auto policy = make_policy("thompson");
  const std::vector<Arm> arms = item_arms(4);
  teach_rates(*policy, arms, {0.6, 0.5, 0.4, 0.3}, 10);
  const Decision decision{arms, 2, 0};
  Rng rng(3);
  const std::vector<double> marginals = policy->action_distribution(decision, rng, 40000);
  std::vector<Pick> picks;
  for (int d = 0; d < 20; ++d) {
    policy->decide(decision, rng, picks);
    EXPECT_EQ(picks[0].mc_draws, 1000);
    const double p = marginals[picks[0].arm * 2];
    EXPECT_NEAR(picks[0].propensity, p, 4.5 * std::sqrt(p * (1 - p) / 1000) + 0.002);
    EXPECT_GT(picks[1].propensity, 0.0);
    EXPECT_LE(picks[1].propensity, 1.0);
    EXPECT_NEAR(picks[0].predicted_reward, 0.5, 0.2);  // the Beta posterior mean of a rate in 0.3..0.6
  }
}

// The propensity at slot 1 is conditional on slot 0's pick: averaged over the
// decisions that put b at slot 0 and a at slot 1, it matches how often a
// follows b (sequential Thompson sampling: a fresh draw over the arms left).
// Posteriors Beta(1, 1), Beta(31, 31), Beta(11, 31): had the policy ordered
// one draw, arm 0 after arm 1 would mean θ0 < θ1 ≈ 0.5, and arm 0 would
// follow arm 1 about half as often as it beats arm 2 in a fresh draw (~0.7).
TEST(HomePolicy_Thompson, SecondSlotPropensityIsConditionalOnTheFirstPick) {
  const auto policy = make_policy("thompson:draws=200");
  const std::vector<Arm> arms = item_arms(3);
  for (int i = 0; i < 60; ++i) policy->update(outcome_of(arms[1], i % 2));
  for (int i = 0; i < 40; ++i) policy->update(outcome_of(arms[2], i % 4 == 0));
  Rng rng(13);
  std::vector<Pick> picks;
  double follows[3][3] = {}, propensity_sum[3][3] = {}, first[3] = {};
  const int decisions = 6000;
  for (int d = 0; d < decisions; ++d) {
    policy->decide(Decision{arms, 2, 0}, rng, picks);
    first[picks[0].arm] += 1;
    follows[picks[0].arm][picks[1].arm] += 1;
    propensity_sum[picks[0].arm][picks[1].arm] += picks[1].propensity;
  }
  for (int b = 0; b < 3; ++b)
    for (int a = 0; a < 3; ++a) {
      if (follows[b][a] < 50) continue;
      const double empirical = follows[b][a] / first[b];
      const double reported = propensity_sum[b][a] / follows[b][a];
      EXPECT_NEAR(reported, empirical, 4.5 * std::sqrt(empirical * (1 - empirical) / first[b]) + 0.01)
          << "slot 0 = " << b << ", slot 1 = " << a;
    }
}

TEST(HomePolicy_LinUcb, BonusFavoursTheUnseenArmAndAlphaZeroDoesNot) {
  const std::vector<Arm> arms = item_arms(2);
  for (const auto& [spec, expected] : {std::pair{"linucb:alpha=1", 1}, std::pair{"linucb:alpha=0", 0}}) {
    const auto policy = make_policy(spec);
    for (int i = 0; i < 50; ++i) policy->update(outcome_of(arms[0], i % 2));  // arm 0: mean 0.5, well known
    Rng rng(1);
    std::vector<Pick> picks;
    policy->decide(Decision{arms, 2, 0}, rng, picks);
    EXPECT_EQ(picks[0].arm, expected) << spec;
    EXPECT_EQ(picks[0].propensity, 1.0);
    EXPECT_EQ(picks[1].propensity, 1.0);
  }
}

// Online: decide one card, observe a Bernoulli stream, update; the policy
// should end up showing the best arm (rate 0.7 against ≤ 0.3) most of the time.
TEST(HomePolicy_Learning, ExploringPoliciesConcentrateOnTheBestArm) {
  const std::vector<Arm> arms = item_arms(5, {feature("hour", "8")});
  const double rates[5] = {0.1, 0.3, 0.7, 0.2, 0.25};
  for (const std::string spec : {"thompson:draws=4", "thompson:model=logistic,draws=4", "linucb:alpha=0.3",
                                 "egreedy:epsilon=0.1"}) {
    SCOPED_TRACE(spec);
    const auto policy = make_policy(spec);
    Rng rng(11);
    std::vector<Pick> picks;
    int best_late = 0;
    for (int round = 0; round < 1500; ++round) {
      policy->decide(Decision{arms, 1, 0}, rng, picks);
      const Arm& shown = arms[picks[0].arm];
      const double reward = open_unit(rng) < rates[picks[0].arm] ? 1.0 : 0.0;
      policy->update(outcome_of(shown, reward, picks[0].propensity));
      if (round >= 1200) best_late += picks[0].arm == 2;
    }
    EXPECT_GT(best_late, 0.75 * 300);
  }
}

TEST(HomePolicy_Greedy, NeverExplores) {
  const auto policy = make_policy("greedy");
  const std::vector<Arm> arms = item_arms(5);
  teach_rates(*policy, arms, {0.2, 0.8, 0.5, 0.1, 0.4}, 100);
  const Decision decision{arms, 3, 0};
  std::vector<Pick> picks;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    policy->decide(decision, rng, picks);
    ASSERT_EQ(picks.size(), 3u);
    EXPECT_EQ(picks[0].arm, 1);
    EXPECT_EQ(picks[1].arm, 2);
    EXPECT_EQ(picks[2].arm, 4);
    for (const Pick& pick : picks) EXPECT_EQ(pick.propensity, 1.0);
  }
  EXPECT_GT(picks[0].predicted_reward, picks[1].predicted_reward);
  EXPECT_GT(picks[1].predicted_reward, picks[2].predicted_reward);
}

TEST(HomePolicy_Greedy, TiesGoToTheLowerArmIndex) {
  // Arms with identical features score identically.
  std::vector<Arm> arms(3);
  for (std::size_t i = 0; i < arms.size(); ++i) arms[i].features = {feature("explanation", "popular_now")};
  const auto policy = make_policy("greedy");
  Rng rng(1);
  std::vector<Pick> picks;
  policy->decide(Decision{arms, 3, 0}, rng, picks);
  EXPECT_EQ(picks[0].arm, 0);
  EXPECT_EQ(picks[1].arm, 1);
  EXPECT_EQ(picks[2].arm, 2);
}

// BaRT's reason for a factorization machine: the stream rate depends on
// explanation × hour (0.8 when they match, else 0.2), so every main effect is
// flat and plain logistic regression (factors=0) can only predict the mean.
TEST(HomePolicy_RewardModel, FactorizationMachineLearnsAnInteractionLogisticCannot) {
  Rng rng(17);
  const auto synthetic = [&rng](int count) {
    std::vector<Outcome> outcomes;
    for (int i = 0; i < count; ++i) {
      const std::uint32_t explanation = rng.below(4), hour = rng.below(4);
      Outcome outcome;
      outcome.features = {feature("explanation", std::to_string(explanation)), feature("hour", std::to_string(hour)),
                          feature("item", std::to_string(rng.below(50)))};
      outcome.reward = open_unit(rng) < (explanation == hour ? 0.8 : 0.2) ? 1.0 : 0.0;
      outcomes.push_back(std::move(outcome));
    }
    return outcomes;
  };
  const std::vector<Outcome> train = synthetic(8000), held_out = synthetic(4000);
  const auto log_loss = [&held_out](const FactorizationMachine& model) {
    double total = 0.0;
    for (const Outcome& outcome : held_out) {
      const double p = std::clamp(model.predict(outcome.features), 1e-6, 1 - 1e-6);
      total -= outcome.reward > 0 ? std::log(p) : std::log(1 - p);
    }
    return total / held_out.size();
  };
  FactorizationMachine fm(FmOptions{8, 0.1, 0.0001, 10, 1});
  FactorizationMachine logistic(FmOptions{0, 0.1, 0.0001, 10, 1});
  fm.refit(train, 10.0);
  logistic.refit(train, 10.0);
  // Entropy of the truth: H(0.2) = 0.500; of the best constant, H(0.35) = 0.647.
  EXPECT_LT(log_loss(fm), 0.53);
  EXPECT_GT(log_loss(logistic), 0.62);
  // And the model's best explanation follows the hour.
  for (int hour = 0; hour < 4; ++hour) {
    const double matching = fm.predict(std::vector<Feature>{feature("explanation", std::to_string(hour)),
                                                            feature("hour", std::to_string(hour))});
    const double other = fm.predict(std::vector<Feature>{feature("explanation", std::to_string((hour + 1) % 4)),
                                                         feature("hour", std::to_string(hour))});
    EXPECT_GT(matching, other + 0.3) << "hour " << hour;
  }
}

// A logging policy that shows item A mostly to the listeners who like it (a
// trait the features do not carry): A streams for 0.8 of those, 0.2 of the
// others, 0.5 over everyone, but 0.74 among A's impressions. Importance
// weights undo the bias; without them (max_weight = 1) the estimate stays 0.74.
TEST(HomePolicy_Refit, ImportanceWeightsRecoverTheUnbiasedStreamRate) {
  const std::vector<Arm> arms = item_arms(2);  // 0 = A, 1 = B (streams 0.3 for everyone)
  Rng rng(23);
  std::vector<Outcome> log;
  for (int i = 0; i < 20000; ++i) {
    const bool fan = rng.below(2) == 1;
    const double show_a = fan ? 0.9 : 0.1;
    const bool shows_a = open_unit(rng) < show_a;
    const double rate = shows_a ? (fan ? 0.8 : 0.2) : 0.3;
    const double reward = open_unit(rng) < rate ? 1.0 : 0.0;
    log.push_back(outcome_of(arms[shows_a ? 0 : 1], reward, shows_a ? show_a : 1 - show_a));
  }
  FactorizationMachine model(FmOptions{});
  model.refit(log, 20.0);
  EXPECT_NEAR(model.predict(arms[0].features), 0.5, 0.05);
  EXPECT_NEAR(model.predict(arms[1].features), 0.3, 0.05);
  model.refit(log, 1.0);
  EXPECT_NEAR(model.predict(arms[0].features), 0.74, 0.05);

  // The Beta-Bernoulli posterior mean, through a policy's predicted reward.
  const auto thompson = make_policy("thompson:draws=1");
  thompson->refit(log, 20.0);
  std::vector<Pick> picks;
  thompson->decide(Decision{arms, 2, 0}, rng, picks);
  for (const Pick& pick : picks) EXPECT_NEAR(pick.predicted_reward, pick.arm == 0 ? 0.5 : 0.3, 0.05);
}

// decide() from several threads at once (each with its own Rng) gives what
// it gives alone: the per-thread scratch is not shared.
TEST(HomePolicy_Concurrency, DecideFromManyThreadsMatchesOneThread) {
  const std::vector<Arm> arms = item_arms(12, {feature("hour", "9")});
  const Decision decision{arms, 5, 0};
  for (const std::string spec : {"egreedy:epsilon=0.3", "thompson:draws=50", "thompson:model=logistic,draws=50"}) {
    SCOPED_TRACE(spec);
    const auto policy = make_policy(spec);
    teach_rates(*policy, arms, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05}, 10);
    const auto run = [&](std::uint64_t seed, std::vector<Pick>& all) {
      Rng rng(seed);
      std::vector<Pick> picks;
      for (int d = 0; d < 200; ++d) {
        policy->decide(decision, rng, picks);
        all.insert(all.end(), picks.begin(), picks.end());
      }
    };
    std::vector<std::vector<Pick>> alone(4), together(4);
    for (std::uint64_t t = 0; t < 4; ++t) run(t, alone[t]);
    std::vector<std::thread> threads;
    for (std::uint64_t t = 0; t < 4; ++t) threads.emplace_back(run, t, std::ref(together[t]));
    for (std::thread& thread : threads) thread.join();
    for (std::size_t t = 0; t < 4; ++t) {
      ASSERT_EQ(alone[t].size(), together[t].size());
      for (std::size_t i = 0; i < alone[t].size(); ++i) {
        EXPECT_EQ(alone[t][i].arm, together[t][i].arm);
        EXPECT_EQ(alone[t][i].propensity, together[t][i].propensity);
      }
    }
  }
}

TEST(HomePolicy_Spec, CanonicalSpecsParseBack) {
  for (const std::string spec : {"uniform", "egreedy:epsilon=0.2,factors=4", "thompson", "thompson:model=logistic,draws=200",
                                 "linucb:alpha=2"}) {
    const std::string canonical = make_policy(spec)->spec();
    EXPECT_EQ(make_policy(canonical)->spec(), canonical) << spec;
  }
  EXPECT_EQ(make_policy("egreedy:factors=0")->spec(),
            "egreedy:epsilon=0.1,factors=0,learning_rate=0.05,reg=0.001,epochs=5,seed=1");
  EXPECT_EQ(make_policy("thompson")->spec(), "thompson:model=beta,alpha=1,beta=1,draws=1000");
  EXPECT_EQ(make_policy("linucb")->spec(), "linucb:alpha=1,reg=1");
}

TEST(HomePolicy_Spec, BadSpecsNameTheParameter) {
  EXPECT_NE(spec_error("egreedy:epsilon=1.5").find("epsilon"), std::string::npos);
  EXPECT_NE(spec_error("egreedy:epsilon=-0.1").find("epsilon"), std::string::npos);
  EXPECT_NE(spec_error("bandit").find("bandit"), std::string::npos);
  EXPECT_NE(spec_error("linucb:alpha=-1").find("alpha"), std::string::npos);
  EXPECT_NE(spec_error("thompson:alpha=-1").find("alpha"), std::string::npos);
  EXPECT_NE(spec_error("thompson:beta=0").find("beta"), std::string::npos);
  EXPECT_NE(spec_error("thompson:model=gaussian").find("model"), std::string::npos);
  EXPECT_NE(spec_error("thompson:model=logistic,alpha=2").find("alpha"), std::string::npos);
  EXPECT_NE(spec_error("greedy:factors=100").find("factors"), std::string::npos);
  EXPECT_NE(spec_error("uniform:epsilon=0.1").find("epsilon"), std::string::npos);
  EXPECT_NE(spec_error("thompson:draws=0").find("draws"), std::string::npos);
}

}  // namespace
}  // namespace segue::home

#include "eval/tuner.h"
#include "eval/auto_tune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "features/feature_matrix.h"
#include "io/model_file.h"
#include "models/recommender.h"
#include "models/registry.h"

namespace segue {
namespace {

// score(u, i) = quality · popularity(i) + (1 − quality) · noise(i): higher
// quality is usually better on popularity-shaped data, but not monotonically,
// so the search really has to compare trials.
class Tunable final : public Recommender {
 public:
  explicit Tunable(const ModelSpec& spec) : Recommender(spec), quality_(spec.get_float("quality")) {}
  void score_users(std::span<const std::int32_t> users, float* out) const override {
    for (std::size_t r = 0; r < users.size(); ++r) score_history({}, {}, out + r * n_items());
  }
  void score_history(std::span<const std::int32_t>, std::span<const float>, float* out) const override {
    for (std::int32_t i = 0; i < n_items(); ++i)
      out[i] = static_cast<float>(quality_ * popularity_[i] + (1 - quality_) * 10.0 * std::sin(7.0 * i));
  }

 protected:
  void fit_model(const FeedbackMatrix& train, const FitContext&) override {
    popularity_.assign(static_cast<std::size_t>(train.n_items), 0.0f);
    for (const std::int32_t i : train.indices) popularity_[i] += 1;
  }
  void save_model(ModelWriter&) const override {}
  void load_model(const ModelReader&) override {}

 private:
  double quality_;
  std::vector<float> popularity_;
};

void register_tunable() {
  register_model(ModelInfo{"test_tunable",
                           "tests only",
                           {float_param("quality", 0.5, 0.0, 1.0, "mix of popularity and noise"),
                            int_param("iterations", 27, 1, 1000, "budget for halving"),
                            string_param("mode", "a", "a choice")},
                           [](const ModelSpec& spec) -> std::unique_ptr<Recommender> {
                             return std::make_unique<Tunable>(spec);
                           },
                           "quality=0:1"});
}

// 60 users, each with 8 items drawn from a popularity-skewed catalogue of 40.
Dataset skewed_dataset() {
  DatasetBuilder builder;
  std::mt19937_64 rng(3);
  std::geometric_distribution<int> draw(0.15);
  for (int u = 0; u < 60; ++u) {
    const std::int32_t user = builder.user("u" + std::to_string(u));
    for (int j = 0; j < 8; ++j) builder.add({user, builder.item("i" + std::to_string(std::min(draw(rng), 39)))});
  }
  return builder.finish("skewed");
}

double quality_of(const std::string& spec) {
  return parse_spec(spec).get_float("quality");
}

TEST(Tuner_Space, ParsesRangesLogRangesAndChoices) {
  register_tunable();
  const ModelSpec declared = parse_spec("test_tunable");
  const auto space = parse_search_space("quality=0.1:0.9, iterations=2:64:log, mode=a|b", declared);
  ASSERT_EQ(space.size(), 3u);
  EXPECT_EQ(space[0].key, "quality");
  EXPECT_DOUBLE_EQ(space[0].lo, 0.1);
  EXPECT_FALSE(space[0].integer);
  EXPECT_TRUE(space[1].log);
  EXPECT_TRUE(space[1].integer);
  EXPECT_EQ(space[2].choices, (std::vector<std::string>{"a", "b"}));
}

TEST(Tuner_Space, RejectsBadSpacesNamingTheKey) {
  register_tunable();
  const ModelSpec declared = parse_spec("test_tunable");
  const auto message = [&](const std::string& text) {
    try {
      parse_search_space(text, declared);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("nope=1:2").find("'nope'"), std::string::npos);
  EXPECT_NE(message("quality=0.5:0.2").find("lo 0.5 > hi 0.2"), std::string::npos);
  EXPECT_NE(message("quality=0:1:log").find("lo > 0"), std::string::npos);
  EXPECT_NE(message("quality=0:2").find("range"), std::string::npos);
  EXPECT_NE(message("quality=x:1").find("not a number"), std::string::npos);
  EXPECT_NE(message("mode=1:2").find("not numeric"), std::string::npos);
  EXPECT_NE(message("quality=0:1,quality=0:1").find("twice"), std::string::npos);
  EXPECT_NE(message("quality").find("key=lo:hi"), std::string::npos);
  EXPECT_NE(message("quality=0.2|abc").find("quality"), std::string::npos);
}

TEST(Tuner_Carve, SplitsEveryTrainingPairIntoTrainOrValidation) {
  const Dataset data = skewed_dataset();
  const ValidationSplit carved = carve_validation(data, 0.25, 9);
  const FeedbackMatrix all = build_feedback(data);
  EXPECT_GT(carved.validation.nnz(), 0);
  for (std::int32_t u = 0; u < all.n_users; ++u)
    for (const std::int32_t i : all.items_of(u)) {
      const auto tr = carved.train.items_of(u);
      const auto va = carved.validation.items_of(u);
      const bool in_train = std::binary_search(tr.begin(), tr.end(), i);
      const bool in_validation = std::binary_search(va.begin(), va.end(), i);
      EXPECT_TRUE(in_train || in_validation) << "user " << u << " item " << i << " lost";
    }
  EXPECT_LT(static_cast<std::size_t>(carved.train_events.size()), data.interactions.size());
}

// Playlists whose tracks follow each other: user u plays i, i+1, ..., by position (the order of
// adding is shuffled so only the position tells which is last).
Dataset ordered_dataset() {
  DatasetBuilder builder;
  std::mt19937_64 rng(4);
  for (int u = 0; u < 60; ++u) {
    const std::int32_t user = builder.user("u" + std::to_string(u));
    std::vector<int> order{0, 1, 2, 3, 4, 5};
    std::shuffle(order.begin(), order.end(), rng);
    for (const int j : order) {
      DatasetBuilder::Event e;
      e.user = user;
      e.item = builder.item("i" + std::to_string((u + j) % 30));
      e.position = j;
      builder.add(e);
    }
  }
  return builder.finish("ordered");
}

TEST(Tuner_Carve, LeaveLastHoldsOutEachListenersLastItem) {
  const Dataset data = ordered_dataset();
  const ValidationSplit carved = carve_validation(data, 0.25, 9, "leave-last");
  const FeedbackMatrix all = build_feedback(data);
  for (std::int32_t u = 0; u < all.n_users; ++u) {
    const std::string last = "i" + std::to_string((std::stoi(std::string(data.users.name(u).substr(1))) + 5) % 30);
    const auto va = carved.validation.items_of(u);
    ASSERT_EQ(va.size(), 1u) << "user " << u;
    EXPECT_EQ(data.items.name(va[0]), last);
    EXPECT_EQ(carved.train.items_of(u).size(), 5u);
  }
  EXPECT_THROW(carve_validation(data, 0.25, 9, "sideways"), UsageError);
}

TEST(Tuner_Random, PicksTheTrialWithTheBestValidationValue) {
  register_tunable();
  const Dataset data = skewed_dataset();
  TuneOptions options;
  options.base_spec = "test_tunable";
  options.trials = 8;
  options.metric = "ndcg@5";
  int seen = 0;
  const TuneResult result = tune(data, options, [&seen](const Trial&) { ++seen; });
  ASSERT_EQ(result.trials.size(), 8u);
  EXPECT_EQ(seen, 8);
  double best = -1;
  for (const Trial& t : result.trials) best = std::max(best, t.value);
  EXPECT_EQ(result.best.value, best);
  std::map<double, int> distinct;
  for (const Trial& t : result.trials) ++distinct[quality_of(t.spec)];
  EXPECT_GT(distinct.size(), 4u) << "the sampler should spread the trials";
  EXPECT_GT(result.validation_users, 0);

  // Same seed, same trials.
  const TuneResult again = tune(data, options);
  for (std::size_t i = 0; i < result.trials.size(); ++i) EXPECT_EQ(again.trials[i].spec, result.trials[i].spec);
}

TEST(Tuner_Halving, GivesTheBestThirdEachRungThreeTimesTheBudget) {
  register_tunable();
  const Dataset data = skewed_dataset();
  TuneOptions options;
  options.base_spec = "test_tunable:iterations=27";
  options.trials = 9;
  options.search = "halving";
  options.metric = "ndcg@5";
  const TuneResult result = tune(data, options);
  EXPECT_EQ(result.budget_key, "iterations");
  std::vector<std::vector<Trial>> rungs(3);
  for (const Trial& t : result.trials) rungs.at(static_cast<std::size_t>(t.rung)).push_back(t);
  ASSERT_EQ(rungs[0].size(), 9u);
  ASSERT_EQ(rungs[1].size(), 3u);
  ASSERT_EQ(rungs[2].size(), 1u);
  const std::int64_t budgets[3] = {3, 9, 27};
  for (int r = 0; r < 3; ++r)
    for (const Trial& t : rungs[r]) EXPECT_EQ(parse_spec(t.spec).get_int("iterations"), budgets[r]) << t.spec;
  // The survivors of rung 0 are its three best.
  std::vector<Trial> sorted = rungs[0];
  std::stable_sort(sorted.begin(), sorted.end(), [](const Trial& a, const Trial& b) { return a.value > b.value; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(quality_of(rungs[1][i].spec), quality_of(sorted[i].spec));
  EXPECT_EQ(result.best.spec, rungs[2][0].spec);
}

TEST(Tuner_Errors, RefusesWhatCannotBeSearched) {
  register_tunable();
  const Dataset data = skewed_dataset();
  TuneOptions options;
  options.base_spec = "random";
  EXPECT_THROW(tune(data, options), UsageError);  // nothing to search
  options.base_spec = "test_tunable";
  options.metric = "nonsense@3";
  EXPECT_THROW(tune(data, options), UsageError);
  options.metric = "ndcg@5";
  options.trials = 0;
  EXPECT_THROW(tune(data, options), UsageError);
  options.trials = 3;
  options.search = "grid";
  EXPECT_THROW(tune(data, options), UsageError);
  options.search = "halving";
  options.space = "iterations=1:5";
  EXPECT_THROW(tune(data, options), UsageError);  // the budget cannot also be searched
}

}  // namespace
}  // namespace segue

namespace segue {
namespace {

TEST(Tuner_Auto, MeasuresEveryFamilyThenAStackAndPicksTheBestOnValidation) {
  const Dataset data = skewed_dataset();
  AutoTuneOptions options;
  options.budget_seconds = 6;  // enough for every stage on this data
  std::vector<std::string> stages, specs;
  const AutoTuneResult result = auto_tune(data, options, [&](const Trial& t, const std::string& stage) {
    stages.push_back(stage);
    specs.push_back(t.spec);
  });
  // Stage one: ease (40 items), ials, itemknn, rp3beta, userknn at their defaults, in that order.
  ASSERT_GE(specs.size(), 6u);
  for (int f = 0; f < 5; ++f) EXPECT_EQ(stages[static_cast<std::size_t>(f)], "defaults");
  EXPECT_TRUE(specs[0].starts_with("ease:"));
  EXPECT_TRUE(specs[4].starts_with("userknn:"));
  EXPECT_NE(std::find(stages.begin(), stages.end(), "stack"), stages.end());
  EXPECT_NE(std::find(stages.begin(), stages.end(), "search"), stages.end());
  // Stage three: the tuned ials at the four weight scales, five seeds each (run, or skipped for the budget).
  const auto ensemble = std::find(stages.begin(), stages.end(), "ensemble");
  ASSERT_NE(ensemble, stages.end());
  const std::string& ensemble_spec = specs[static_cast<std::size_t>(ensemble - stages.begin())];
  const ModelSpec members = parse_spec(ensemble_spec.substr(0, ensemble_spec.find(" (skipped")));
  EXPECT_EQ(members.name(), "ensemble");
  EXPECT_EQ(members.get_int("seeds"), 5);
  for (const char* scale : {"median", "rank", "share"})
    EXPECT_NE(members.get_string("members").find(std::string("user_scale=") + scale), std::string::npos) << scale;
  // The tuned alpha became the same mean confidence on every scale.
  EXPECT_EQ(members.get_string("members").find("alpha="), std::string::npos) << ensemble_spec;
  // The winner is the best validation value of all trials, and its spec makes a model.
  double best = -1;
  for (const Trial& t : result.trials)
    if (!std::isnan(t.value)) best = std::max(best, t.value);
  EXPECT_DOUBLE_EQ(result.best.value, best);
  EXPECT_NO_THROW(make_recommender(result.best.spec));
  // The budget stops new trials; the one running when it runs out finishes (on a
  // loaded machine under ASan a stack trial can take many seconds): at most the
  // budget plus the longest trial, never trial after trial past it.
  double longest = 0;
  for (const Trial& t : result.trials) longest = std::max(longest, t.fit_seconds + t.eval_seconds);
  EXPECT_LE(result.seconds, options.budget_seconds + longest + 5);
}

// Next-track tuning: validation is each listener's last item and the stacks
// learn next tracks from three cuts (rerank carve=last,carves=3).
TEST(Tuner_Auto, LeaveLastCarveTunesForTheNextTrackAndStacksLearnIt) {
  const Dataset data = ordered_dataset();
  AutoTuneOptions options;
  options.budget_seconds = 8;
  options.tune.carve = "leave-last";
  options.tune.metric = "hit@10";
  // Item features (an artist per track): content and featureknn join the families.
  FeatureMatrix artists;
  artists.n_rows = data.interactions.n_items;
  artists.n_features = 5;
  for (std::int32_t i = 0; i < artists.n_rows; ++i) {
    artists.indices.push_back(i % 5);
    artists.values.push_back(1.0f);
    artists.indptr.push_back(static_cast<std::int64_t>(artists.indices.size()));
  }
  artists.names = {"artist=a", "artist=b", "artist=c", "artist=d", "artist=e"};
  artists.group_of.assign(5, 0);
  artists.groups = {"artist"};
  artists.described.assign(static_cast<std::size_t>(artists.n_rows), 1);
  options.tune.item_features = &artists;
  std::vector<std::string> stacks, defaults;
  const AutoTuneResult result = auto_tune(data, options, [&](const Trial& t, const std::string& stage) {
    if (stage == "stack") stacks.push_back(t.spec);
    if (stage == "defaults") defaults.push_back(parse_spec(t.spec).name());
  });
  EXPECT_NE(std::find(defaults.begin(), defaults.end(), "content"), defaults.end());
  EXPECT_NE(std::find(defaults.begin(), defaults.end(), "featureknn"), defaults.end());
  ASSERT_FALSE(stacks.empty());
  for (const std::string& spec : stacks) {
    const ModelSpec stack = parse_spec(spec.substr(0, spec.find(" (skipped")));
    EXPECT_EQ(stack.get_string("carve"), "last") << spec;
    EXPECT_EQ(stack.get_int("carves"), 3) << spec;
  }
  EXPECT_NO_THROW(make_recommender(result.best.spec));
  // On these playlists the next track is always the one after the last: the
  // best configuration finds it for most listeners.
  EXPECT_GT(result.best.value, 0.5);
}

TEST(Tuner_Auto, ATinyBudgetStillAnswersAndABadOneIsRefused) {
  const Dataset data = skewed_dataset();
  AutoTuneOptions options;
  options.budget_seconds = 0.001;  // one family is always measured
  const AutoTuneResult result = auto_tune(data, options);
  EXPECT_GE(result.trials.size(), 1u);
  EXPECT_NO_THROW(make_recommender(result.best.spec));
  options.budget_seconds = 0;
  EXPECT_THROW(auto_tune(data, options), UsageError);
}

}  // namespace
}  // namespace segue

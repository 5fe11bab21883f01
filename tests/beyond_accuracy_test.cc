// Tests of the beyond-accuracy metrics against hand-computed values, and of
// their wiring into evaluate().
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "data/error.h"
#include "eval/beyond_accuracy.h"
#include "eval/evaluator.h"
#include "models/registry.h"

namespace segue {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// 4 users, 5 items. Train: u0 {0, 1}, u1 {0, 2}, u2 {0}, u3 {} →
// popularity {3, 1, 1, 0, 0}; 3 training users have a positive.
FeedbackMatrix small_train() {
  return build_feedback(4, 5, std::vector<FeedbackEntry>{{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 2, 1}, {2, 0, 1}});
}

TEST(BeyondAccuracy_Context, PopularityCountsTrainingUsers) {
  const ItemContext items = make_item_context(small_train());
  EXPECT_EQ(items.popularity, (std::vector<std::int32_t>{3, 1, 1, 0, 0}));
  EXPECT_EQ(items.n_users, 3);
  EXPECT_EQ(items.by_popularity, (std::vector<std::int32_t>{0, 1, 2, 3, 4}));  // ties by lower id
  std::vector<std::int32_t> baseline;
  const std::vector<std::int32_t> exclude{0};
  popularity_baseline(items, exclude, 2, baseline);
  EXPECT_EQ(baseline, (std::vector<std::int32_t>{1, 2}));
}

// novelty of list {0, 3}: item 0: -log2(3/3) = 0; item 3 (popularity 0, taken
// as 1): -log2(1/3) = 1.584963; mean 0.792481.
// arp of {0, 1} = (3 + 1) / 2 = 2.
// unexpectedness of {1, 3} against the baseline {1, 2}: 3 is unexpected → 1/2.
TEST(BeyondAccuracy_HandComputed, NoveltyArpAndUnexpectedness) {
  const ItemContext items = make_item_context(small_train());
  const std::vector<std::int32_t> list03{0, 3};
  UserRanking user{list03, {}};
  user.items = &items;
  EXPECT_NEAR(novelty_at_k(user, 10), std::log2(3.0) / 2, 1e-12);
  EXPECT_NEAR(novelty_at_k(user, 10), 0.792481, 1e-6);
  EXPECT_DOUBLE_EQ(novelty_at_k(user, 1), 0.0);  // only item 0 within k = 1
  const std::vector<std::int32_t> list01{0, 1};
  user.ranked = list01;
  EXPECT_DOUBLE_EQ(arp_at_k(user, 2), 2.0);
  const std::vector<std::int32_t> list13{1, 3};
  const std::vector<std::int32_t> baseline{1, 2};
  user.ranked = list13;
  user.baseline = baseline;
  EXPECT_DOUBLE_EQ(unexpectedness_at_k(user, 2), 0.5);
  // An empty list, or only unknown items: undefined (NaN), never 0.
  user.ranked = {};
  EXPECT_TRUE(std::isnan(novelty_at_k(user, 2)));
  const std::vector<std::int32_t> unknown{kUnknownItem};
  user.ranked = unknown;
  EXPECT_TRUE(std::isnan(arp_at_k(user, 2)));
}

// Features (dim 2): item 0 (1, 0), 1 (0, 1), 2 (1, 1), 3 (NaN, 1), 4 (0, 0).
// Featured: 0, 1, 2 (3 has a missing value, 4 a zero norm). Pairs of the list
// 0..4: (0,1) distance 1; (0,2) and (1,2) distance 1 - 1/√2 = 0.292893.
// ild = (1 + 2 · 0.292893) / 3 = 0.528595.
TEST(BeyondAccuracy_HandComputed, IntraListDiversityOverFeaturedPairs) {
  ItemFeatures features{2, {1, 0, 0, 1, 1, 1, kNaN, 1, 0, 0}};
  const ItemContext items = make_item_context(small_train(), &features);
  EXPECT_EQ(items.featured, (std::vector<std::uint8_t>{1, 1, 1, 0, 0}));
  const std::vector<std::int32_t> all{0, 1, 2, 3, 4};
  UserRanking user{all, {}};
  user.items = &items;
  EXPECT_NEAR(ild_at_k(user, 5), 0.528595, 1e-6);
  EXPECT_NEAR(ild_at_k(user, 2), 1.0, 1e-6);  // only the pair (0, 1)
  const std::vector<std::int32_t> one_featured{0, 3};
  user.ranked = one_featured;
  EXPECT_TRUE(std::isnan(ild_at_k(user, 5)));
  features.values.pop_back();
  EXPECT_THROW(make_item_context(small_train(), &features), UsageError);
}

// Exposure {2, 0, 0, 1} sorted {0, 0, 1, 2}: Σ (2i - n - 1) c = -3·0 - 1·0 +
// 1·1 + 3·2 = 7; Gini = 7 / (4 · 3) = 0.583333. Even exposure gives 0; one
// item taking everything gives (n - 1) / n.
TEST(BeyondAccuracy_HandComputed, GiniIndexOfExposure) {
  EXPECT_NEAR(gini_index(std::vector<std::int64_t>{2, 0, 0, 1}), 7.0 / 12.0, 1e-12);
  EXPECT_DOUBLE_EQ(gini_index(std::vector<std::int64_t>{1, 1, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(gini_index(std::vector<std::int64_t>{0, 0, 0, 5}), 0.75);
  EXPECT_DOUBLE_EQ(gini_index(std::vector<std::int64_t>{0, 0}), 0.0);
}

// pop recommends by popularity {3, 1, 1, 0, 0} (ties by lower id); test users
// u0 (test {3}), u1 (test {4}), u2 (test {1}), with their training items excluded:
//   u0: train {0, 1} → list 2, 3   u1: train {0, 2} → list 1, 3   u2: train {0} → list 1, 2
// exposure@2 over items 0..4 = {0, 2, 2, 2, 0}: coverage 3/5; sorted
// {0, 0, 2, 2, 2}, Gini = (-4·0 - 2·0 + 0·2 + 2·2 + 4·2) / (5 · 6) = 12/30 = 0.4.
// Popularity baselines are the pop lists themselves: unexpectedness 0.
TEST(BeyondAccuracy_Evaluator, WiresPopularityMetricsAndNeedsFeaturesForIld) {
  const FeedbackMatrix train = small_train();
  const FeedbackMatrix test = build_feedback(4, 5, std::vector<FeedbackEntry>{{0, 3, 1}, {1, 4, 1}, {2, 1, 1}});
  auto model = make_recommender("pop");
  model->fit(train);
  EvalOptions options;
  options.metrics = {"coverage@2", "gini@2", "unexpectedness@2", "arp@2", "ild@2"};
  EXPECT_THROW(
      {
        try {
          evaluate(*model, train, test, options);
        } catch (const UsageError& e) {
          EXPECT_NE(std::string(e.what()).find("feature"), std::string::npos);
          throw;
        }
      },
      UsageError);
  // Only items 1 and 2 have features: u0's list {2, 3} and u1's {1, 3} have one
  // featured item (undefined, counted); u2's {1, 2} has the orthogonal pair: 1.
  ItemFeatures features{2, {kNaN, kNaN, 0, 1, 1, 0, kNaN, kNaN, kNaN, kNaN}};
  options.item_features = &features;
  const EvalResult result = evaluate(*model, train, test, options);
  ASSERT_EQ(result.evaluated_users, 3);
  EXPECT_DOUBLE_EQ(result.find("coverage@2")->mean, 3.0 / 5.0);
  EXPECT_NEAR(result.find("gini@2")->mean, 0.4, 1e-12);
  EXPECT_DOUBLE_EQ(result.find("unexpectedness@2")->mean, 0.0);
  EXPECT_EQ(result.find("arp@2")->values, (std::vector<double>{0.5, 0.5, 1.0}));
  const MetricResult* ild = result.find("ild@2");
  EXPECT_EQ(ild->undefined_users, 2);
  EXPECT_TRUE(std::isnan(ild->values[0]));
  EXPECT_DOUBLE_EQ(ild->mean, 1.0);
}

}  // namespace
}  // namespace segue

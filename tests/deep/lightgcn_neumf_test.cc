#include <cmath>
#include <string>

#include "deep/lightgcn.h"
#include "deep/neumf.h"
#include "deep_test_util.h"

namespace segue {
namespace {

using deep_test::fit_toy;
using deep_test::toy_feedback;

constexpr const char* kGcnSmall = "lightgcn:epochs=3,validation=0,embedding=8,batch_size=32";
constexpr const char* kGcnMemorise =
    "lightgcn:epochs=300,validation=0,layers=1,embedding=32,batch_size=32,learning_rate=0.02,reg_weight=0";
constexpr const char* kMfSmall = "neumf:epochs=3,validation=0,embedding=8,mlp=16-8,batch_size=64";
constexpr const char* kMfMemorise =
    "neumf:epochs=200,validation=0,embedding=16,mlp=32-16,dropout=0,batch_size=64,learning_rate=0.01";

double stat(const Recommender& model, const std::string& name) {
  for (const auto& [key, value] : model.fit_stats())
    if (key == name) return value;
  return -1;
}

void expect_shapes(const std::string& spec) {
  const auto train = toy_feedback();
  const auto model = fit_toy(spec, train);
  const auto scores = deep_test::all_scores(*model);
  EXPECT_EQ(scores.size(), 20u * 40u);
  for (float s : scores) EXPECT_TRUE(std::isfinite(s));
  EXPECT_EQ(stat(*model, "epochs"), 3);
}

void expect_deterministic(const std::string& spec) {
  const auto train = toy_feedback();
  const auto a = deep_test::all_scores(*fit_toy(spec + ",seed=3", train));
  const auto b = deep_test::all_scores(*fit_toy(spec + ",seed=3", train));
  const auto c = deep_test::all_scores(*fit_toy(spec + ",seed=4", train));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// A new listener with user 3's history gets the rest of user 3's taste group
// (items 0-19) first, and the same list twice.
void expect_fold_in_sane(const Recommender& model, const FeedbackMatrix& train, int min_in_group) {
  const auto history = train.items_of(3);
  const auto list = model.recommend_from_history(history, {}, 8);
  ASSERT_EQ(list.size(), 8u);
  int in_group = 0;
  for (const auto& s : list) {
    EXPECT_FALSE(std::binary_search(history.begin(), history.end(), s.item));
    in_group += s.item < 20 ? 1 : 0;
  }
  EXPECT_GE(in_group, min_in_group);  // chance: 8 * 14 / 34 = 3.3
  const auto again = model.recommend_from_history(history, {}, 8);
  for (std::size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i].item, again[i].item);
}

TEST(DeepLightGcn, ScoresHaveOneRowPerUserAndTheCatalogueWidth) { expect_shapes(kGcnSmall); }

TEST(DeepLightGcn, MemorisesTheToySet) {
  const auto train = toy_feedback();
  EXPECT_GE(deep_test::memorised_share(*fit_toy(kGcnMemorise, train), train), 0.9);
}

TEST(DeepLightGcn, SaveLoadRoundTrip) {
  const auto train = toy_feedback();
  deep_test::expect_save_load_round_trip(*fit_toy(kGcnSmall, train));
}

TEST(DeepLightGcn, SameSeedSameScoresOtherSeedOtherScores) { expect_deterministic(kGcnSmall); }

TEST(DeepLightGcn, FoldInRecommendsTheHistorysTasteGroup) {
  const auto train = toy_feedback();
  expect_fold_in_sane(
      *fit_toy("lightgcn:epochs=100,validation=0,embedding=8,batch_size=32,learning_rate=0.01", train), train, 7);
}

TEST(DeepLightGcn, EarlyStoppingReportsTheBestEpoch) {
  const auto train = toy_feedback();
  const auto model = fit_toy("lightgcn:epochs=200,validation=0.34,patience=2,embedding=8,batch_size=16,"
                             "learning_rate=0.05",
                             train);
  EXPECT_LT(stat(*model, "epochs"), 200);
  EXPECT_EQ(stat(*model, "epochs"), stat(*model, "best_epoch") + 2);
}

TEST(DeepLightGcn, BadParametersAreUsageErrors) {
  EXPECT_THROW(make_recommender("lightgcn:layers=0"), UsageError);
  EXPECT_THROW(make_recommender("lightgcn:reg_weight=-1"), UsageError);
  EXPECT_THROW(make_recommender("lightgcn:device=tpu"), UsageError);
}

TEST(DeepNeuMf, ScoresHaveOneRowPerUserAndTheCatalogueWidth) { expect_shapes(kMfSmall); }

TEST(DeepNeuMf, OneUsersScoresEqualItsRowOfTheBatch) {
  // score_users works in blocks of users: a row must not depend on its block.
  const auto train = toy_feedback();
  const auto model = fit_toy(kMfSmall, train);
  const auto all = deep_test::all_scores(*model);
  std::vector<float> row(40);
  const std::int32_t user = 13;
  model->score_users(std::span<const std::int32_t>(&user, 1), row.data());
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(row[i], all[user * 40 + i], 1e-5f);
}

TEST(DeepNeuMf, MemorisesTheToySet) {
  const auto train = toy_feedback();
  EXPECT_GE(deep_test::memorised_share(*fit_toy(kMfMemorise, train), train), 0.9);
}

TEST(DeepNeuMf, SaveLoadRoundTrip) {
  const auto train = toy_feedback();
  deep_test::expect_save_load_round_trip(*fit_toy(kMfSmall, train));
}

TEST(DeepNeuMf, SameSeedSameScoresOtherSeedOtherScores) { expect_deterministic(kMfSmall); }

TEST(DeepNeuMf, FoldInRecommendsTheHistorysTasteGroup) {
  const auto train = toy_feedback();
  const auto model = fit_toy(kMfMemorise, train);
  expect_fold_in_sane(*model, train, 6);
  // fold_in_steps=0 is the mean user: no history effect, the same list for any history.
  const auto mean_user = fit_toy(std::string(kMfSmall) + ",fold_in_steps=0", train);
  std::vector<float> a(40), b(40);
  mean_user->score_history(train.items_of(3), {}, a.data());
  mean_user->score_history(train.items_of(15), {}, b.data());
  EXPECT_EQ(a, b);
}

TEST(DeepNeuMf, BadParametersAreUsageErrors) {
  EXPECT_THROW(make_recommender("neumf:mlp=64-x"), UsageError);
  EXPECT_THROW(make_recommender("neumf:mlp=64--32"), UsageError);
  EXPECT_THROW(make_recommender("neumf:mlp=64-"), UsageError);
  EXPECT_THROW(make_recommender("neumf:mlp=0"), UsageError);
  EXPECT_THROW(make_recommender("neumf:negatives=0"), UsageError);
  EXPECT_THROW(make_recommender("neumf:dropout=1"), UsageError);
}

}  // namespace
}  // namespace segue

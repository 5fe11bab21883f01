#include <cmath>
#include <filesystem>

#include "deep/multvae.h"
#include "deep_test_util.h"

namespace segue {
namespace {

using deep_test::fit_toy;
using deep_test::toy_feedback;

constexpr const char* kVae =
    "multvae:epochs=300,validation=0,dropout=0,anneal_cap=0,hidden=32,embedding=16,batch_size=8,learning_rate=0.01";
constexpr const char* kDae = "multdae:epochs=300,validation=0,dropout=0,hidden=32,embedding=16,batch_size=8,"
                             "learning_rate=0.01";

TEST(DeepMultVae, ScoresHaveOneRowPerUserAndTheCatalogueWidth) {
  const auto train = toy_feedback();
  const auto model = fit_toy("multvae:epochs=2,validation=0,hidden=8,embedding=4", train);
  const auto scores = deep_test::all_scores(*model);
  EXPECT_EQ(scores.size(), 20u * 40u);
  for (float s : scores) EXPECT_TRUE(std::isfinite(s));
  EXPECT_EQ(model->fit_stats().front().first, "epochs");
  EXPECT_EQ(model->fit_stats().front().second, 2);
}

TEST(DeepMultVae, MemorisesTheToySet) {
  const auto train = toy_feedback();
  EXPECT_GE(deep_test::memorised_share(*fit_toy(kVae, train), train), 0.95);
  EXPECT_GE(deep_test::memorised_share(*fit_toy(kDae, train), train), 0.95);
}

TEST(DeepMultVae, SaveLoadRoundTrip) {
  const auto train = toy_feedback();
  deep_test::expect_save_load_round_trip(*fit_toy("multvae:epochs=5,validation=0,hidden=16,embedding=8", train));
}

TEST(DeepMultVae, SameSeedSameScoresOtherSeedOtherScores) {
  const auto train = toy_feedback();
  const auto a = deep_test::all_scores(*fit_toy("multvae:epochs=5,validation=0,hidden=16,embedding=8,seed=3", train));
  const auto b = deep_test::all_scores(*fit_toy("multvae:epochs=5,validation=0,hidden=16,embedding=8,seed=3", train));
  const auto c = deep_test::all_scores(*fit_toy("multvae:epochs=5,validation=0,hidden=16,embedding=8,seed=4", train));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(DeepMultVae, EarlyStoppingEndsBeforeTheLastEpochAndReportsIt) {
  const auto train = toy_feedback();
  const auto model = fit_toy("multvae:epochs=400,validation=0.34,patience=2,hidden=16,embedding=8,batch_size=8,"
                             "learning_rate=0.05",
                             train);
  double epochs = 0, best = 0;
  for (const auto& [name, value] : model->fit_stats()) {
    if (name == "epochs") epochs = value;
    if (name == "best_epoch") best = value;
  }
  EXPECT_LT(epochs, 400);
  EXPECT_EQ(epochs, best + 2);
}

TEST(DeepMultVae, FoldInOfAUsersHistoryMatchesItsRow) {
  const auto train = toy_feedback();
  const auto model = fit_toy("multvae:epochs=5,validation=0,hidden=16,embedding=8", train);
  std::vector<float> row(40), folded(40);
  const std::int32_t user = 3;
  model->score_users(std::span<const std::int32_t>(&user, 1), row.data());
  model->score_history(train.items_of(user), {}, folded.data());
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(row[i], folded[i], 1e-5f);
}

TEST(DeepMultVae, NonFiniteLossStopsNamingEpochAndBatch) {
  // Weights near FLT_MAX overflow the weighted likelihood to infinity in the first batch.
  FeedbackMatrix train = toy_feedback();
  for (float& v : train.values) v = 3e38f;
  try {
    fit_toy("multdae:epochs=3,validation=0,input=weight,hidden=8,embedding=4,batch_size=4", train);
    FAIL() << "expected a TrainingError";
  } catch (const TrainingError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("infinite in epoch 1, batch 1"), std::string::npos) << message;
    EXPECT_NE(message.find("nothing kept"), std::string::npos) << message;
  }
}

TEST(DeepMultVae, ResumeContinuesFromTheCheckpointsEpoch) {
  const auto train = toy_feedback();
  segue::testing::TempDir dir;
  const std::string checkpoint = (dir.path() / "ckpt.segue").string();
  const std::string base = "multdae:validation=0,hidden=16,embedding=8,checkpoint=" + checkpoint;
  fit_toy(base + ",epochs=3", train);
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  const auto resumed = fit_toy(base + ",epochs=5,resume=true", train);
  EXPECT_EQ(resumed->fit_stats().front().second, 5);
}

TEST(DeepMultVae, BadParametersAreUsageErrors) {
  EXPECT_THROW(make_recommender("multvae:input=counts"), UsageError);
  EXPECT_THROW(make_recommender("multvae:device=tpu"), UsageError);
  EXPECT_THROW(make_recommender("multvae:resume=true"), UsageError);
}

}  // namespace
}  // namespace segue

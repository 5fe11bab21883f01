#include <cmath>
#include <filesystem>

#include "deep/multvae.h"
#include "eval/tuner.h"
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
  for (float& v : train.values.own()) v = 3e38f;
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

// The KL annealing default scales with the data: beta reaches anneal_cap after
// anneal_epochs epochs whatever the number of updates an epoch has.
TEST(DeepMultVae, KlWeightReachesItsCapAfterAnnealEpochsWhateverTheDataSize) {
  const double cap = 2.0;
  const std::int64_t epochs = 50;
  for (std::int64_t per_epoch : {1, 4, 9, 233, 10000}) {
    SCOPED_TRACE(per_epoch);
    EXPECT_EQ(multvae_kl_weight(cap, epochs, 0, per_epoch, 0), 0.0);
    EXPECT_DOUBLE_EQ(multvae_kl_weight(cap, epochs, 0, per_epoch, epochs * per_epoch / 2), cap * (epochs * per_epoch / 2) /
                                                                                            double(epochs * per_epoch));
    EXPECT_LT(multvae_kl_weight(cap, epochs, 0, per_epoch, epochs * per_epoch - 1), cap);
    EXPECT_DOUBLE_EQ(multvae_kl_weight(cap, epochs, 0, per_epoch, epochs * per_epoch), cap);
    EXPECT_DOUBLE_EQ(multvae_kl_weight(cap, epochs, 0, per_epoch, 5 * epochs * per_epoch), cap);
    // Half way in epochs is half the cap, for every data size.
    EXPECT_DOUBLE_EQ(multvae_kl_weight(cap, epochs, 0, per_epoch, (epochs / 2) * per_epoch), cap / 2);
  }
  // anneal_epochs = 0: the cap from the first update.
  EXPECT_DOUBLE_EQ(multvae_kl_weight(cap, 0, 0, 4, 0), cap);
  // anneal_steps > 0 (the paper's form, old specs) counts updates, whatever the epoch size.
  for (std::int64_t per_epoch : {1, 4, 233}) {
    EXPECT_DOUBLE_EQ(multvae_kl_weight(0.2, epochs, 400, per_epoch, 200), 0.1);
    EXPECT_DOUBLE_EQ(multvae_kl_weight(0.2, epochs, 400, per_epoch, 400), 0.2);
  }
  EXPECT_NEAR(multvae_kl_weight(0.2, epochs, 200000, 4, 400), 0.0004, 1e-12);
}

TEST(DeepMultVae, DefaultAnnealingIsCountedInEpochsNotThePapersSteps) {
  const auto model = make_recommender("multvae");
  EXPECT_EQ(model->params().get_int("anneal_steps"), 0);
  EXPECT_EQ(model->params().get_int("anneal_epochs"), kMultVaeDefaultAnnealEpochs);
  EXPECT_GT(kMultVaeDefaultAnnealEpochs, 0);
  EXPECT_LT(kMultVaeDefaultAnnealEpochs, model->params().get_int("epochs"));  // the cap is reached within a fit
  EXPECT_DOUBLE_EQ(model->params().get_float("anneal_cap"), kMultVaeDefaultAnnealCap);
  // Old specs keep their meaning: anneal_steps is still accepted.
  EXPECT_EQ(make_recommender("multvae:anneal_steps=400,anneal_cap=2")->params().get_int("anneal_steps"), 400);
  EXPECT_THROW(make_recommender("multvae:anneal_epochs=-1"), UsageError);
  // segue tune's default space searches the new keys.
  EXPECT_NO_THROW(parse_search_space(multvae_info().search_space, parse_spec("multvae")));
}

TEST(DeepMultVae, FitReportsAnnealUpdatesScaledByTheBatchesPerEpoch) {
  const auto train = toy_feedback();  // 20 users
  auto anneal_updates = [&](const std::string& spec) {
    const auto model = fit_toy(spec, train);
    for (const auto& [name, value] : model->fit_stats())
      if (name == "anneal_updates") return value;
    return -1.0;
  };
  const std::string base = "multvae:epochs=2,validation=0,hidden=8,embedding=4,anneal_epochs=5";
  EXPECT_EQ(anneal_updates(base + ",batch_size=8"), 5 * 3);   // ceil(20 / 8) updates an epoch
  EXPECT_EQ(anneal_updates(base + ",batch_size=20"), 5 * 1);
  EXPECT_EQ(anneal_updates(base + ",batch_size=3"), 5 * 7);
  EXPECT_EQ(anneal_updates(base + ",batch_size=8,anneal_steps=123"), 123);
}

TEST(DeepMultVae, BadParametersAreUsageErrors) {
  EXPECT_THROW(make_recommender("multvae:input=counts"), UsageError);
  EXPECT_THROW(make_recommender("multvae:device=tpu"), UsageError);
  EXPECT_THROW(make_recommender("multvae:resume=true"), UsageError);
}

}  // namespace
}  // namespace segue

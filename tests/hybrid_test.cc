// Tests of the hybrid (LightFM-style) model: cold items ranked through their
// shared feature, users placed through their user features, determinism under
// a seed with one thread, model files, fold-in, the missing-features and
// divergence errors, bad parameters.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "data/error.h"
#include "features/feature_matrix.h"
#include "models/hybrid/hybrid.h"
#include "models/registry.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::TempDir;

std::unique_ptr<Hybrid> make(const std::string& spec) {
  register_model(hybrid_info());
  std::unique_ptr<Recommender> model = make_recommender(spec);
  return std::unique_ptr<Hybrid>(dynamic_cast<Hybrid*>(model.release()));
}

// Catalogue of 12 items: 0–3 and the cold item 8 carry tag=a, 4–7 and the cold
// item 9 tag=b, 10 and 11 tag=c. Users 0–9 play items 0–3, users 10–19 items
// 4–7. Items 8–11 have no interactions at all (cold): only their tag can place
// them, and nobody plays tag=c.
constexpr std::int32_t kUsers = 20, kItems = 12, kColdA = 8, kColdB = 9;

FeedbackMatrix blocks() {
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < kUsers; ++u) {
    const std::int32_t first = u < kUsers / 2 ? 0 : 4;
    for (std::int32_t i = first; i < first + 4; ++i) entries.push_back({u, i, static_cast<float>(1 + (u + i) % 3)});
  }
  return build_feedback(kUsers, kItems, entries);
}

FeatureMatrix tags() {
  FeatureMatrix m;
  m.n_rows = kItems;
  m.n_features = 3;
  m.names = {"tag=a", "tag=b", "tag=c"};
  m.group_of = {0, 0, 0};
  m.groups = {"tag"};
  const std::vector<std::int32_t> tag_of = {0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 2, 2};
  for (std::int32_t i = 0; i < kItems; ++i) {
    m.indices.push_back(tag_of[i]);
    m.values.push_back(1.0f);
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.described.assign(kItems, 1);
  m.validate();
  return m;
}

std::vector<float> all_scores(const Recommender& model) {
  std::vector<std::int32_t> users(static_cast<std::size_t>(model.n_users()));
  for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<std::int32_t>(u);
  std::vector<float> out(users.size() * static_cast<std::size_t>(model.n_items()));
  model.score_users(users, out.data());
  return out;
}

std::unique_ptr<Hybrid> fitted(const std::string& spec, ThreadPool& pool, const FeatureMatrix& features) {
  std::unique_ptr<Hybrid> model = make(spec);
  FitContext context;
  context.pool = &pool;
  context.item_features = &features;
  model->fit(blocks(), context);
  return model;
}

class HybridLoss : public ::testing::TestWithParam<const char*> {};

TEST_P(HybridLoss, RanksTheColdItemOfTheUsersGroupFirst) {
  const FeatureMatrix features = tags();
  ThreadPool pool(2);
  const auto model =
      fitted(std::string("hybrid:factors=8,epochs=40,seed=3,negatives=warm,loss=") + GetParam(), pool, features);
  EXPECT_EQ(model->factors(), 9);  // + the item bias column
  const std::vector<float> scores = all_scores(*model);
  for (std::int32_t u = 0; u < kUsers; ++u) {
    const std::vector<ScoredItem> top = model->recommend(u, 3);
    ASSERT_FALSE(top.empty());
    const std::int32_t own = u < kUsers / 2 ? kColdA : kColdB, other = u < kUsers / 2 ? kColdB : kColdA;
    EXPECT_EQ(top[0].item, own) << "user " << u;
    // Among the cold items alone (the cold-start protocol's candidates) too.
    const float* row = scores.data() + static_cast<std::size_t>(u) * kItems;
    EXPECT_GT(row[own], row[other]) << "user " << u;
  }
  // The cold items score from their tag: each is nearest to its own group.
  EXPECT_LT(model->similar_items(kColdA, 1)[0].item, 4);
  EXPECT_GE(model->similar_items(kColdB, 1)[0].item, 4);
  // A new listener of group a's items gets the cold item of group a first.
  const std::vector<std::int32_t> history = {0, 1, 2, 3};
  EXPECT_EQ(model->recommend_from_history(history, {}, 1)[0].item, kColdA);
}

INSTANTIATE_TEST_SUITE_P(Losses, HybridLoss, ::testing::Values("warp", "bpr"));

// negatives=all (the default, LightFM's): the cold items are negatives too, yet
// among the cold items each user's own group's comes first.
TEST(Hybrid, AllNegativesStillOrderTheColdItemsByGroup) {
  const FeatureMatrix features = tags();
  ThreadPool one(1);
  for (const char* loss : {"warp", "bpr"}) {
    const auto model = fitted(std::string("hybrid:factors=8,epochs=40,seed=3,loss=") + loss, one, features);
    const std::vector<float> scores = all_scores(*model);
    for (std::int32_t u = 0; u < kUsers; ++u) {
      const std::int32_t own = u < kUsers / 2 ? kColdA : kColdB, other = u < kUsers / 2 ? kColdB : kColdA;
      const float* row = scores.data() + static_cast<std::size_t>(u) * kItems;
      EXPECT_GT(row[own], row[other]) << loss << ", user " << u;
      EXPECT_GT(row[own], row[10]) << loss << ", user " << u;
    }
  }
}

TEST(Hybrid, WithoutIdentityFeaturesWarmItemsOfOneTagScoreAlike) {
  const FeatureMatrix features = tags();
  ThreadPool one(1);
  const auto model = fitted("hybrid:factors=8,epochs=5,item_identity=false", one, features);
  // Every item's vector is its tag's embedding: items 0 and 8 are the same vector.
  const std::vector<float> scores = all_scores(*model);
  for (std::int32_t u = 0; u < kUsers; ++u)
    EXPECT_EQ(scores[static_cast<std::size_t>(u) * kItems + 0], scores[static_cast<std::size_t>(u) * kItems + kColdA]);
  EXPECT_EQ(model->feature_biases().size(), 3u);
}

TEST(Hybrid, DeterministicWithOneThreadUnderASeed) {
  const FeatureMatrix features = tags();
  ThreadPool one(1);
  for (const char* loss : {"warp", "bpr", "warp,negatives=all"}) {
    const std::string spec = std::string("hybrid:factors=16,epochs=5,loss=") + loss;
    const auto a = fitted(spec + ",seed=7", one, features);
    const auto b = fitted(spec + ",seed=7", one, features);
    const auto c = fitted(spec + ",seed=8", one, features);
    EXPECT_EQ(all_scores(*a), all_scores(*b)) << loss;
    EXPECT_NE(all_scores(*a), all_scores(*c)) << loss;
  }
}

TEST(Hybrid, ModelFileRoundTripGivesIdenticalScores) {
  const FeatureMatrix features = tags();
  ThreadPool one(1);
  const auto model = fitted("hybrid:factors=8,epochs=10,learning_schedule=sgd", one, features);
  TempDir dir;
  const std::string path = dir.file("hybrid.model");
  model->save(path);
  const std::unique_ptr<Recommender> loaded = Recommender::load(path);
  EXPECT_EQ(loaded->params(), model->params());
  EXPECT_EQ(all_scores(*loaded), all_scores(*model));
  const std::vector<std::int32_t> items = {4, 5};
  EXPECT_EQ(loaded->recommend_from_history(items, {}, 5), model->recommend_from_history(items, {}, 5));
  const auto* hybrid = dynamic_cast<const Hybrid*>(loaded.get());
  ASSERT_NE(hybrid, nullptr);
  EXPECT_EQ(hybrid->feature_embeddings(), model->feature_embeddings());
  EXPECT_EQ(hybrid->feature_biases(), model->feature_biases());
  EXPECT_EQ(hybrid->item_rows_indices(), model->item_rows_indices());
  EXPECT_EQ(hybrid->item_features().names, features.names);
}

TEST(Hybrid, MissingItemFeaturesIsAUsageError) {
  const auto model = make("hybrid:epochs=1");
  try {
    model->fit(blocks());
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("hybrid needs item features (--items ITEMS.csv)"), std::string::npos);
  }
  FeatureMatrix wrong = tags();
  wrong.n_rows = kItems - 1;
  FitContext context;
  context.item_features = &wrong;
  EXPECT_THROW(model->fit(blocks(), context), UsageError);
}

TEST(Hybrid, DivergenceNamesTheEpoch) {
  const FeatureMatrix features = tags();
  ThreadPool one(1);
  try {
    fitted("hybrid:factors=8,epochs=20,learning_schedule=sgd,learning_rate=1000,item_alpha=1000,user_alpha=1000", one,
           features);
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("diverged"), std::string::npos) << what;
    EXPECT_NE(what.find("at epoch "), std::string::npos) << what;
  }
}

TEST(Hybrid, BadParametersAreUsageErrors) {
  EXPECT_THROW(make("hybrid:loss=logistic"), UsageError);
  EXPECT_THROW(make("hybrid:learning_schedule=adadelta"), UsageError);
  EXPECT_THROW(make("hybrid:max_sampled=0"), UsageError);
  EXPECT_THROW(make("hybrid:negatives=cold"), UsageError);
  EXPECT_THROW(make("hybrid:learning_rate=0"), UsageError);
}

// User features: users 0–9 carry group=a, 10–19 group=b, and the new users
// 20–23 (no training positives at all) carry group=a (20, 21) or group=b
// (22, 23): only their feature can place them.
constexpr std::int32_t kNewUsers = 4;

FeedbackMatrix blocks_with_new_users() {
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < kUsers; ++u) {
    const std::int32_t first = u < kUsers / 2 ? 0 : 4;
    for (std::int32_t i = first; i < first + 4; ++i) entries.push_back({u, i, 1.0f});
  }
  return build_feedback(kUsers + kNewUsers, kItems, entries);
}

FeatureMatrix user_groups() {
  FeatureMatrix m;
  m.n_rows = kUsers + kNewUsers;
  m.n_features = 2;
  m.names = {"group=a", "group=b"};
  m.group_of = {0, 0};
  m.groups = {"group"};
  for (std::int32_t u = 0; u < m.n_rows; ++u) {
    const bool a = u < kUsers ? u < kUsers / 2 : u < kUsers + 2;
    m.indices.push_back(a ? 0 : 1);
    m.values.push_back(1.0f);
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.described.assign(static_cast<std::size_t>(m.n_rows), 1);
  m.validate();
  return m;
}

std::unique_ptr<Hybrid> fitted_with_users(const std::string& spec, ThreadPool& pool, const FeatureMatrix& items,
                                          const FeatureMatrix* users) {
  std::unique_ptr<Hybrid> model = make(spec);
  FitContext context;
  context.pool = &pool;
  context.item_features = &items;
  context.user_features = users;
  model->fit(blocks_with_new_users(), context);
  return model;
}

// The new users have no positives: with or without an identity feature, their
// group feature alone must put their group's items (0–3 or 4–7) first.
TEST(Hybrid, UserFeatureCarriesTheSignalForUsersWithoutPositives) {
  const FeatureMatrix items = tags();
  const FeatureMatrix users = user_groups();
  ThreadPool one(1);
  for (const char* identity : {"true", "false"}) {
    const auto model = fitted_with_users(
        std::string("hybrid:factors=8,epochs=40,seed=3,negatives=warm,user_identity=") + identity, one, items, &users);
    const std::vector<float> scores = all_scores(*model);
    for (std::int32_t u = kUsers; u < kUsers + kNewUsers; ++u) {
      const bool a = u < kUsers + 2;
      const float* row = scores.data() + static_cast<std::size_t>(u) * kItems;
      float worst_own = 1e30f, best_other = -1e30f;
      for (std::int32_t i = 0; i < 8; ++i) {
        const bool own = a ? i < 4 : i >= 4;
        if (own) worst_own = std::min(worst_own, row[i]);
        else best_other = std::max(best_other, row[i]);
      }
      EXPECT_GT(worst_own, best_other) << "user_identity=" << identity << ", user " << u;
    }
    // A user's vector is the sum of its features' rows: users of one group and
    // no identity share one vector.
    if (std::string(identity) == "false") {
      EXPECT_EQ(std::vector<float>(scores.begin() + kItems * 20, scores.begin() + kItems * 21),
                std::vector<float>(scores.begin(), scores.begin() + kItems));
      EXPECT_EQ(model->user_feature_embeddings().size(), 2u * 8u);  // no identity rows
    } else {
      EXPECT_EQ(model->user_feature_embeddings().size(), (2u + kUsers + kNewUsers) * 8u);
    }
  }
}

TEST(Hybrid, UserFeaturesChangeTheFitAndWeightZeroRemovesThem) {
  const FeatureMatrix items = tags();
  const FeatureMatrix users = user_groups();
  ThreadPool one(1);
  const std::string spec = "hybrid:factors=8,epochs=10,seed=5";
  const auto without = fitted_with_users(spec, one, items, nullptr);
  const auto with = fitted_with_users(spec, one, items, &users);
  const auto zero = fitted_with_users(spec + ",user_feature_weight=0", one, items, &users);
  EXPECT_NE(all_scores(*with), all_scores(*without));
  EXPECT_EQ(all_scores(*zero), all_scores(*without));
  EXPECT_TRUE(without->user_rows_indptr().empty());
  ASSERT_EQ(with->user_rows_indptr().size(), static_cast<std::size_t>(kUsers + kNewUsers) + 1);
  // normalize: group feature and identity 1/2 each; item_feature_weight scales the item features.
  EXPECT_EQ(with->user_rows_values()[0], 0.5f);
  const auto heavy = fitted_with_users(spec + ",item_feature_weight=3", one, items, nullptr);
  EXPECT_FLOAT_EQ(heavy->item_rows_values()[0], 0.75f);  // tag 3 / (3 + identity 1)
  // Deterministic with one thread under the seed.
  EXPECT_EQ(all_scores(*fitted_with_users(spec, one, items, &users)), all_scores(*with));
}

TEST(Hybrid, ModelFileRoundTripKeepsTheUserFeatureRows) {
  const FeatureMatrix items = tags();
  const FeatureMatrix users = user_groups();
  ThreadPool one(1);
  const auto model = fitted_with_users("hybrid:factors=8,epochs=10,user_feature_weight=2", one, items, &users);
  TempDir dir;
  const std::string path = dir.file("hybrid-users.model");
  model->save(path);
  const std::unique_ptr<Recommender> loaded = Recommender::load(path);
  EXPECT_EQ(all_scores(*loaded), all_scores(*model));
  const auto* hybrid = dynamic_cast<const Hybrid*>(loaded.get());
  ASSERT_NE(hybrid, nullptr);
  EXPECT_EQ(hybrid->user_feature_embeddings(), model->user_feature_embeddings());
  EXPECT_EQ(hybrid->user_rows_indptr(), model->user_rows_indptr());
  EXPECT_EQ(hybrid->user_rows_indices(), model->user_rows_indices());
  EXPECT_EQ(hybrid->user_rows_values(), model->user_rows_values());
  EXPECT_EQ(hybrid->user_features().names, users.names);
  // Fold-in for a new user is unchanged by user features.
  const std::vector<std::int32_t> history = {4, 5};
  EXPECT_EQ(loaded->recommend_from_history(history, {}, 5), model->recommend_from_history(history, {}, 5));
}

TEST(Hybrid, BadUserFeaturesAreUsageErrors) {
  const FeatureMatrix items = tags();
  FeatureMatrix users = user_groups();
  ThreadPool one(1);
  EXPECT_THROW(fitted_with_users("hybrid:epochs=1,user_identity=false", one, items, nullptr), UsageError);
  FeatureMatrix wrong = users;
  wrong.n_rows = 3;
  EXPECT_THROW(fitted_with_users("hybrid:epochs=1", one, items, &wrong), UsageError);
  EXPECT_THROW(make("hybrid:user_feature_weight=-1"), UsageError);
}

TEST(Hybrid, ReportsEpochs) {
  const FeatureMatrix features = tags();
  const auto model = make("hybrid:factors=4,epochs=3");
  FitContext context;
  context.item_features = &features;
  std::vector<std::int64_t> done;
  context.progress = [&](const FitProgress& p) {
    if (p.stage == "epoch") done.push_back(p.done);
  };
  model->fit(blocks(), context);
  EXPECT_EQ(done, (std::vector<std::int64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace segue

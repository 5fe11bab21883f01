#include "models/content/feature_knn.h"

#include <gtest/gtest.h>

#include "data/error.h"
#include "features/feature_matrix.h"
#include "models/registry.h"
#include "test_util.h"

namespace segue {
namespace {

// Items 0,1 by artist A; 2,3 by artist B; 4 by artist C; item 5 (B) and item 6
// (C) have no plays. Users 0-2 play A and B together; user 3 plays C only;
// user 4 plays only A's item 0.
FeatureMatrix artists() {
  FeatureMatrix m;
  m.n_rows = 7;
  m.n_features = 4;  // artist=A, artist=B, artist=C, tag=x
  m.names = {"artist=A", "artist=B", "artist=C", "tag=x"};
  m.groups = {"artist", "tag"};
  m.group_of = {0, 0, 0, 1};
  const std::vector<std::vector<std::int32_t>> rows = {{0, 3}, {0}, {1}, {1}, {2}, {1}, {2}};
  m.indptr = {0};
  for (const auto& row : rows) {
    for (const std::int32_t f : row) {
      m.indices.push_back(f);
      m.values.push_back(1.0f);
    }
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.described.assign(7, 1);
  m.validate();
  return m;
}

FeedbackMatrix plays() {
  const std::vector<FeedbackEntry> entries = {{0, 0, 1}, {0, 2, 1}, {1, 1, 1}, {1, 3, 1}, {2, 0, 1},
                                              {2, 3, 1}, {3, 4, 1}, {4, 0, 1}};
  return build_feedback(5, 7, entries);
}

std::vector<float> scores_of(const Recommender& model, std::int32_t user) {
  std::vector<float> out(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), out.data());
  return out;
}

TEST(FeatureKnn, ColdItemOfALinkedArtistOutranksAnUnlinkedOne) {
  const FeatureMatrix features = artists();
  FitContext context;
  context.item_features = &features;
  auto model = make_recommender("featureknn:k=10,shrink=0,self_weight=1");
  model->fit(plays(), context);
  // User 4 played only A. A and B share users 0-2 (cosine over users: A = {0,1,2,4} with counts
  // (1,1,1,1), B = {0,1,2}: dot 3, |A| = 2, |B| = sqrt 3 -> 3 / (2 sqrt 3) = 0.866); C shares none.
  const auto s = scores_of(*model, 4);
  EXPECT_NEAR(s[5], 0.8660254f, 1e-5);  // cold B track: via similarity only
  EXPECT_EQ(s[6], 0.0f);                // cold C track: no link
  EXPECT_NEAR(s[1], 1.0f, 1e-6);        // another A track: self weight
  // k = 0 is the same-artist count.
  auto plain = make_recommender("featureknn:k=0,self_weight=1");
  plain->fit(plays(), context);
  const auto p = scores_of(*plain, 4);
  EXPECT_EQ(p[5], 0.0f);
  EXPECT_EQ(p[1], 1.0f);
  // Explanation: the history item of artist A, all of the score.
  const Explanation why = model->explain(4, 5);
  ASSERT_EQ(why.contributions.size(), 1u);
  EXPECT_EQ(why.contributions[0].item, 0);
  EXPECT_NEAR(why.contributions[0].share, 1.0f, 1e-6);
}

TEST(FeatureKnn, SaveLoadGivesTheSameScores) {
  const FeatureMatrix features = artists();
  FitContext context;
  context.item_features = &features;
  auto model = make_recommender("featureknn:k=10");
  model->fit(plays(), context);
  testing::TempDir dir;
  model->save(dir.file("m"));
  const auto loaded = Recommender::load(dir.file("m"));
  for (std::int32_t u = 0; u < 5; ++u) EXPECT_EQ(scores_of(*loaded, u), scores_of(*model, u)) << u;
}

double fit_stat(const Recommender& model, const std::string& name) {
  for (const auto& [key, value] : model.fit_stats())
    if (key == name) return value;
  ADD_FAILURE() << "no fit stat " << name;
  return -1;
}

// Each item its own artist (as Last.fm's artists are), tags shared: items 0,1 tagged x; 2,3,5 y; 4,6 z.
FeatureMatrix own_artists_shared_tags() {
  FeatureMatrix m;
  m.n_rows = 7;
  m.n_features = 10;  // artist=0..6, tag=x, tag=y, tag=z
  m.names = {"artist=0", "artist=1", "artist=2", "artist=3", "artist=4", "artist=5", "artist=6",
             "tag=x",    "tag=y",    "tag=z"};
  m.groups = {"artist", "tag"};
  m.group_of = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
  const std::vector<std::int32_t> tag = {7, 7, 8, 8, 9, 8, 9};
  m.indptr = {0};
  for (std::int32_t i = 0; i < 7; ++i) {
    for (const std::int32_t f : {i, tag[static_cast<std::size_t>(i)]}) {
      m.indices.push_back(f);
      m.values.push_back(1.0f);
    }
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.described.assign(7, 1);
  m.validate();
  return m;
}

TEST(FeatureKnn, DefaultGroupIsASharedArtistWithWideNeighbourhoods) {
  const FeatureMatrix features = artists();
  EXPECT_EQ(feature_knn_detail::auto_group(features), "artist");
  FitContext context;
  context.item_features = &features;
  auto model = make_recommender("featureknn");  // group=auto, k=-1
  model->fit(plays(), context);
  EXPECT_EQ(fit_stat(*model, "k"), 2000.0);  // one artist per item
  auto explicit_spec = make_recommender("featureknn:group=artist,k=2000");
  explicit_spec->fit(plays(), context);
  for (std::int32_t u = 0; u < 5; ++u) EXPECT_EQ(scores_of(*model, u), scores_of(*explicit_spec, u)) << u;
}

TEST(FeatureKnn, DefaultGroupFallsBackToTagsWhenNoArtistIsShared) {
  const FeatureMatrix features = own_artists_shared_tags();
  EXPECT_EQ(feature_knn_detail::auto_group(features), "tag");
  FitContext context;
  context.item_features = &features;
  auto model = make_recommender("featureknn");
  model->fit(plays(), context);
  // One tag per item here, so k = -1 resolves to 2000; the cold item 5 (tag y) is reached through user 4's x.
  EXPECT_EQ(fit_stat(*model, "k"), 2000.0);
  auto tags = make_recommender("featureknn:group=tag,k=2000");
  tags->fit(plays(), context);
  EXPECT_EQ(scores_of(*model, 4), scores_of(*tags, 4));
  EXPECT_GT(scores_of(*model, 4)[5], 0.0f);
  // The resolved group survives save and load (the explanation names it).
  testing::TempDir dir;
  model->save(dir.file("m"));
  const auto loaded = Recommender::load(dir.file("m"));
  EXPECT_EQ(scores_of(*loaded, 4), scores_of(*model, 4));
  EXPECT_NE(loaded->explain(4, 5).note.find("linked through tag"), std::string::npos) << loaded->explain(4, 5).note;
}

TEST(FeatureKnn, DefaultNeighboursAreNoneWhenItemsCarrySeveralFeatures) {
  FeatureMatrix features = own_artists_shared_tags();  // add a second tag to every item: 2 tags per item
  FeatureMatrix m = features;
  m.n_features = 11;
  m.names.push_back("tag=w");
  m.group_of.push_back(1);
  m.indices.clear();
  m.values.clear();
  m.indptr = {0};
  for (std::int32_t i = 0; i < 7; ++i) {
    for (const std::int32_t f : features.row_indices(i)) m.indices.push_back(f);
    m.indices.push_back(10);
    m.values.resize(m.indices.size(), 1.0f);
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.validate();
  FitContext context;
  context.item_features = &m;
  auto model = make_recommender("featureknn");
  model->fit(plays(), context);
  EXPECT_EQ(fit_stat(*model, "k"), 0.0);
  auto own = make_recommender("featureknn:group=tag,k=0");
  own->fit(plays(), context);
  for (std::int32_t u = 0; u < 5; ++u) EXPECT_EQ(scores_of(*model, u), scores_of(*own, u)) << u;
}

TEST(FeatureKnn, NeedsFeaturesAndAKnownGroup) {
  auto model = make_recommender("featureknn");
  EXPECT_THROW(model->fit(plays()), UsageError);
  const FeatureMatrix features = artists();
  FitContext context;
  context.item_features = &features;
  auto genre = make_recommender("featureknn:group=genre");
  try {
    genre->fit(plays(), context);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("they have: artist, tag"), std::string::npos) << error.what();
  }
  EXPECT_THROW(make_recommender("featureknn:history_weight=sqrt"), UsageError);
}

}  // namespace
}  // namespace segue

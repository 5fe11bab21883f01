// Tests of the content models (content, blend) and the MMR re-ranker: hand-
// computed profiles and cosines on a 4-item feature matrix, skip subtraction,
// cold items, onboarding, explanations, model files, the blend's end points and
// MMR's end points.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "data/error.h"
#include "eval/report_html.h"
#include "eval/tuner.h"
#include "features/feature_matrix.h"
#include "models/content/blend.h"
#include "models/content/content.h"
#include "models/feedback.h"
#include "models/knn/item_knn.h"
#include "models/registry.h"
#include "models/rerank/mmr.h"
#include "test_util.h"

namespace segue {
namespace {

using segue::testing::TempDir;

const double kR2 = std::sqrt(2.0);

// Features: 0 artist=Queen, 1 artist=ABBA (group artist), 2 tag=rock,
// 3 tag=dance (group tag). Items:
//   i0 Queen, rock          -> x0 = (1, 0, 1, 0) / √2
//   i1 Queen, dance         -> x1 = (1, 0, 0, 1) / √2
//   i2 ABBA, dance          -> x2 = (0, 1, 0, 1) / √2
//   i3 ABBA, rock + dance   -> tag group (1, 1)/√2, then the row / √2:
//                              x3 = (0, 1/√2, 1/2, 1/2)
FeatureMatrix four_items() {
  FeatureMatrix m;
  m.n_rows = 4;
  m.n_features = 4;
  m.groups = {"artist", "tag"};
  m.names = {"artist=Queen", "artist=ABBA", "tag=rock", "tag=dance"};
  m.group_of = {0, 0, 1, 1};
  m.described = {1, 1, 1, 1};
  m.indptr = {0, 2, 4, 6, 9};
  m.indices = {0, 2, 0, 3, 1, 3, 1, 2, 3};
  m.values = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  m.validate();
  return m;
}

// u0 plays i0; u1 plays i0 and skipped i2; u2 plays i1 (3 times) and i2.
// Nobody played i3: a cold item.
FeedbackMatrix four_feedback() {
  const std::vector<FeedbackEntry> entries{{0, 0, 1}, {1, 0, 1}, {1, 2, -1}, {2, 1, 3}, {2, 2, 1}};
  return build_feedback(3, 4, entries);
}

std::vector<float> scores(const Recommender& model, std::int32_t user) {
  std::vector<float> out(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), out.data());
  return out;
}

template <class Model>
std::unique_ptr<Model> fitted(const std::string& spec, const FeedbackMatrix& train, const FeatureMatrix* features) {
  auto model = std::make_unique<Model>(parse_spec(spec));
  FitContext context;
  context.item_features = features;
  model->fit(train, context);
  return model;
}

const std::string kPlain = "content:history_weight=binary,pop_weight=0,skip_weight=1";

TEST(Content_Model, HandComputedProfileAndCosines) {
  const FeatureMatrix f = four_items();
  const auto model = fitted<ContentModel>(kPlain, four_feedback(), &f);
  // u0: p = x0, |p| = 1.
  const std::vector<float> u0 = scores(*model, 0);
  EXPECT_NEAR(u0[0], 1.0, 1e-6);
  EXPECT_NEAR(u0[1], 0.5, 1e-6);
  EXPECT_NEAR(u0[2], 0.0, 1e-6);
  EXPECT_NEAR(u0[3], 1.0 / (2.0 * kR2), 1e-6);
  // The normalised rows are as computed above.
  const FeatureMatrix& x = model->index().features();
  EXPECT_NEAR(x.row_values(3)[0], 1.0 / kR2, 1e-6);
  EXPECT_NEAR(x.row_values(3)[1], 0.5, 1e-6);
  // u2 with log weights: p = log1p(3) x1 + log1p(1) x2.
  const auto logged = fitted<ContentModel>("content:pop_weight=0", four_feedback(), &f);
  const double a = std::log1p(3.0), b = std::log1p(1.0);
  // p = (a, b, 0, a + b) / √2; |p|² = (a² + b² + (a+b)²) / 2.
  const double norm = std::sqrt((a * a + b * b + (a + b) * (a + b)) / 2.0);
  const std::vector<float> u2 = scores(*logged, 2);
  EXPECT_NEAR(u2[0], (a / 2.0) / norm, 1e-5);
  EXPECT_NEAR(u2[3], (b / 2.0 + (a + b) / (2.0 * kR2)) / norm, 1e-5);
}

TEST(Content_Model, SkipsAreSubtracted) {
  const FeatureMatrix f = four_items();
  const auto model = fitted<ContentModel>(kPlain, four_feedback(), &f);
  // u1: p = x0 − x2 = (1, −1, 1, −1)/√2, |p| = √2.
  const std::vector<float> u1 = scores(*model, 1);
  EXPECT_NEAR(u1[0], 1.0 / kR2, 1e-6);
  EXPECT_NEAR(u1[1], 0.0, 1e-6);
  EXPECT_NEAR(u1[2], -1.0 / kR2, 1e-6);
  EXPECT_NEAR(u1[3], -1.0 / (2.0 * kR2), 1e-6);
  // Without the skip u1 scores like u0.
  const auto no_skip = fitted<ContentModel>("content:history_weight=binary,pop_weight=0,skip_weight=0", four_feedback(), &f);
  EXPECT_NEAR(scores(*no_skip, 1)[3], 1.0 / (2.0 * kR2), 1e-6);
  EXPECT_EQ(model->skips().count(1), 1);
}

TEST(Content_Model, ColdItemScoredByFeaturesAndFeaturelessItemsScoreZero) {
  FeatureMatrix f = four_items();
  const auto model = fitted<ContentModel>(kPlain, four_feedback(), &f);
  const auto top = model->recommend(0, 3);  // u0 has i0; i3 (cold) ranks after i1
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].item, 1);
  EXPECT_EQ(top[1].item, 3);
  EXPECT_GT(top[1].score, 0.3f);
  // An item with no features scores only its popularity prior.
  f.indptr = {0, 2, 4, 6, 6};
  f.indices.resize(6);
  f.values.resize(6);
  f.described[3] = 0;
  const auto bare = fitted<ContentModel>("content:history_weight=binary,pop_weight=0.1", four_feedback(), &f);
  EXPECT_EQ(scores(*bare, 0)[3], 0.0f);  // cold and featureless
  EXPECT_NEAR(scores(*bare, 0)[0] - scores(*model, 0)[0], 0.1, 1e-6);  // the most played item: prior 0.1
}

TEST(Content_Model, OnboardingFromSeedTracksAndArtists) {
  const FeatureMatrix f = four_items();
  const auto model = fitted<ContentModel>(kPlain, four_feedback(), &f);
  // A new listener with the seed track i0 gets u0's list.
  const std::int32_t seed = 0;
  const auto from_track = model->recommend_from_history(std::span<const std::int32_t>(&seed, 1), {}, 3);
  ASSERT_EQ(from_track.size(), 3u);
  EXPECT_EQ(from_track[0].item, 1);
  EXPECT_NEAR(from_track[0].score, 0.5, 1e-6);
  // Seed artist ABBA + tag rock: p = (0, 1, 1, 0)/√2 -> i3 = 1/2 + 1/(2√2) first.
  const auto from_artist = model->recommend_from_features({"artist=ABBA", "tag=rock"}, 4);
  ASSERT_EQ(from_artist.size(), 4u);
  EXPECT_EQ(from_artist[0].item, 3);
  EXPECT_NEAR(from_artist[0].score, 0.5 + 1.0 / (2.0 * kR2), 1e-6);
  EXPECT_THROW(model->recommend_from_features({"artist=Nobody"}, 4), UsageError);
  // A negative weight in a fold-in history is a skip.
  const std::vector<std::int32_t> items{0, 2};
  const std::vector<float> weights{1.0f, -1.0f};
  std::vector<float> row(4);
  model->score_history(items, weights, row.data());
  EXPECT_NEAR(row[3], -1.0 / (2.0 * kR2), 1e-6);
}

TEST(Content_Model, ExplainNamesTheMatchingFeatures) {
  const FeatureMatrix f = four_items();
  const auto model = fitted<ContentModel>(kPlain, four_feedback(), &f);
  const Explanation e = model->explain(0, 1);
  EXPECT_NEAR(e.score, 0.5, 1e-6);
  EXPECT_NE(e.note.find("artist=Queen 100%"), std::string::npos) << e.note;
  ASSERT_EQ(e.contributions.size(), 1u);
  EXPECT_EQ(e.contributions[0].item, 0);
  EXPECT_NEAR(e.contributions[0].share, 1.0, 1e-6);
  const auto matched = model->matched_features(0, 3);
  ASSERT_EQ(matched.size(), 1u);
  EXPECT_EQ(matched[0].label, "tag=rock");
  // u2 (Queen+dance, ABBA+dance) on i3: dance shares, ABBA too.
  const Explanation e2 = model->explain(2, 3);
  EXPECT_NE(e2.note.find("tag=dance"), std::string::npos) << e2.note;
  EXPECT_NE(e2.note.find("artist=ABBA"), std::string::npos) << e2.note;
  float total = 0;
  for (const Contribution& c : e2.contributions) total += c.share;
  EXPECT_LE(total, 1.0f + 1e-5f);
  EXPECT_NEAR(e2.score, scores(*model, 2)[3], 1e-6);
  // Numeric audio features read "energy high".
  FeatureMatrix audio;
  audio.n_rows = 2;
  audio.n_features = 1;
  audio.groups = {"audio"};
  audio.names = {"energy"};
  audio.group_of = {0};
  audio.described = {1, 1};
  audio.indptr = {0, 1, 2};
  audio.indices = {0, 0};
  audio.values = {1.5f, 0.7f};
  const std::vector<FeedbackEntry> one{{0, 0, 1}};
  const auto loud = fitted<ContentModel>(kPlain, build_feedback(1, 2, one), &audio);
  EXPECT_NE(loud->explain(0, 1).note.find("energy high"), std::string::npos);
}

TEST(Content_Model, SimilarItemsByFeatureCosine) {
  const FeatureMatrix f = four_items();
  const auto model = fitted<ContentModel>(kPlain, four_feedback(), &f);
  const auto near = model->similar_items(2, 3);  // x2·x3 = 1/2 + 1/(2√2), x2·x1 = 1/2
  ASSERT_EQ(near.size(), 3u);
  EXPECT_EQ(near[0].item, 3);
  EXPECT_EQ(near[1].item, 1);
}

TEST(Content_Model, SaveLoadRoundTrip) {
  TempDir dir;
  const FeatureMatrix f = four_items();
  const auto model = fitted<ContentModel>("content:w_tag=0.5,pop_weight=0.01", four_feedback(), &f);
  model->save(dir.file("content.model"));
  const auto loaded = Recommender::load(dir.file("content.model"));
  EXPECT_EQ(loaded->name(), "content");
  for (std::int32_t u = 0; u < 3; ++u) EXPECT_EQ(scores(*loaded, u), scores(*model, u));
  EXPECT_EQ(loaded->explain(2, 3).note, model->explain(2, 3).note);
}

TEST(Content_Model, MissingFeaturesIsAUsageErrorNamingItems) {
  ContentModel model(parse_spec("content"));
  try {
    model.fit(four_feedback(), FitContext{});
    FAIL() << "expected a UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--items"), std::string::npos);
  }
  FeatureMatrix wrong = four_items();
  wrong.n_rows = 3;
  wrong.indptr.pop_back();
  wrong.described.pop_back();
  FitContext context;
  context.item_features = &wrong;
  EXPECT_THROW(model.fit(four_feedback(), context), UsageError);
  EXPECT_THROW(make_recommender("content:history_weight=sqrt"), UsageError);
}

// A random case for the blend: 30 users × 12 items, random features.
struct RandomCase {
  FeedbackMatrix train;
  FeatureMatrix features;
};

RandomCase random_case() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < 30; ++u)
    for (std::int32_t i = 0; i < 12; ++i)
      if (coin(rng) < 0.3) entries.push_back({u, i, static_cast<float>(1 + static_cast<int>(coin(rng) * 5))});
  RandomCase c;
  c.train = build_feedback(30, 12, entries);
  FeatureMatrix& m = c.features;
  m.n_rows = 12;
  m.n_features = 6;
  m.groups = {"tag", "audio"};
  m.names = {"tag=a", "tag=b", "tag=c", "tag=d", "energy", "valence"};
  m.group_of = {0, 0, 0, 0, 1, 1};
  m.described.assign(12, 1);
  for (std::int32_t i = 0; i < 12; ++i) {
    for (std::int32_t t = 0; t < 4; ++t)
      if (coin(rng) < 0.4) {
        m.indices.push_back(t);
        m.values.push_back(1.0f);
      }
    m.indices.push_back(4);
    m.values.push_back(static_cast<float>(coin(rng) * 2 - 1));
    m.indices.push_back(5);
    m.values.push_back(static_cast<float>(coin(rng) * 2 - 1));
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.validate();
  return c;
}

std::vector<std::int32_t> items_of(const std::vector<ScoredItem>& list) {
  std::vector<std::int32_t> out;
  for (const ScoredItem& s : list) out.push_back(s.item);
  return out;
}

TEST(Content_Blend, WeightZeroIsTheCfRankingAndOneTheContentRanking) {
  const RandomCase c = random_case();
  const auto cf = fitted<ItemKnn>("itemknn", c.train, &c.features);
  const auto content = fitted<ContentModel>("content", c.train, &c.features);
  const auto zero = fitted<BlendModel>("blend:cf=itemknn,weight=0", c.train, &c.features);
  const auto one = fitted<BlendModel>("blend:cf=itemknn,weight=1", c.train, &c.features);
  const auto half = fitted<BlendModel>("blend:cf_spec=itemknn:k=5;shrink=0,weight=0.5", c.train, &c.features);
  EXPECT_EQ(half->cf().params().get_int("k"), 5);
  for (std::int32_t u = 0; u < 30; ++u) {
    if (zero->history().count(u) == 0) continue;
    EXPECT_EQ(items_of(zero->recommend(u, 5)), items_of(cf->recommend(u, 5))) << "user " << u;
    EXPECT_EQ(items_of(one->recommend(u, 5)), items_of(content->recommend(u, 5))) << "user " << u;
  }
  // Rows are z-scores: mean 0.
  const std::vector<float> row = scores(*half, 3);
  double mean = 0;
  for (float s : row) mean += s;
  EXPECT_NEAR(mean / 12.0, 0.0, 1e-5);
  // The model file holds both models.
  TempDir dir;
  half->save(dir.file("blend.model"));
  const auto loaded = Recommender::load(dir.file("blend.model"));
  for (std::int32_t u = 0; u < 30; ++u) EXPECT_EQ(scores(*loaded, u), scores(*half, u));
  EXPECT_FALSE(loaded->explain(3, 0).note.empty());
  BlendModel missing(parse_spec("blend"));
  EXPECT_THROW(missing.fit(c.train, FitContext{}), UsageError);
  EXPECT_THROW(make_recommender("blend:cf=nosuchmodel"), UsageError);
}

TEST(Content_Mmr, EndPointsOnAHandCase) {
  // a = (1, 0), b = (1, 0) (a duplicate of a), c = (0, 1).
  const std::vector<float> vectors{1, 0, 1, 0, 0, 1};
  const ItemSimilarity sim = ItemSimilarity::from_vectors(vectors, 3, 2);
  EXPECT_NEAR(sim(0, 1), 1.0, 1e-6);
  EXPECT_NEAR(sim(0, 2), 0.0, 1e-6);
  const std::vector<ScoredItem> base{{0, 1.0f}, {1, 0.9f}, {2, 0.8f}};
  EXPECT_EQ(items_of(mmr_rerank(base, 3, 1.0, sim)), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(items_of(mmr_rerank(base, 3, 0.0, sim)), (std::vector<std::int32_t>{0, 2, 1}));
  // λ = 0.5: b: 0.5·0.5 − 0.5·1 < c: 0 − 0 -> c second as well; λ = 0.9 keeps b.
  EXPECT_EQ(items_of(mmr_rerank(base, 2, 0.5, sim)), (std::vector<std::int32_t>{0, 2}));
  EXPECT_EQ(items_of(mmr_rerank(base, 2, 0.9, sim)), (std::vector<std::int32_t>{0, 1}));
  EXPECT_THROW(mmr_rerank(base, 2, 1.5, sim), UsageError);
}

TEST(Content_Mmr, WrapperModelKeepsTheBaseAtLambdaOneAndAgreesAcrossPaths) {
  const RandomCase c = random_case();
  const auto base = fitted<ItemKnn>("itemknn", c.train, nullptr);
  const auto keep = fitted<MmrModel>("mmr:base=itemknn,lambda=1,candidates=8", c.train, nullptr);
  EXPECT_EQ(keep->similarity_kind(), "interactions");
  const auto diverse = fitted<MmrModel>("mmr:base=itemknn,lambda=0.3,candidates=8", c.train, &c.features);
  EXPECT_EQ(diverse->similarity_kind(), "features");
  for (std::int32_t u = 0; u < 30; ++u) {
    if (keep->history().count(u) == 0) continue;
    EXPECT_EQ(items_of(keep->recommend(u, 5)), items_of(base->recommend(u, 5))) << "user " << u;
    // top_k_users (the evaluator's path) gives recommend()'s list.
    const auto span = diverse->history().row_indices(u);
    std::vector<ScoredItem> out(5);
    std::int32_t count = 0;
    const std::span<const std::int32_t> exclude[1] = {span};
    diverse->top_k_users(std::span<const std::int32_t>(&u, 1), exclude, 5, out.data(), &count);
    out.resize(static_cast<std::size_t>(count));
    EXPECT_EQ(items_of(out), items_of(diverse->recommend(u, 5))) << "user " << u;
  }
  TempDir dir;
  diverse->save(dir.file("mmr.model"));
  const auto loaded = Recommender::load(dir.file("mmr.model"));
  for (std::int32_t u = 0; u < 30; ++u) EXPECT_EQ(scores(*loaded, u), scores(*diverse, u));
}

TEST(Content_Mmr, ReportDrawsTheAccuracyDiversityCurve) {
  nlohmann::json report;
  report["results"] = nlohmann::json::array();
  const double lambdas[] = {1.0, 0.7, 0.4};
  for (int i = 0; i < 3; ++i) {
    nlohmann::json r;
    r["model"] = "mmr";
    r["label"] = "mmr:lambda=" + std::to_string(lambdas[i]);
    r["params"] = "mmr:base=itemknn,base_spec=,lambda=" + std::to_string(lambdas[i]) + ",candidates=100,similarity=auto";
    r["metrics"] = {{"ndcg@10", 0.2 - 0.02 * i}, {"ild@10", 0.5 + 0.1 * i}, {"coverage@10", 0.1}};
    report["results"].push_back(r);
  }
  const std::string html = render_report_html(report);
  EXPECT_NE(html.find("Accuracy against diversity (MMR)"), std::string::npos);
  EXPECT_NE(html.find("mmr over itemknn"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  // One mmr result is no curve.
  report["results"].erase(1);
  report["results"].erase(1);
  EXPECT_EQ(render_report_html(report).find("Accuracy against diversity"), std::string::npos);
}

TEST(Content_Models, SearchSpacesParse) {
  for (const char* name : {"content", "blend", "mmr"}) {
    const ModelInfo* info = find_model(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_FALSE(parse_search_space(info->search_space, parse_spec(name)).empty()) << name;
  }
}

}  // namespace
}  // namespace segue

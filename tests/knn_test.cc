// Tests of the neighbourhood models (itemknn, userknn) and their shared
// similarity code: hand-computed similarities and scores, top-K truncation,
// shrinkage, fold-in, explanations, model files, thread-count independence.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "data/error.h"
#include "models/feedback.h"
#include "models/knn/item_knn.h"
#include "models/knn/similarity.h"
#include "models/knn/user_knn.h"
#include "models/registry.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::TempDir;

// 3 users × 4 items, binary: u0 {0, 1, 2}, u1 {0, 1}, u2 {1, 3}.
// Item user sets: i0 {u0, u1}, i1 {u0, u1, u2}, i2 {u0}, i3 {u2}.
FeedbackMatrix tiny() {
  const std::vector<FeedbackEntry> entries{{0, 0, 1}, {0, 1, 1}, {0, 2, 1}, {1, 0, 1}, {1, 1, 1}, {2, 1, 1}, {2, 3, 1}};
  return build_feedback(3, 4, entries);
}

FeedbackMatrix random_feedback(std::int32_t users, std::int32_t items, double density, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<int> plays(1, 200);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < users; ++u)
    for (std::int32_t i = 0; i < items; ++i)
      if (coin(rng) < density * (1.0 + 3.0 * (i % 5 == 0))) entries.push_back({u, i, static_cast<float>(plays(rng))});
  return build_feedback(users, items, entries);
}

// The hand-computed cases use plain settings (binary history weights, no row
// normalisation, itemknn pruned by target); keys the spec gives win.
std::string plain(const std::string& spec) {
  const bool item = spec.rfind("itemknn", 0) == 0;
  std::string out = spec.find(':') == std::string::npos ? spec + ":" : spec + ",";
  const std::vector<std::string> base =
      item ? std::vector<std::string>{"normalize=false", "history_weight=binary", "prune=target"}
           : std::vector<std::string>{"normalize=false", "history_weight=binary", "weighting=none"};
  for (const std::string& kv : base)
    if (spec.find(kv.substr(0, kv.find('=') + 1)) == std::string::npos) out += kv + ",";
  out.pop_back();
  return out;
}

template <class Model>
std::unique_ptr<Model> fitted(const std::string& spec, const FeedbackMatrix& train, ThreadPool* pool = nullptr) {
  auto model = std::make_unique<Model>(parse_spec(plain(spec)));
  FitContext context;
  context.pool = pool;
  model->fit(train, context);
  return model;
}

float sim_of(const SparseRows& m, std::int32_t row, std::int32_t col) {
  const auto ids = m.row_indices(row);
  for (std::size_t k = 0; k < ids.size(); ++k)
    if (ids[k] == col) return m.row_values(row)[k];
  return 0.0f;
}

std::vector<float> scores(const Recommender& model, std::int32_t user) {
  std::vector<float> out(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), out.data());
  return out;
}

const float kS6 = static_cast<float>(std::sqrt(6.0));
const float kS3 = static_cast<float>(std::sqrt(3.0));
const float kS2 = static_cast<float>(std::sqrt(2.0));

TEST(Knn_ItemKnn, HandComputedCosineSimilaritiesAndScores) {
  const auto model = fitted<ItemKnn>("itemknn:k=10,shrink=0,similarity=cosine,weighting=none", tiny());
  const SparseRows& s = model->similarity();
  EXPECT_NEAR(sim_of(s, 0, 1), 2 / kS6, 1e-6);
  EXPECT_NEAR(sim_of(s, 1, 0), 2 / kS6, 1e-6);
  EXPECT_NEAR(sim_of(s, 0, 2), 1 / kS2, 1e-6);
  EXPECT_NEAR(sim_of(s, 1, 2), 1 / kS3, 1e-6);
  EXPECT_NEAR(sim_of(s, 1, 3), 1 / kS3, 1e-6);
  EXPECT_EQ(s.count(3), 1);  // i3 shares a user only with i1; zero similarities are not kept
  EXPECT_EQ(sim_of(s, 0, 0), 0.0f);  // never itself
  // u2 = {1, 3}: score(i) = sim(i, 1) + sim(i, 3).
  const std::vector<float> u2 = scores(*model, 2);
  EXPECT_NEAR(u2[0], 2 / kS6, 1e-6);
  EXPECT_NEAR(u2[1], 1 / kS3, 1e-6);
  EXPECT_NEAR(u2[2], 1 / kS3, 1e-6);
  EXPECT_NEAR(u2[3], 1 / kS3, 1e-6);
  // u1 = {0, 1}: item 2 scores sim(2, 0) + sim(2, 1).
  EXPECT_NEAR(scores(*model, 1)[2], 1 / kS2 + 1 / kS3, 1e-6);
  // Recommend excludes the history: u2 gets 0 first (highest), then 2.
  const auto top = model->recommend(2, 4);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item, 0);
  EXPECT_EQ(top[1].item, 2);
}

TEST(Knn_ItemKnn, JaccardAsymmetricAndWeightings) {
  const auto jac = fitted<ItemKnn>("itemknn:shrink=0,similarity=jaccard", tiny());
  EXPECT_NEAR(sim_of(jac->similarity(), 0, 1), 2.0 / 3.0, 1e-6);  // |{u0,u1}| / |{u0,u1,u2}|
  EXPECT_NEAR(sim_of(jac->similarity(), 1, 3), 1.0 / 3.0, 1e-6);
  const auto asym = fitted<ItemKnn>("itemknn:shrink=0,similarity=asymmetric,alpha=0.25", tiny());
  EXPECT_NEAR(sim_of(asym->similarity(), 0, 1), 2.0 / (std::pow(2.0, 0.25) * std::pow(3.0, 0.75)), 1e-6);
  EXPECT_NEAR(sim_of(asym->similarity(), 1, 0), 2.0 / (std::pow(3.0, 0.25) * std::pow(2.0, 0.75)), 1e-6);
  const auto half = fitted<ItemKnn>("itemknn:shrink=0,similarity=asymmetric,alpha=0.5", tiny());
  EXPECT_NEAR(sim_of(half->similarity(), 0, 1), 2 / kS6, 1e-6);  // alpha 0.5 = cosine
  // tfidf over items: users are terms, idf(u) = log(4 / |items of u|); u1 has
  // 2 items, u0 3, u2 2. Features are log1p(1) · idf.
  const auto tfidf = fitted<ItemKnn>("itemknn:shrink=0,weighting=tfidf", tiny());
  const double l = std::log1p(1.0), a = std::log(4.0 / 3.0) * l, b = std::log(2.0) * l;
  // i0 = (a, b, 0), i1 = (a, b, b): cosine = (a² + b²) / sqrt((a² + b²)(a² + 2b²)).
  EXPECT_NEAR(sim_of(tfidf->similarity(), 0, 1), (a * a + b * b) / std::sqrt((a * a + b * b) * (a * a + 2 * b * b)),
              1e-6);
  const auto bm25 = fitted<ItemKnn>("itemknn:weighting=bm25", random_feedback(30, 20, 0.2, 3));
  for (float v : bm25->similarity().values) EXPECT_TRUE(std::isfinite(v) && v > 0);
}

TEST(Knn_ItemKnn, TopKTruncationKeepsTheBestNeighbours) {
  const auto model = fitted<ItemKnn>("itemknn:k=1,shrink=0", tiny());
  const SparseRows& s = model->similarity();
  for (std::int32_t i = 0; i < 4; ++i) EXPECT_EQ(s.count(i), 1);
  EXPECT_EQ(s.row_indices(0)[0], 1);  // 0.816 > 0.707
  EXPECT_EQ(s.row_indices(1)[0], 0);  // 0.816 > 0.577 (tie of 2 and 3 irrelevant)
  EXPECT_EQ(s.row_indices(2)[0], 0);
  EXPECT_EQ(s.row_indices(3)[0], 1);
  // u2 = {1, 3}: item 1's only neighbour (0) is not in the history.
  const std::vector<float> u2 = scores(*model, 2);
  EXPECT_NEAR(u2[0], 2 / kS6, 1e-6);
  EXPECT_EQ(u2[1], 0.0f);
  EXPECT_EQ(u2[2], 0.0f);
  EXPECT_NEAR(u2[3], 1 / kS3, 1e-6);
  // Ties at the cut go to the lower id: row 1 with k=2 keeps 0 and 2 (2 and 3 tie).
  const auto two = fitted<ItemKnn>("itemknn:k=2,shrink=0", tiny());
  EXPECT_EQ(std::vector<std::int32_t>(two->similarity().row_indices(1).begin(), two->similarity().row_indices(1).end()),
            (std::vector<std::int32_t>{0, 2}));
  // similar_items lists the neighbours best first, at most k of them.
  const auto similar = model->similar_items(1, 5);
  ASSERT_EQ(similar.size(), 1u);
  EXPECT_EQ(similar[0].item, 0);
}

TEST(Knn_ItemKnn, SourcePruningKeepsEachHistoryItemsNearest) {
  // prune=source, k=1: each item passes score only to its nearest item:
  // 0 -> 1, 1 -> 0, 2 -> 0, 3 -> 1. u2 = {1, 3} scores 0 (from 1) and 1 (from 3).
  const auto model = fitted<ItemKnn>("itemknn:k=1,shrink=0,prune=source", tiny());
  const std::vector<float> u2 = scores(*model, 2);
  EXPECT_NEAR(u2[0], 2 / kS6, 1e-6);
  EXPECT_NEAR(u2[1], 1 / kS3, 1e-6);
  EXPECT_EQ(u2[2], 0.0f);
  EXPECT_EQ(u2[3], 0.0f);
  // similar_items is the item's own nearest; explain agrees with the score.
  EXPECT_EQ(model->similar_items(3, 3), (std::vector<ScoredItem>{{1, 1 / kS3}}));
  const Explanation e = model->explain(2, 1);
  ASSERT_EQ(e.contributions.size(), 1u);
  EXPECT_EQ(e.contributions[0].item, 3);
  EXPECT_NEAR(e.score, 1 / kS3, 1e-6);
  // normalize=true with source pruning: each history item passes a total of 1.
  const auto norm = fitted<ItemKnn>("itemknn:k=2,shrink=0,prune=source,normalize=true", tiny());
  const std::vector<float> u0 = scores(*norm, 0);  // u0 = {0, 1, 2}
  EXPECT_NEAR(u0[0] + u0[1] + u0[2] + u0[3], 3.0, 1e-5);
}

TEST(Knn_ItemKnn, ShrinkageDampsPairsWithLittleSupport) {
  const auto none = fitted<ItemKnn>("itemknn:shrink=0", tiny());
  const auto some = fitted<ItemKnn>("itemknn:shrink=10", tiny());
  EXPECT_NEAR(sim_of(some->similarity(), 0, 1), 2 / (kS6 + 10), 1e-6);
  EXPECT_NEAR(sim_of(some->similarity(), 0, 2), 1 / (kS2 + 10), 1e-6);
  // Without shrinkage (0, 2) (one co-listener, 0.707) is close to (0, 1) (two,
  // 0.816); with it the pair with more support pulls ahead in relative terms.
  EXPECT_GT(sim_of(some->similarity(), 0, 1) / sim_of(some->similarity(), 0, 2),
            sim_of(none->similarity(), 0, 1) / sim_of(none->similarity(), 0, 2));
  const auto jac = fitted<ItemKnn>("itemknn:shrink=1,similarity=jaccard", tiny());
  EXPECT_NEAR(sim_of(jac->similarity(), 0, 1), 2.0 / 4.0, 1e-6);
}

TEST(Knn_ItemKnn, NormalizedRowsSumToOne) {
  const auto model = fitted<ItemKnn>("itemknn:normalize=true", random_feedback(40, 30, 0.15, 5));
  const SparseRows& s = model->similarity();
  for (std::int32_t i = 0; i < s.n_rows; ++i) {
    if (s.count(i) == 0) continue;
    double sum = 0;
    for (float v : s.row_values(i)) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST(Knn_ItemKnn, ScoreHistoryEqualsScoreUsersForATrainingUser) {
  const FeedbackMatrix train = random_feedback(60, 50, 0.1, 11);
  for (const char* spec : {"itemknn:history_weight=log,weighting=bm25", "itemknn:history_weight=raw,k=5"}) {
    const auto model = fitted<ItemKnn>(spec, train);
    for (std::int32_t u = 0; u < 60; u += 7) {
      std::vector<float> folded(50);
      model->score_history(train.items_of(u), train.values_of(u), folded.data());
      EXPECT_EQ(folded, scores(*model, u)) << spec << " user " << u;
    }
  }
}

TEST(Knn_ItemKnn, ExplainSharesAddUpToTheScore) {
  const auto model = fitted<ItemKnn>("itemknn:shrink=0", tiny());
  const Explanation e = model->explain(1, 2);  // u1 = {0, 1}; sim(2, 0) = 0.707, sim(2, 1) = 0.577
  EXPECT_NEAR(e.score, 1 / kS2 + 1 / kS3, 1e-6);
  ASSERT_EQ(e.contributions.size(), 2u);
  EXPECT_EQ(e.contributions[0].item, 0);
  EXPECT_NEAR(e.contributions[0].share, (1 / kS2) / (1 / kS2 + 1 / kS3), 1e-6);
  EXPECT_EQ(e.contributions[1].item, 1);
  EXPECT_NEAR(e.contributions[0].share + e.contributions[1].share, 1.0, 1e-6);
  const Explanation none = model->explain(1, 3);  // i3's only neighbour is i1... which u1 has
  EXPECT_EQ(none.contributions.size(), 1u);
  const auto k1 = fitted<ItemKnn>("itemknn:k=1,shrink=0", tiny());
  const Explanation empty = k1->explain(2, 2);
  EXPECT_TRUE(empty.contributions.empty());
  EXPECT_FALSE(empty.note.empty());
  // Random data: shares within [0, 1], largest first, summing to <= 1.
  const auto big = fitted<ItemKnn>("itemknn:history_weight=log", random_feedback(40, 30, 0.3, 2));
  for (std::int32_t item = 0; item < 30; ++item) {
    const Explanation x = big->explain(3, item);
    EXPECT_NEAR(x.score, scores(*big, 3)[item], 1e-5);
    double sum = 0;
    for (std::size_t c = 0; c < x.contributions.size(); ++c) {
      sum += x.contributions[c].share;
      if (c > 0) {
        EXPECT_GE(x.contributions[c - 1].share, x.contributions[c].share);
      }
    }
    EXPECT_LE(sum, 1.0 + 1e-5);
  }
  EXPECT_THROW(model->explain(3, 0), UsageError);
  EXPECT_THROW(model->explain(0, 4), UsageError);
}

TEST(Knn_UserKnn, HandComputedNeighboursScoresAndExplanation) {
  const auto model = fitted<UserKnn>("userknn:shrink=0", tiny());
  const SparseRows& n = model->neighbors();
  EXPECT_NEAR(sim_of(n, 0, 1), 2 / kS6, 1e-6);
  EXPECT_NEAR(sim_of(n, 0, 2), 1 / kS6, 1e-6);
  EXPECT_NEAR(sim_of(n, 1, 2), 0.5, 1e-6);
  // u2's neighbours u0 (0.408) and u1 (0.5): score(i) = Σ sim · [i played].
  const std::vector<float> u2 = scores(*model, 2);
  EXPECT_NEAR(u2[0], 1 / kS6 + 0.5, 1e-6);
  EXPECT_NEAR(u2[1], 1 / kS6 + 0.5, 1e-6);
  EXPECT_NEAR(u2[2], 1 / kS6, 1e-6);
  EXPECT_EQ(u2[3], 0.0f);
  // u1 = {0, 1}, item 2: only u0 played it, and u1 shares items 0 and 1 with u0 equally.
  const Explanation e = model->explain(1, 2);
  EXPECT_NEAR(e.score, 2 / kS6, 1e-6);
  ASSERT_EQ(e.contributions.size(), 2u);
  EXPECT_NEAR(e.contributions[0].share, 0.5, 1e-6);
  EXPECT_NEAR(e.contributions[1].share, 0.5, 1e-6);
  // k=1 keeps only the best neighbour.
  const auto k1 = fitted<UserKnn>("userknn:k=1,shrink=0", tiny());
  EXPECT_EQ(k1->neighbors().count(2), 1);
  EXPECT_EQ(k1->neighbors().row_indices(2)[0], 1);
}

TEST(Knn_UserKnn, FoldInMatchesAnUnseenUsersNeighbours) {
  // A new user with u1's history {0, 1}: neighbours u0 (0.816) and u1 itself (1.0), u2 (0.5).
  const auto model = fitted<UserKnn>("userknn:shrink=0", tiny());
  const std::vector<std::int32_t> items{1, 0};
  std::vector<float> out(4);
  model->score_history(items, std::vector<float>{1, 1}, out.data());
  EXPECT_NEAR(out[2], 2 / kS6, 1e-6);
  EXPECT_NEAR(out[3], 0.5, 1e-6);
  EXPECT_NEAR(out[0], 2 / kS6 + 1.0, 1e-6);
  // Training users' fold-in from a random model is finite and thread-safe to call.
  const FeedbackMatrix train = random_feedback(50, 40, 0.15, 9);
  const auto big = fitted<UserKnn>("userknn:weighting=bm25,history_weight=log", train);
  std::vector<float> folded(40);
  big->score_history(train.items_of(4), train.values_of(4), folded.data());
  for (float v : folded) EXPECT_TRUE(std::isfinite(v));
  const auto rec = big->recommend_from_history(std::vector<std::int32_t>{1, 5, 5}, {}, 5);
  EXPECT_FALSE(rec.empty());
}

TEST(Knn_Models, SaveLoadRoundTripGivesIdenticalScores) {
  TempDir dir;
  const FeedbackMatrix train = random_feedback(50, 40, 0.15, 21);
  for (const char* spec : {"itemknn:k=7,similarity=asymmetric,alpha=0.3,weighting=tfidf,history_weight=log",
                           "userknn:k=9,similarity=jaccard,weighting=bm25,normalize=true"}) {
    auto model = make_recommender(spec);
    model->fit(train);
    const std::string path = dir.file("knn.model");
    model->save(path);
    const auto loaded = Recommender::load(path);
    EXPECT_EQ(loaded->params(), model->params());
    for (std::int32_t u = 0; u < 50; u += 3) EXPECT_EQ(scores(*loaded, u), scores(*model, u)) << spec;
    std::vector<float> a(40), b(40);
    const std::vector<std::int32_t> hist{2, 3, 17};
    const std::vector<float> w{1, 5, 2};
    model->score_history(hist, w, a.data());
    loaded->score_history(hist, w, b.data());
    EXPECT_EQ(a, b) << spec;
    EXPECT_EQ(loaded->similar_items(3, 5), model->similar_items(3, 5));
  }
}

TEST(Knn_Models, SameResultWithOneAndTwoThreads) {
  const FeedbackMatrix train = random_feedback(300, 200, 0.05, 33);
  ThreadPool one(1), two(2);
  for (const char* spec : {"itemknn:k=20,weighting=bm25", "itemknn:k=5,similarity=jaccard",
                           "itemknn:k=10,prune=source,normalize=true,similarity=asymmetric,alpha=0.3"}) {
    const auto a = fitted<ItemKnn>(spec, train, &one);
    const auto b = fitted<ItemKnn>(spec, train, &two);
    EXPECT_EQ(a->similarity().indptr, b->similarity().indptr);
    EXPECT_EQ(a->similarity().indices, b->similarity().indices);
    EXPECT_EQ(a->similarity().values, b->similarity().values);
  }
  const auto a = fitted<UserKnn>("userknn:k=15,weighting=log", train, &one);
  const auto b = fitted<UserKnn>("userknn:k=15,weighting=log", train, &two);
  EXPECT_EQ(a->neighbors().indices, b->neighbors().indices);
  EXPECT_EQ(a->neighbors().values, b->neighbors().values);
}

TEST(Knn_Models, BadParametersAreUsageErrorsNamingTheParameter) {
  const auto message = [](const std::string& spec) {
    try {
      make_recommender(spec);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  for (const char* model : {"itemknn", "userknn"}) {
    const std::string m(model);
    EXPECT_NE(message(m + ":k=0").find("'k'"), std::string::npos) << message(m + ":k=0");
    EXPECT_NE(message(m + ":k=-5").find("'k'"), std::string::npos);
    EXPECT_NE(message(m + ":shrink=-1").find("'shrink'"), std::string::npos);
    EXPECT_NE(message(m + ":similarity=pearson").find("'similarity'"), std::string::npos);
    EXPECT_NE(message(m + ":weighting=idf").find("'weighting'"), std::string::npos);
    EXPECT_NE(message(m + ":history_weight=sqrt").find("'history_weight'"), std::string::npos);
    EXPECT_NE(message(m + ":alpha=nan").find("'alpha'"), std::string::npos);
    EXPECT_NE(message(m + ":alpha=1.5").find("'alpha'"), std::string::npos);
  }
  const auto model = fitted<ItemKnn>("itemknn", tiny());
  EXPECT_THROW(model->recommend(0, 0), UsageError);
  EXPECT_THROW(model->similar_items(9, 3), UsageError);
  EXPECT_THROW(model->recommend(7, 3), UsageError);
}

}  // namespace
}  // namespace segue

// Tests of the per-listener weight scales of ials (user_scale) and of the
// ensemble model: the scales' values, ials with a scale = ials on pre-scaled
// data (fit, fold-in, new items), the ensemble's scores = the mean of its
// members' z-scored rows, seeds, model files and bad member lists.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "data/error.h"
#include "models/content/blend.h"
#include "models/factorization/ials.h"
#include "models/factorization/user_scale.h"
#include "models/registry.h"
#include "models/rerank/ensemble.h"
#include "synthetic_fixture.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::synthetic_data;
using segue::testing::TempDir;

std::vector<float> scores_of(const Recommender& model) {
  std::vector<std::int32_t> users(static_cast<std::size_t>(model.n_users()));
  for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<std::int32_t>(u);
  std::vector<float> out(users.size() * static_cast<std::size_t>(model.n_items()));
  model.score_users(users, out.data());
  return out;
}

// The same matrix with every listener's row rescaled (positives only, as ials sees them).
FeedbackMatrix prescaled(const FeedbackMatrix& train, UserScale scale) {
  SparseRows rows = train.positives();
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < rows.n_rows; ++u) {
    std::span<float> values(rows.values.data() + rows.indptr[u], static_cast<std::size_t>(rows.indptr[u + 1] - rows.indptr[u]));
    scale_user_row(scale, values);
    for (std::int64_t k = rows.indptr[u]; k < rows.indptr[u + 1]; ++k)
      entries.push_back({u, rows.indices[static_cast<std::size_t>(k)], rows.values[static_cast<std::size_t>(k)]});
  }
  return build_feedback(train.n_users, train.n_items, entries);
}

TEST(UserScale, RescalesEachListenersPositiveWeights) {
  std::vector<float> row{4, 1, 2, 0, 8, -1};  // positives 1 2 4 8: median 3, total 15
  std::vector<float> median = row, share = row, rank = row, none = row;
  scale_user_row(UserScale::median, median);
  scale_user_row(UserScale::share, share);
  scale_user_row(UserScale::rank, rank);
  scale_user_row(UserScale::none, none);
  EXPECT_EQ(none, row);
  const std::vector<float> want_median{4.0f / 3, 1.0f / 3, 2.0f / 3, 0, 8.0f / 3, -1};
  const std::vector<float> want_share{400.0f / 15, 100.0f / 15, 200.0f / 15, 0, 800.0f / 15, -1};
  const std::vector<float> want_rank{0.75f, 0.25f, 0.5f, 0, 1.0f, -1};
  for (std::size_t k = 0; k < row.size(); ++k) {
    EXPECT_FLOAT_EQ(median[k], want_median[k]) << k;
    EXPECT_FLOAT_EQ(share[k], want_share[k]) << k;
    EXPECT_FLOAT_EQ(rank[k], want_rank[k]) << k;
  }
  // Ties share their mean rank (pandas' rank(pct=True)): 5 5 1 -> 2.5/3, 2.5/3, 1/3.
  std::vector<float> tied{5, 5, 1};
  scale_user_row(UserScale::rank, tied);
  EXPECT_FLOAT_EQ(tied[0], 2.5f / 3);
  EXPECT_FLOAT_EQ(tied[1], 2.5f / 3);
  EXPECT_FLOAT_EQ(tied[2], 1.0f / 3);
  // One entry scaled inside its row gives what the whole row's scaling gives it.
  for (const UserScale s : {UserScale::median, UserScale::share, UserScale::rank}) {
    std::vector<float> whole = row;
    scale_user_row(s, whole);
    for (std::size_t k = 0; k < row.size(); ++k) EXPECT_FLOAT_EQ(scale_in_row(s, row, row[k]), whole[k]) << k;
  }
  // A row without positives stays as it is.
  std::vector<float> empty{0, -2};
  scale_user_row(UserScale::share, empty);
  EXPECT_EQ(empty, (std::vector<float>{0, -2}));
}

TEST(UserScale, UnknownNamesAreUsageErrorsNamingTheKey) {
  EXPECT_EQ(parse_user_scale("rank", "user_scale"), UserScale::rank);
  try {
    parse_user_scale("zscore", "user_scale");
    FAIL() << "accepted";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("user_scale"), std::string::npos) << error.what();
  }
  register_model(ials_info());
  EXPECT_THROW(make_recommender("ials:user_scale=zscore"), UsageError);
}

TEST(Ials_UserScale, EqualsPlainIalsOnPrescaledData) {
  register_model(ials_info());
  const FeedbackMatrix train = synthetic_data().train;
  ThreadPool one(1);
  FitContext context;
  context.pool = &one;
  for (const char* scale : {"median", "share", "rank"}) {
    const UserScale s = parse_user_scale(scale, "user_scale");
    auto scaled = make_recommender(std::string("ials:factors=6,iterations=4,alpha=3,user_scale=") + scale);
    auto plain = make_recommender("ials:factors=6,iterations=4,alpha=3");
    scaled->fit(train, context);
    const FeedbackMatrix pre = prescaled(train, s);
    plain->fit(pre, context);
    EXPECT_EQ(scores_of(*scaled), scores_of(*plain)) << scale;
    // Fold-in scales the history the same way.
    const std::vector<std::int32_t> items{0, 4, 8, 9};
    std::vector<float> weights{5, 1, 3, 2};
    std::vector<float> a(static_cast<std::size_t>(train.n_items)), b(a.size());
    scaled->score_history(items, weights, a.data());
    scale_user_row(s, weights);
    plain->score_history(items, weights, b.data());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << scale << " item " << i;
    // And so does a model of the raw scale trained alone: the scale changes the ranking.
    auto raw = make_recommender("ials:factors=6,iterations=4,alpha=3");
    raw->fit(train, context);
    EXPECT_NE(scores_of(*scaled), scores_of(*raw)) << scale;
  }
}

TEST(Ials_UserScale, NewItemsTakeTheirListenersScale) {
  register_model(ials_info());
  const FeedbackMatrix train = synthetic_data().train;
  ThreadPool one(1);
  FitContext context;
  context.pool = &one;
  auto scaled = make_recommender("ials:factors=6,iterations=4,alpha=3,user_scale=median");
  auto plain = make_recommender("ials:factors=6,iterations=4,alpha=3");
  scaled->fit(train, context);
  plain->fit(prescaled(train, UserScale::median), context);
  // A new item played by users 1 (7 times) and 5 (2 times): on the median scale of
  // each user's row with the new play in it.
  const std::vector<std::int32_t> listeners{1, 5};
  const std::vector<float> plays{7, 2};
  std::vector<float> on_scale;
  for (std::size_t k = 0; k < listeners.size(); ++k) {
    std::vector<float> row(scaled->history().row_values(listeners[k]).begin(),
                           scaled->history().row_values(listeners[k]).end());
    row.push_back(plays[k]);
    on_scale.push_back(scale_in_row(UserScale::median, row, plays[k]));
  }
  auto column = [&](const std::vector<float>& values) {
    SparseRows c;
    c.n_rows = 1;
    c.n_cols = train.n_users;
    c.indptr = {0, 2};
    c.indices = listeners;
    c.values = values;
    return c;
  };
  const std::int32_t item = train.n_items;
  scaled->partial_fit_items(std::span<const std::int32_t>(&item, 1), column(plays));
  plain->partial_fit_items(std::span<const std::int32_t>(&item, 1), column(on_scale));
  const auto& a = dynamic_cast<const FactorModel&>(*scaled).item_factors();
  const auto& b = dynamic_cast<const FactorModel&>(*plain).item_factors();
  const std::size_t f = 6, at = static_cast<std::size_t>(item) * f;
  for (std::size_t k = 0; k < f; ++k) EXPECT_NEAR(a[at + k], b[at + k], 1e-5) << k;
}

void register_all() {
  register_model(ials_info());
  register_builtin_models();
}

TEST(Ensemble, ScoresAreTheMeanOfTheMembersZScoredRows) {
  register_all();
  const FeedbackMatrix train = synthetic_data().train;
  ThreadPool one(1);
  FitContext context;
  context.pool = &one;
  auto ensemble = make_recommender("ensemble:members=ials:factors=6;iterations=3+itemknn:k=10");
  ensemble->fit(train, context);
  auto a = make_recommender("ials:factors=6,iterations=3");
  auto b = make_recommender("itemknn:k=10");
  a->fit(train, context);
  b->fit(train, context);
  std::vector<float> za = scores_of(*a), zb = scores_of(*b);
  const auto n = static_cast<std::size_t>(train.n_items);
  for (std::size_t r = 0; r < za.size() / n; ++r) {
    BlendModel::standardise(za.data() + r * n, n);
    BlendModel::standardise(zb.data() + r * n, n);
  }
  const std::vector<float> got = scores_of(*ensemble);
  ASSERT_EQ(got.size(), za.size());
  for (std::size_t c = 0; c < got.size(); ++c) EXPECT_NEAR(got[c], 0.5f * (za[c] + zb[c]), 1e-5) << c;
  // Fold-in: the same mean of the members' z-scored rows.
  const std::vector<std::int32_t> items{0, 4, 8};
  const std::vector<float> weights{2, 1, 3};
  std::vector<float> h(n), ha(n), hb(n);
  ensemble->score_history(items, weights, h.data());
  a->score_history(items, weights, ha.data());
  b->score_history(items, weights, hb.data());
  BlendModel::standardise(ha.data(), n);
  BlendModel::standardise(hb.data(), n);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(h[i], 0.5f * (ha[i] + hb[i]), 1e-5) << i;
  const Explanation why = ensemble->explain(0, ensemble->recommend(0, 1).at(0).item);
  EXPECT_NE(why.note.find("ensemble of 2"), std::string::npos) << why.note;
  EXPECT_FALSE(why.contributions.empty());
}

TEST(Ensemble, SeedsRepeatSeededMembersOnly) {
  register_all();
  const auto model = make_recommender("ensemble:members=ials:factors=4;seed=10+itemknn,seeds=3");
  const auto& e = dynamic_cast<const EnsembleModel&>(*model);
  ASSERT_EQ(e.size(), 4u);  // ials at seeds 10, 11, 12; itemknn has no seed: once
  EXPECT_EQ(e.member(0).params().get_int("seed"), 10);
  EXPECT_EQ(e.member(1).params().get_int("seed"), 11);
  EXPECT_EQ(e.member(2).params().get_int("seed"), 12);
  EXPECT_EQ(e.member(3).name(), "itemknn");
  EXPECT_EQ(e.member(0).params().get_int("factors"), 4);
  EXPECT_EQ(e.member(2).params().get_int("factors"), 4);
  // Three seeds of ials differ, so their mean differs from one of them.
  const FeedbackMatrix train = synthetic_data().train;
  auto three = make_recommender("ensemble:members=ials:factors=4;iterations=3,seeds=3");
  auto single = make_recommender("ensemble:members=ials:factors=4;iterations=3");
  three->fit(train);
  single->fit(train);
  EXPECT_NE(scores_of(*three), scores_of(*single));
}

TEST(Ensemble, ModelFileRoundTripGivesIdenticalScores) {
  register_all();
  const FeedbackMatrix train = synthetic_data().train;
  auto model = make_recommender("ensemble:members=ials:factors=4;iterations=3;user_scale=rank+ease,seeds=2");
  model->fit(train);
  TempDir dir;
  const std::string path = dir.file("ensemble.model");
  model->save(path);
  const std::unique_ptr<Recommender> loaded = Recommender::load(path);
  EXPECT_EQ(loaded->params(), model->params());
  EXPECT_EQ(scores_of(*loaded), scores_of(*model));
  EXPECT_EQ(dynamic_cast<const EnsembleModel&>(*loaded).size(), 3u);
}

TEST(Ensemble, BadMemberListsNameTheKey) {
  register_all();
  for (const char* text : {"ensemble:members=ials++itemknn", "ensemble:members=nosuchmodel",
                           "ensemble:members=ials:factors=-1", "ensemble:members=ensemble",
                           "ensemble:members=ials,seeds=0", "ensemble:members=ials,seeds=65"}) {
    try {
      make_recommender(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const UsageError& error) {
      const std::string what = error.what();
      EXPECT_TRUE(what.find("members") != std::string::npos || what.find("seeds") != std::string::npos)
          << text << ": " << what;
    }
  }
}

}  // namespace
}  // namespace segue

// Tests of ease (closed-form linear item-item model) and rp3beta (random-walk
// item graph): tiny cases computed by hand and in double precision, both EASE
// solvers, fold-in, explanations, model files, the memory limit, bad
// parameters and determinism across thread counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "data/error.h"
#include "models/graph/rp3beta.h"
#include "models/linear/ease.h"
#include "io/model_file.h"
#include "models/registry.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::TempDir;

void register_models() {
  register_model(ease_info());
  register_model(rp3beta_info());
}

std::unique_ptr<Recommender> fitted(const std::string& spec, const FeedbackMatrix& train, ThreadPool* pool = nullptr) {
  register_models();
  auto model = make_recommender(spec);
  FitContext context;
  context.pool = pool;
  model->fit(train, context);
  return model;
}

std::vector<float> ease_weights(const Recommender& model) {
  const std::span<const float> b = dynamic_cast<const Ease&>(model).weights();
  return std::vector<float>(b.begin(), b.end());
}

std::vector<float> scores_of(const Recommender& model, std::int32_t user) {
  std::vector<float> out(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), out.data());
  return out;
}

// A random feedback matrix with play-count-like values; every user has >= 1 item.
FeedbackMatrix random_feedback(std::int32_t users, std::int32_t items, double density, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<int> plays(1, 20);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < users; ++u) {
    entries.push_back({u, static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(items)), float(plays(rng))});
    for (std::int32_t i = 0; i < items; ++i)
      if (coin(rng) < density) entries.push_back({u, i, float(plays(rng))});
  }
  return build_feedback(users, items, entries);
}

// EASE's B in double precision by Gauss-Jordan inversion of XᵀX + λI.
std::vector<double> reference_ease(const FeedbackMatrix& train, double lambda, int weighting) {
  const std::size_t n = static_cast<std::size_t>(train.n_items);
  std::vector<double> g(n * n, 0.0);
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    const auto items = train.items_of(u);
    const auto values = train.values_of(u);
    auto x = [&](std::size_t k) {
      const double v = values[k];
      return weighting == 0 ? 1.0 : weighting == 1 ? std::log1p(v) : v;
    };
    for (std::size_t a = 0; a < items.size(); ++a)
      for (std::size_t b = 0; b < items.size(); ++b) g[std::size_t(items[a]) * n + std::size_t(items[b])] += x(a) * x(b);
  }
  for (std::size_t i = 0; i < n; ++i) g[i * n + i] += lambda;
  std::vector<double> p(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) p[i * n + i] = 1.0;
  for (std::size_t c = 0; c < n; ++c) {  // SPD: no pivoting needed
    const double pivot = g[c * n + c];
    for (std::size_t j = 0; j < n; ++j) {
      g[c * n + j] /= pivot;
      p[c * n + j] /= pivot;
    }
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = g[r * n + c];
      for (std::size_t j = 0; j < n; ++j) {
        g[r * n + j] -= f * g[c * n + j];
        p[r * n + j] -= f * p[c * n + j];
      }
    }
  }
  std::vector<double> b(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) b[i * n + j] = i == j ? 0.0 : -p[i * n + j] / p[j * n + j];
  return b;
}

// ---- ease ----

// X: user 0 has items {0, 1}, user 1 has {0}; λ = 1.
// G = [[3, 1], [1, 2]], P = G⁻¹ = [[2, −1], [−1, 3]] / 5,
// B[0][1] = −P01/P11 = 1/3, B[1][0] = −P10/P00 = 1/2;
// scores: user 0 = [B10, B01] = [1/2, 1/3], user 1 = [0, 1/3].
TEST(Ease_Fit, TwoItemCaseMatchesTheHandComputedWeights) {
  const std::vector<FeedbackEntry> entries{{0, 0, 3.0f}, {0, 1, 1.0f}, {1, 0, 7.0f}};
  const FeedbackMatrix train = build_feedback(2, 2, entries);
  for (const char* solver : {"dense", "woodbury"}) {
    SCOPED_TRACE(solver);
    const auto model = fitted(std::string("ease:lambda=1,solver=") + solver, train);
    const auto& b = ease_weights(*model);
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(b[0], 0.0f);
    EXPECT_EQ(b[3], 0.0f);
    EXPECT_NEAR(b[1], 1.0 / 3.0, 1e-6);
    EXPECT_NEAR(b[2], 0.5, 1e-6);
    const auto s0 = scores_of(*model, 0);
    const auto s1 = scores_of(*model, 1);
    EXPECT_NEAR(s0[0], 0.5, 1e-6);
    EXPECT_NEAR(s0[1], 1.0 / 3.0, 1e-6);
    EXPECT_NEAR(s1[0], 0.0, 1e-6);
    EXPECT_NEAR(s1[1], 1.0 / 3.0, 1e-6);
    EXPECT_EQ(dynamic_cast<const Ease&>(*model).solver_used(), solver);
  }
}

TEST(Ease_Fit, BothSolversMatchADoublePrecisionReference) {
  const FeedbackMatrix train = random_feedback(30, 12, 0.3, 7);
  const char* weightings[] = {"binary", "log", "raw"};
  for (int w = 0; w < 3; ++w) {
    const double lambda = w == 2 ? 50.0 : 2.0;
    const std::vector<double> reference = reference_ease(train, lambda, w);
    for (const char* solver : {"dense", "woodbury"}) {
      SCOPED_TRACE(std::string(weightings[w]) + " " + solver);
      const auto model = fitted("ease:lambda=" + std::to_string(lambda) + ",weighting=" + weightings[w] +
                                    ",solver=" + solver,
                                train);
      const auto& b = ease_weights(*model);
      ASSERT_EQ(b.size(), reference.size());
      double worst = 0;
      for (std::size_t k = 0; k < b.size(); ++k) worst = std::max(worst, std::fabs(b[k] - reference[k]));
      EXPECT_LT(worst, 2e-5);
      for (std::int32_t i = 0; i < 12; ++i) EXPECT_EQ(b[std::size_t(i) * 12 + std::size_t(i)], 0.0f);
      // Scores are x_u · B with the same weighting.
      for (std::int32_t u : {0, 7, 29}) {
        const auto s = scores_of(*model, u);
        for (std::int32_t j = 0; j < 12; ++j) {
          double expected = 0;
          const auto items = train.items_of(u);
          const auto values = train.values_of(u);
          for (std::size_t k = 0; k < items.size(); ++k) {
            const double x = w == 0 ? 1.0 : w == 1 ? std::log1p(double(values[k])) : double(values[k]);
            expected += x * reference[std::size_t(items[k]) * 12 + std::size_t(j)];
          }
          EXPECT_NEAR(s[std::size_t(j)], expected, 1e-4 * std::max(1.0, std::fabs(expected)));
        }
      }
    }
  }
}

TEST(Ease_Fit, AutoPicksWoodburyWhenUsersAreFewAndDenseOtherwise) {
  const auto few_users = fitted("ease", random_feedback(10, 60, 0.2, 3));
  EXPECT_EQ(dynamic_cast<const Ease&>(*few_users).solver_used(), "woodbury");
  const auto many_users = fitted("ease", random_feedback(200, 20, 0.2, 3));
  EXPECT_EQ(dynamic_cast<const Ease&>(*many_users).solver_used(), "dense");
}

TEST(Ease_Score, FoldInOfAKnownHistoryEqualsScoreUsers) {
  const FeedbackMatrix train = random_feedback(40, 25, 0.25, 11);
  const auto model = fitted("ease:lambda=5,weighting=log", train);
  const std::int32_t user = 17;
  const auto expected = scores_of(*model, user);
  std::vector<float> folded(25);
  model->score_history(train.items_of(user), train.values_of(user), folded.data());
  EXPECT_EQ(folded, expected);
  // Same list through recommend_from_history as through recommend.
  const auto known = model->recommend(user, 5);
  const auto unseen = model->recommend_from_history(train.items_of(user), train.values_of(user), 5);
  EXPECT_EQ(known, unseen);
}

TEST(Ease_Explain, SharesComeFromHistoryItemsAndSumToAtMostOne) {
  const FeedbackMatrix train = random_feedback(40, 25, 0.25, 5);
  const auto model = fitted("ease:lambda=2", train);
  const std::int32_t user = 3;
  const auto top = model->recommend(user, 1);
  ASSERT_EQ(top.size(), 1u);
  const Explanation why = model->explain(user, top[0].item);
  EXPECT_NEAR(why.score, top[0].score, 1e-5);
  ASSERT_FALSE(why.contributions.empty());
  double sum = 0;
  const auto items = train.items_of(user);
  for (const Contribution& c : why.contributions) {
    EXPECT_TRUE(std::binary_search(items.begin(), items.end(), c.item));
    EXPECT_GT(c.share, 0.0f);
    sum += c.share;
  }
  EXPECT_LE(sum, 1.0 + 1e-5);
  for (std::size_t k = 1; k < why.contributions.size(); ++k)
    EXPECT_GE(why.contributions[k - 1].share, why.contributions[k].share);
}

TEST(Ease_Similar, RanksByTheItemsColumnOfB) {
  const FeedbackMatrix train = random_feedback(40, 25, 0.25, 9);
  const auto model = fitted("ease:lambda=3", train);
  const auto& b = ease_weights(*model);
  const auto list = model->similar_items(4, 3);
  ASSERT_EQ(list.size(), 3u);
  for (const ScoredItem& s : list) {
    EXPECT_NE(s.item, 4);
    EXPECT_EQ(s.score, b[std::size_t(s.item) * 25 + 4]);
  }
  for (std::int32_t j = 0; j < 25; ++j)
    if (j != 4 && j != list[0].item) {
      EXPECT_LE(b[std::size_t(j) * 25 + 4], list[0].score);
    }
}

TEST(Ease_File, SaveLoadRoundTripKeepsWeightsAndScores) {
  TempDir dir;
  const FeedbackMatrix train = random_feedback(30, 15, 0.3, 2);
  const auto model = fitted("ease:lambda=4,weighting=raw", train);
  model->save(dir.file("ease.model"));
  const auto loaded = Recommender::load(dir.file("ease.model"));
  EXPECT_EQ(loaded->params(), model->params());
  EXPECT_EQ(ease_weights(*loaded), ease_weights(*model));
  for (std::int32_t u = 0; u < 30; ++u) EXPECT_EQ(scores_of(*loaded, u), scores_of(*model, u));
}

TEST(Ease_Memory, OverTheLimitIsAUsageErrorSayingHowManyItemsFit) {
  const FeedbackMatrix train = random_feedback(30, 2000, 0.01, 1);
  try {
    fitted("ease:max_memory_gb=0.001", train);  // 2000² floats = 15.3 MiB > 1.02 MiB
    ADD_FAILURE() << "expected UsageError";
  } catch (const UsageError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("max_memory_gb"), std::string::npos) << what;
    EXPECT_NE(what.find("at most 518 items"), std::string::npos) << what;  // sqrt(0.001 GiB / 4 B)
    EXPECT_NE(what.find("kcore"), std::string::npos) << what;
  }
}

TEST(Ease_BadInput, ParametersOutOfRangeNameTheParameter) {
  register_models();
  for (const char* spec : {"ease:lambda=-1", "ease:lambda=nan", "ease:lambda=0", "ease:lambda=inf"}) {
    try {
      make_recommender(spec);
      ADD_FAILURE() << spec;
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("lambda"), std::string::npos) << error.what();
    }
  }
  EXPECT_THROW(make_recommender("ease:weighting=squared"), UsageError);
  EXPECT_THROW(make_recommender("ease:solver=svd"), UsageError);
  EXPECT_THROW(make_recommender("ease:max_memory_gb=0"), UsageError);
}

TEST(Ease_BadInput, FailedCholeskyIsAClearErrorNamingLambda) {
  std::vector<float> indefinite{1, 2, 2, 1};
  try {
    ease_weights_from_gram(indefinite, 2, 1);
    ADD_FAILURE() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("lambda"), std::string::npos) << error.what();
  }
}

// Woodbury: LAPACK runs on one thread and every other step sums each row in a
// fixed order, so the weights are bitwise the same for any thread count. Dense:
// OpenBLAS's multi-threaded Cholesky rounds differently per thread count, so
// only agreement to float precision is promised.
TEST(Ease_Threads, OneAndTwoThreadsGiveTheSameWeights) {
  ThreadPool one(1);
  ThreadPool two(2);
  const FeedbackMatrix train = random_feedback(300, 500, 0.03, 4);
  const auto a = fitted("ease:lambda=10,solver=woodbury", train, &one);
  const auto b = fitted("ease:lambda=10,solver=woodbury", train, &two);
  EXPECT_EQ(ease_weights(*a), ease_weights(*b));
  const auto c = fitted("ease:lambda=10,solver=dense", train, &one);
  const auto d = fitted("ease:lambda=10,solver=dense", train, &two);
  const auto& wc = ease_weights(*c);
  const auto& wd = ease_weights(*d);
  ASSERT_EQ(wc.size(), wd.size());
  double worst = 0;
  for (std::size_t k = 0; k < wc.size(); ++k) worst = std::max(worst, double(std::fabs(wc[k] - wd[k])));
  EXPECT_LT(worst, 1e-5);
  const auto e = fitted("ease:lambda=10,solver=dense", train, &two);
  EXPECT_EQ(ease_weights(*d), ease_weights(*e));  // same thread count: same bits
  double gap = 0;
  const auto wa = ease_weights(*a);  // a copy: hoisted out of the loop
  for (std::size_t k = 0; k < wc.size(); ++k) gap = std::max(gap, double(std::fabs(wc[k] - wa[k])));
  EXPECT_LT(gap, 1e-5);  // and both solvers agree
}

// ---- rp3beta ----

// X (binary): user 0 {0, 1}, user 1 {0, 2}, user 2 {1}.
// P_ui rows: u0 [.5 .5 0], u1 [.5 0 .5], u2 [0 1 0]; degrees 2, 2, 1, so
// P_iu: item 0 → u0, u1 at .5; item 1 → u0, u2 at .5; item 2 → u1 at 1.
// alpha = 1: row 0 = .5·u0 + .5·u1 = [.5 .25 .25], row 1 = [.25 .75 0],
// row 2 = [.5 0 .5]; diagonal zeroed; beta = 1 divides column j by degree j:
//   W = [[0, .125, .25], [.125, 0, 0], [.25, 0, 0]].
FeedbackMatrix rp3_train() {
  const std::vector<FeedbackEntry> entries{{0, 0, 4.0f}, {0, 1, 1.0f}, {1, 0, 2.0f}, {1, 2, 9.0f}, {2, 1, 3.0f}};
  return build_feedback(3, 3, entries);
}

std::vector<float> dense(const SparseRows& w) {
  std::vector<float> out(std::size_t(w.n_rows) * std::size_t(w.n_cols), 0.0f);
  for (std::int32_t r = 0; r < w.n_rows; ++r)
    for (std::int64_t k = w.indptr[r]; k < w.indptr[r + 1]; ++k)
      out[std::size_t(r) * std::size_t(w.n_cols) + std::size_t(w.indices[k])] = w.values[k];
  return out;
}

const SparseRows& rp3_weights(const Recommender& model) { return dynamic_cast<const Rp3Beta&>(model).weights(); }

TEST(Rp3Beta_Fit, TinyCaseMatchesTheHandComputedGraph) {
  const auto model = fitted("rp3beta:alpha=1,beta=1,k=10", rp3_train());
  EXPECT_EQ(dense(rp3_weights(*model)), (std::vector<float>{0, 0.125f, 0.25f, 0.125f, 0, 0, 0.25f, 0, 0}));
  // User 0 (items 0, 1): rows 0 + 1 = [.125, .125, .25].
  EXPECT_EQ(scores_of(*model, 0), (std::vector<float>{0.125f, 0.125f, 0.25f}));
  // beta = 0: row 0 = [0 .25 .25]; k = 1 keeps the lower id of the tie.
  const auto plain = fitted("rp3beta:alpha=1,beta=0,k=1", rp3_train());
  EXPECT_EQ(dense(rp3_weights(*plain)), (std::vector<float>{0, 0.25f, 0, 0.25f, 0, 0, 0.5f, 0, 0}));
  // alpha = 2 squares both transitions: row 0 = .25·[.25 .25 0] + .25·[.25 0 .25].
  const auto squared = fitted("rp3beta:alpha=2,beta=0,k=10", rp3_train());
  EXPECT_EQ(dense(rp3_weights(*squared))[1], 0.0625f);
  EXPECT_EQ(dense(rp3_weights(*squared))[2], 0.0625f);
  // normalize: row 0 [0 .125 .25] → [0 1/3 2/3].
  const auto normalized = fitted("rp3beta:alpha=1,beta=1,k=10,normalize=true", rp3_train());
  EXPECT_NEAR(dense(rp3_weights(*normalized))[1], 1.0 / 3.0, 1e-7);
  EXPECT_NEAR(dense(rp3_weights(*normalized))[2], 2.0 / 3.0, 1e-7);
  EXPECT_EQ(dense(rp3_weights(*normalized))[3], 1.0f);
}

TEST(Rp3Beta_Fit, KeepsAtMostKNeighboursAndNoSelfLoops) {
  const FeedbackMatrix train = random_feedback(60, 40, 0.2, 21);
  const auto model = fitted("rp3beta:k=5", train);
  const SparseRows& w = rp3_weights(*model);
  EXPECT_NO_THROW(w.validate("w"));
  for (std::int32_t i = 0; i < 40; ++i) {
    EXPECT_LE(w.count(i), 5);
    for (std::int32_t j : w.row_indices(i)) EXPECT_NE(j, i);
  }
}

TEST(Rp3Beta_Score, FoldInOfAKnownHistoryEqualsScoreUsers) {
  const FeedbackMatrix train = random_feedback(50, 30, 0.2, 8);
  const auto model = fitted("rp3beta:weighting=log,k=10", train);
  for (std::int32_t user : {0, 13, 49}) {
    std::vector<float> folded(30);
    model->score_history(train.items_of(user), train.values_of(user), folded.data());
    EXPECT_EQ(folded, scores_of(*model, user));
  }
  const Explanation why = model->explain(13, model->recommend(13, 1)[0].item);
  EXPECT_FALSE(why.contributions.empty());
  double sum = 0;
  for (const Contribution& c : why.contributions) sum += c.share;
  EXPECT_NEAR(sum, 1.0, 1e-5);  // all contributions are positive
}

TEST(Rp3Beta_File, SaveLoadRoundTripKeepsTheGraph) {
  TempDir dir;
  const FeedbackMatrix train = random_feedback(50, 30, 0.2, 12);
  const auto model = fitted("rp3beta:alpha=0.7,beta=0.3,k=7,normalize=true", train);
  model->save(dir.file("rp3.model"));
  const auto loaded = Recommender::load(dir.file("rp3.model"));
  EXPECT_EQ(loaded->params(), model->params());
  EXPECT_EQ(dense(rp3_weights(*loaded)), dense(rp3_weights(*model)));
  for (std::int32_t u = 0; u < 50; ++u) EXPECT_EQ(scores_of(*loaded, u), scores_of(*model, u));
}

TEST(Rp3Beta_BadInput, ParametersOutOfRangeNameTheParameter) {
  register_models();
  const std::pair<const char*, const char*> cases[] = {
      {"rp3beta:k=0", "k"}, {"rp3beta:k=-3", "k"}, {"rp3beta:alpha=nan", "alpha"},
      {"rp3beta:alpha=-1", "alpha"}, {"rp3beta:beta=-0.5", "beta"}, {"rp3beta:weighting=x", "weighting"}};
  for (const auto& [spec, key] : cases) {
    try {
      make_recommender(spec);
      ADD_FAILURE() << spec;
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << error.what();
    }
  }
}

TEST(Rp3Beta_Threads, OneAndTwoThreadsGiveTheSameGraph) {
  ThreadPool one(1);
  ThreadPool two(2);
  const FeedbackMatrix train = random_feedback(200, 300, 0.05, 6);
  const auto a = fitted("rp3beta:k=20", train, &one);
  const auto b = fitted("rp3beta:k=20", train, &two);
  EXPECT_EQ(rp3_weights(*a).indptr, rp3_weights(*b).indptr);
  EXPECT_EQ(rp3_weights(*a).indices, rp3_weights(*b).indices);
  EXPECT_EQ(rp3_weights(*a).values, rp3_weights(*b).values);
}

}  // namespace
}  // namespace segue

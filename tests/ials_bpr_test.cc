// Tests of ials and bpr: the CG half-step against a direct solve, known
// rankings on block-structured data, determinism under a seed with one
// thread, model files, divergence errors, fold-in and bad parameters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "data/error.h"
#include "eval/tuner.h"
#include "models/factorization/bpr.h"
#include "models/factorization/ials.h"
#include "models/registry.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::TempDir;

void register_models() {
  register_model(ials_info());
  register_model(bpr_info());
}

std::unique_ptr<FactorModel> make(const std::string& spec) {
  register_models();
  std::unique_ptr<Recommender> model = make_recommender(spec);
  return std::unique_ptr<FactorModel>(dynamic_cast<FactorModel*>(model.release()));
}

// Two taste groups: users 0–5 listen to items 0–3, users 6–11 to items 4–7
// (play counts 1–5). User 0 lacks item 3 and user 6 lacks item 7: the one
// unseen item of their own group must come first.
FeedbackMatrix blocks() {
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < 12; ++u) {
    const std::int32_t first = u < 6 ? 0 : 4;
    for (std::int32_t i = first; i < first + 4; ++i) {
      if ((u == 0 && i == 3) || (u == 6 && i == 7)) continue;
      entries.push_back({u, i, static_cast<float>(1 + (u + i) % 5)});
    }
  }
  // Two items nobody in particular listens to, so "unseen" is not just one item.
  entries.push_back({3, 8, 1.0f});
  entries.push_back({9, 9, 1.0f});
  return build_feedback(12, 10, entries);
}

std::vector<float> all_scores(const Recommender& model) {
  std::vector<std::int32_t> users(static_cast<std::size_t>(model.n_users()));
  for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<std::int32_t>(u);
  std::vector<float> out(users.size() * static_cast<std::size_t>(model.n_items()));
  model.score_users(users, out.data());
  return out;
}

// ---- ials ----

TEST(IalsHalfStep, ConjugateGradientReachesTheDirectDoubleSolve) {
  // 4 rows × 5 columns of confidences, f = 3; with f CG steps (here 3·f for
  // rounding) CG solves the f × f system exactly.
  const std::int32_t f = 3;
  SparseRows rows;
  rows.n_rows = 4;
  rows.n_cols = 5;
  rows.indptr = {0, 2, 5, 5, 7};  // row 2 has no items: its solution is 0
  rows.indices = {0, 3, 1, 2, 4, 0, 4};
  rows.values = {2.0f, 5.0f, 1.5f, 3.0f, 11.0f, 1.0f, 7.0f};
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> y(5 * f), x(4 * f);
  for (float& v : y) v = normal(rng);
  for (float& v : x) v = normal(rng);
  std::vector<float> gram;
  ials_gram(y.data(), 5, f, gram);
  for (const float exponent : {0.0f, 1.0f}) {
    const float reg = 0.3f;
    std::vector<float> solved = x;
    ThreadPool pool(2);
    ials_half_step(rows, y.data(), gram.data(), f, reg, exponent, 3 * f, solved.data(), &pool);
    for (std::int32_t r = 0; r < 4; ++r) {
      // A = YᵀY + Σ (c − 1) y yᵀ + λ I, b = Σ c y, solved by Gaussian elimination in double.
      double a[3][4] = {};
      for (int i = 0; i < 5; ++i)
        for (int p = 0; p < f; ++p)
          for (int q = 0; q < f; ++q) a[p][q] += double(y[i * f + p]) * y[i * f + q];
      const std::int64_t n = rows.indptr[r + 1] - rows.indptr[r];
      const double lambda = reg * std::pow(std::max<double>(1, n), exponent);
      for (int p = 0; p < f; ++p) a[p][p] += lambda;
      for (std::int64_t e = rows.indptr[r]; e < rows.indptr[r + 1]; ++e) {
        const float* yi = y.data() + rows.indices[e] * f;
        const double c = rows.values[e];
        for (int p = 0; p < f; ++p) {
          a[p][3] += c * yi[p];
          for (int q = 0; q < f; ++q) a[p][q] += (c - 1) * yi[p] * yi[q];
        }
      }
      for (int p = 0; p < f; ++p)
        for (int q = p + 1; q < f; ++q) {
          const double m = a[q][p] / a[p][p];
          for (int k = p; k <= f; ++k) a[q][k] -= m * a[p][k];
        }
      double exact[3];
      for (int p = f - 1; p >= 0; --p) {
        double s = a[p][3];
        for (int k = p + 1; k < f; ++k) s -= a[p][k] * exact[k];
        exact[p] = s / a[p][p];
      }
      for (int p = 0; p < f; ++p)
        EXPECT_NEAR(solved[r * f + p], exact[p], 1e-4 * (1 + std::abs(exact[p])))
            << "row " << r << " dim " << p << " reg_exponent " << exponent;
    }
  }
}

TEST(Ials_Fit, RanksTheMissingItemOfTheUsersGroupFirst) {
  const auto model = make("ials:factors=4,iterations=20,alpha=2,reg=0.1");
  model->fit(blocks());
  EXPECT_EQ(model->recommend(0, 1).at(0).item, 3);
  EXPECT_EQ(model->recommend(6, 1).at(0).item, 7);
}

TEST(Ials_Fit, IsDeterministicUnderASeedWithOneThread) {
  ThreadPool one(1);
  FitContext context;
  context.pool = &one;
  const auto a = make("ials:factors=8,iterations=5,seed=7");
  const auto b = make("ials:factors=8,iterations=5,seed=7");
  const auto c = make("ials:factors=8,iterations=5,seed=8");
  a->fit(blocks(), context);
  b->fit(blocks(), context);
  c->fit(blocks(), context);
  EXPECT_EQ(a->user_factors(), b->user_factors());
  EXPECT_EQ(a->item_factors(), b->item_factors());
  EXPECT_NE(a->item_factors(), c->item_factors());
}

TEST(Ials_Fit, SameResultWithOneOrTwoThreads) {
  // Rows are independent within a half-step, so the thread count does not matter.
  ThreadPool one(1), two(2);
  FitContext c1, c2;
  c1.pool = &one;
  c2.pool = &two;
  const auto a = make("ials:factors=8,iterations=5");
  const auto b = make("ials:factors=8,iterations=5");
  a->fit(blocks(), c1);
  b->fit(blocks(), c2);
  EXPECT_EQ(a->item_factors(), b->item_factors());
}

TEST(Ials_Model, SaveLoadRoundTripGivesIdenticalScores) {
  const auto model = make("ials:factors=5,iterations=4");
  model->fit(blocks());
  TempDir dir;
  const std::string path = dir.file("ials.model");
  model->save(path);
  const std::unique_ptr<Recommender> loaded = Recommender::load(path);
  EXPECT_EQ(loaded->params(), model->params());
  EXPECT_EQ(all_scores(*loaded), all_scores(*model));
  // Fold-in needs VᵀV, rebuilt on load.
  const std::vector<std::int32_t> items{0, 1};
  const std::vector<float> weights{3, 1};
  EXPECT_EQ(loaded->recommend_from_history(items, weights, 5), model->recommend_from_history(items, weights, 5));
}

TEST(Ials_FoldIn, ReproducesATrainedUsersScores) {
  // Converged training (many exact CG steps): the user's vector is the solution
  // of the same weighted least squares the fold-in solves.
  const auto model = make("ials:factors=4,iterations=60,cg_steps=20,reg=0.1");
  const FeedbackMatrix train = blocks();
  model->fit(train);
  for (const std::int32_t user : {0, 6, 9}) {
    std::vector<float> folded(static_cast<std::size_t>(model->n_items()));
    model->score_history(train.items_of(user), train.values_of(user), folded.data());
    std::vector<float> trained(folded.size());
    model->score_users(std::span<const std::int32_t>(&user, 1), trained.data());
    for (std::size_t i = 0; i < folded.size(); ++i)
      EXPECT_NEAR(folded[i], trained[i], 1e-2) << "user " << user << " item " << i;
  }
}

// "Because you played X": the fold-in score split over the history's items (Hu, Koren & Volinsky 2008).
TEST(Ials_Explain, AttributesAPickToTheListenersOwnTasteGroup) {
  const auto model = make("ials:factors=4,iterations=20,alpha=2,reg=0.1");
  model->fit(blocks());
  for (const auto& [user, item] : {std::pair{0, 3}, std::pair{6, 7}}) {
    const Explanation why = model->explain(user, item);
    ASSERT_FALSE(why.contributions.empty()) << "user " << user << ": " << why.note;
    EXPECT_TRUE(why.note.empty()) << why.note;
    // The shares: of the positive terms, largest first, summing to 1 over at most ten items of the history.
    double total = 0;
    for (std::size_t k = 0; k < why.contributions.size(); ++k) {
      total += why.contributions[k].share;
      if (k > 0) EXPECT_GE(why.contributions[k - 1].share, why.contributions[k].share);
      const auto played = model->history().row_indices(user);
      EXPECT_TRUE(std::binary_search(played.begin(), played.end(), why.contributions[k].item)) << "not a played item";
    }
    EXPECT_NEAR(total, 1.0, 1e-4);
    // The group's own items explain the group's missing item.
    const std::int32_t first = user < 6 ? 0 : 4;
    EXPECT_GE(why.contributions[0].item, first);
    EXPECT_LT(why.contributions[0].item, first + 4);
    std::vector<float> row(static_cast<std::size_t>(model->n_items()));
    model->score_users(std::span<const std::int32_t>(&user, 1), row.data());
    EXPECT_FLOAT_EQ(why.score, row[static_cast<std::size_t>(item)]);
  }
}

TEST(Ials_Fit, DivergenceNamesTheIteration) {
  // Confidence 1 + 1e6 · 1e35 overflows float: the factors become NaN.
  const auto model = make("ials:factors=4,iterations=3,alpha=1e6,confidence=linear");
  const std::vector<FeedbackEntry> entries{{0, 0, 1e35f}, {0, 1, 1.0f}, {1, 1, 2.0f}};
  try {
    model->fit(build_feedback(2, 3, entries));
    FAIL() << "expected an error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("iteration 1"), std::string::npos) << error.what();
  }
}

// The default alpha scales with the data: the mean confidence alpha·f(weight) over the training positives is
// confidence_mean whatever the scale of the weights (play counts, binary playlists).
TEST(Ials_DefaultAlpha, MeanConfidenceIsConfidenceMeanWhateverTheWeights) {
  const std::vector<std::vector<float>> datasets = {
      {1, 1, 1, 1}, {1, 2, 3, 1000, 5000}, {0.5f, 0.25f}, {7, 7, 7}};
  for (const bool log : {true, false}) {
    for (const auto& weights : datasets) {
      const float alpha = ials_derived_alpha(22, log, weights);
      double mean = 0;
      for (float w : weights) mean += alpha * (log ? std::log1p(double(w)) : double(w));
      mean /= static_cast<double>(weights.size());
      EXPECT_NEAR(mean, 22.0, 1e-4) << "log " << log << " first weight " << weights[0];
    }
  }
  EXPECT_NEAR(ials_derived_alpha(22, true, std::vector<float>{1, 1}), 22 / std::log(2.0), 1e-4);
  // Non-positive weights are not positives; none at all: confidence_mean itself.
  EXPECT_NEAR(ials_derived_alpha(22, true, std::vector<float>{1, -1, 0}), 22 / std::log(2.0), 1e-4);
  EXPECT_EQ(ials_derived_alpha(22, true, std::vector<float>{}), 22.0f);
}

double fit_stat(const Recommender& model, const std::string& name) {
  for (const auto& [key, value] : model.fit_stats())
    if (key == name) return value;
  return std::nan("");
}

TEST(Ials_DefaultAlpha, FitDerivesAlphaFromTheDataAndAnExplicitAlphaIsKept) {
  const auto model = make("ials:factors=4,iterations=2");
  EXPECT_EQ(model->params().get_float("alpha"), -1.0);
  EXPECT_EQ(model->params().get_float("confidence_mean"), kIalsDefaultConfidenceMean);
  // Binary data: f = log 2 for every pair.
  const std::vector<FeedbackEntry> binary{{0, 0, 1}, {0, 1, 1}, {1, 1, 1}, {1, 2, 1}};
  model->fit(build_feedback(2, 3, binary));
  EXPECT_NEAR(fit_stat(*model, "alpha"), kIalsDefaultConfidenceMean / std::log(2.0), 1e-3);
  // Play counts ten times larger: a smaller alpha, the same mean confidence.
  const std::vector<FeedbackEntry> counts{{0, 0, 10}, {0, 1, 10}, {1, 1, 10}, {1, 2, 10}};
  model->fit(build_feedback(2, 3, counts));
  EXPECT_NEAR(fit_stat(*model, "alpha"), kIalsDefaultConfidenceMean / std::log(11.0), 1e-3);
  // An explicit alpha (every spec written before the rule) keeps its meaning.
  const auto fixed = make("ials:factors=4,iterations=2,alpha=4");
  fixed->fit(build_feedback(2, 3, counts));
  EXPECT_EQ(fit_stat(*fixed, "alpha"), 4.0);
  EXPECT_FLOAT_EQ(dynamic_cast<const ImplicitAls&>(*fixed).confidence(10), 1 + 4 * std::log1p(10.0f));
}

TEST(Ials_Params, BadValuesAreUsageErrorsNamingTheParameter) {
  register_models();
  for (const std::string bad : {"factors=0", "factors=-3", "reg=-0.1", "alpha=nan", "alpha=-2", "alpha=-0.5", "confidence_mean=-1", "iterations=0",
                                "cg_steps=0", "confidence=sqrt", "reg_exponent=3"}) {
    const std::string key = bad.substr(0, bad.find('='));
    try {
      make("ials:" + bad);
      ADD_FAILURE() << bad << ": no error";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << bad << ": " << error.what();
    }
  }
}

// ---- bpr ----

TEST(Bpr_Fit, RanksTheMissingItemOfTheUsersGroupFirst) {
  for (const std::string sampling : {"uniform", "popularity"}) {
    const auto model = make("bpr:factors=8,epochs=400,learning_rate=0.05,reg=0.001,sampling=" + sampling);
    model->fit(blocks());
    EXPECT_EQ(model->recommend(0, 1).at(0).item, 3) << sampling;
    EXPECT_EQ(model->recommend(6, 1).at(0).item, 7) << sampling;
  }
}

TEST(Bpr_Fit, SkipsAreHardNegatives) {
  // Users 0–3 like items 0 and 1; users 1–3 also like item 2 or 3, and the
  // skip data says user 0 skipped item 2: with skips as negatives, item 3
  // ranks above item 2 for user 0.
  const std::vector<FeedbackEntry> entries{{0, 0, 1}, {0, 1, 1},  {1, 0, 1}, {1, 1, 1}, {1, 2, 1}, {1, 3, 1},
                                           {2, 0, 1}, {2, 1, 1},  {2, 2, 1}, {2, 3, 1}, {3, 0, 1}, {3, 1, 1},
                                           {3, 2, 1}, {3, 3, 1},  {0, 2, -1}};
  const FeedbackMatrix train = build_feedback(4, 6, entries);
  ASSERT_EQ(train.negatives.nnz(), 1);
  const auto model = make("bpr:factors=4,epochs=300,sampling=uniform,skip_negatives=0.5,seed=1");
  model->fit(train);
  const std::vector<float> scores = all_scores(*model);
  EXPECT_GT(scores[3], scores[2]) << "item 3 " << scores[3] << ", skipped item 2 " << scores[2];
  EXPECT_EQ(model->recommend(0, 1).at(0).item, 3);
}

TEST(Bpr_Fit, IsDeterministicUnderASeedWithOneThread) {
  ThreadPool one(1);
  FitContext context;
  context.pool = &one;
  const auto a = make("bpr:factors=8,epochs=20,seed=5");
  const auto b = make("bpr:factors=8,epochs=20,seed=5");
  const auto c = make("bpr:factors=8,epochs=20,seed=6");
  a->fit(blocks(), context);
  b->fit(blocks(), context);
  c->fit(blocks(), context);
  EXPECT_EQ(a->user_factors(), b->user_factors());
  EXPECT_EQ(a->item_factors(), b->item_factors());
  EXPECT_NE(a->item_factors(), c->item_factors());
}

TEST(Bpr_Model, SaveLoadRoundTripGivesIdenticalScores) {
  const auto model = make("bpr:factors=6,epochs=10");
  model->fit(blocks());
  TempDir dir;
  const std::string path = dir.file("bpr.model");
  model->save(path);
  const std::unique_ptr<Recommender> loaded = Recommender::load(path);
  EXPECT_EQ(all_scores(*loaded), all_scores(*model));
  const std::vector<std::int32_t> items{4, 5};
  EXPECT_EQ(loaded->recommend_from_history(items, {}, 5), model->recommend_from_history(items, {}, 5));
}

TEST(Bpr_FoldIn, PutsTheUsersGroupFirst) {
  const auto model = make("bpr:factors=8,epochs=400,learning_rate=0.05,reg=0.001");
  const FeedbackMatrix train = blocks();
  model->fit(train);
  // User 0's history: the fold-in ranks the missing group item first, as the trained vector does.
  const auto folded = model->recommend_from_history(train.items_of(0), train.values_of(0), 1);
  EXPECT_EQ(folded.at(0).item, model->recommend(0, 1).at(0).item);
  const std::vector<std::int32_t> group_b{4, 5};
  const auto b = model->recommend_from_history(group_b, {}, 2);
  for (const ScoredItem& s : b) EXPECT_TRUE(s.item == 6 || s.item == 7) << s.item;
}

TEST(Bpr_Fit, DivergenceNamesTheEpoch) {
  const auto model = make("bpr:factors=4,epochs=5,learning_rate=1e6,init_std=1");
  try {
    model->fit(blocks());
    FAIL() << "expected an error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("epoch 1"), std::string::npos) << error.what();
  }
}

TEST(Bpr_Params, BadValuesAreUsageErrorsNamingTheParameter) {
  register_models();
  for (const std::string bad : {"factors=0", "reg=-1", "learning_rate=0", "learning_rate=nan", "epochs=0",
                                "sampling=hard", "skip_negatives=2"}) {
    const std::string key = bad.substr(0, bad.find('='));
    try {
      make("bpr:" + bad);
      ADD_FAILURE() << bad << ": no error";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << bad << ": " << error.what();
    }
  }
}

TEST(IalsBpr_Info, SearchSpacesParseAgainstTheDeclaredParameters) {
  register_models();
  EXPECT_NO_THROW(parse_search_space(ials_info().search_space, parse_spec("ials")));
  EXPECT_NO_THROW(parse_search_space(bpr_info().search_space, parse_spec("bpr")));
}

}  // namespace
}  // namespace segue

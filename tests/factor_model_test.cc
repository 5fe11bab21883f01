// Tests of FactorModel: SGEMM block scoring, top-k with exclusion, cosine
// similar items, least-squares fold-in and the model file round trip; and of
// the chunked fast path of the shared top-k on rows long enough to use it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "data/error.h"
#include "models/factorization/factor_model.h"
#include "io/model_file.h"
#include "models/registry.h"
#include "test_util.h"

namespace segue {
namespace {

using segue::testing::TempDir;

// A factor model whose factors are given by hand before fit().
class HandFactors final : public FactorModel {
 public:
  explicit HandFactors(const ModelSpec& spec) : FactorModel(spec) {}

  std::int32_t pending_factors = 0;
  std::vector<float> pending_users;
  std::vector<float> pending_items;

  void score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const override {
    std::vector<float> x(static_cast<std::size_t>(factors()));
    fold_in_least_squares(items, weights, 1e-6f, x);
    score_vector(x, out);
  }

 protected:
  void fit_model(const FeedbackMatrix&, const FitContext&) override {
    set_factors(pending_factors, pending_users, pending_items);
  }
};

std::unique_ptr<Recommender> make_hand_factors(const ModelSpec& spec) { return std::make_unique<HandFactors>(spec); }

void register_hand_factors() {
  register_model(ModelInfo{"test_hand_factors", "factors given by hand (tests only)", {}, &make_hand_factors, ""});
}

// U = [1 0; 0 1; 1 1], V = [1 0; 0 2; 3 1; -1 1], so the scores U·Vᵀ are
//   user 0: 1 0 3 -1    user 1: 0 2 1 1    user 2: 1 2 4 0
// Training items: user 0 has item 2, user 1 has item 1, user 2 has item 3.
std::unique_ptr<HandFactors> hand_model() {
  register_hand_factors();
  auto model = std::make_unique<HandFactors>(parse_spec("test_hand_factors"));
  model->pending_factors = 2;
  model->pending_users = {1, 0, 0, 1, 1, 1};
  model->pending_items = {1, 0, 0, 2, 3, 1, -1, 1};
  const std::vector<FeedbackEntry> train{{0, 2, 1.0f}, {1, 1, 1.0f}, {2, 3, 1.0f}};
  model->fit(build_feedback(3, 4, train));
  return model;
}

std::vector<std::int32_t> ids(const std::vector<ScoredItem>& list) {
  std::vector<std::int32_t> out;
  for (const ScoredItem& s : list) out.push_back(s.item);
  return out;
}

TEST(FactorModel_Score, BlockScoresAreTheHandComputedDotProducts) {
  const auto model = hand_model();
  const std::vector<std::int32_t> users{2, 0};  // not consecutive, not ascending
  std::vector<float> out(2 * 4, -99.0f);
  model->score_users(users, out.data());
  EXPECT_EQ(out, (std::vector<float>{1, 2, 4, 0, 1, 0, 3, -1}));
}

TEST(FactorModel_Score, RecommendExcludesTrainingItemsAndBreaksTiesByLowerId) {
  const auto model = hand_model();
  EXPECT_EQ(ids(model->recommend(0, 2)), (std::vector<std::int32_t>{0, 1}));      // item 2 (3) is seen
  EXPECT_EQ(ids(model->recommend(1, 3)), (std::vector<std::int32_t>{2, 3, 0}));   // 2 and 3 tie at 1
  EXPECT_EQ(ids(model->recommend(2, 10)), (std::vector<std::int32_t>{2, 1, 0}));  // clamped, item 3 seen
  EXPECT_EQ(ids(model->recommend(0, 4, false)), (std::vector<std::int32_t>{2, 0, 1, 3}));
}

TEST(FactorModel_Score, MatchesDotProductsOnARectangularRandomModel) {
  register_hand_factors();
  HandFactors model(parse_spec("test_hand_factors"));
  const std::int32_t users = 37, items = 53, f = 5;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (std::int32_t i = 0; i < users * f; ++i) model.pending_users.push_back(normal(rng));
  for (std::int32_t i = 0; i < items * f; ++i) model.pending_items.push_back(normal(rng));
  model.pending_factors = f;
  model.fit(build_feedback(users, items, std::vector<FeedbackEntry>{}));
  const std::vector<std::int32_t> block{36, 3, 4, 5, 0};
  std::vector<float> out(block.size() * items);
  model.score_users(block, out.data());
  for (std::size_t r = 0; r < block.size(); ++r)
    for (std::int32_t i = 0; i < items; ++i) {
      float dot = 0;
      for (std::int32_t k = 0; k < f; ++k)
        dot += model.user_factors()[block[r] * f + k] * model.item_factors()[i * f + k];
      EXPECT_NEAR(out[r * items + i], dot, 1e-4f) << "user " << block[r] << " item " << i;
    }
}

TEST(FactorModel_Similar, RanksItemsByCosineOfTheirVectors) {
  const auto model = hand_model();
  // V0 = (1,0): cos with V1 (0,2) = 0, V2 (3,1) = 3/√10, V3 (-1,1) = -1/√2.
  const auto similar = model->similar_items(0, 3);
  EXPECT_EQ(ids(similar), (std::vector<std::int32_t>{2, 1, 3}));
  EXPECT_NEAR(similar[0].score, 3.0 / std::sqrt(10.0), 1e-6);
  EXPECT_NEAR(similar[2].score, -1.0 / std::sqrt(2.0), 1e-6);
  EXPECT_THROW(model->similar_items(4, 3), UsageError);
}

TEST(FactorModel_FoldIn, LeastSquaresRecoversTheUserVector) {
  const auto model = hand_model();
  // Items 0 = (1,0) and 1 = (0,2) with weights 1 and 4: x = (1, 2) fits exactly.
  const std::vector<std::int32_t> items{0, 1};
  const std::vector<float> weights{1.0f, 4.0f};
  std::vector<float> x(2);
  model->fold_in_least_squares(items, weights, 1e-6f, x);
  EXPECT_NEAR(x[0], 1.0f, 1e-4f);
  EXPECT_NEAR(x[1], 2.0f, 1e-4f);
  // Scores of x: (1, 4, 5, 1); the history is excluded.
  EXPECT_EQ(ids(model->recommend_from_history(items, weights, 2)), (std::vector<std::int32_t>{2, 3}));
  EXPECT_THROW(model->fold_in_least_squares(items, weights, 0.0f, x), UsageError);
  const std::vector<std::int32_t> unknown{9};
  EXPECT_THROW(model->fold_in_least_squares(unknown, {}, 1.0f, x), UsageError);
}

TEST(FactorModel_Fit, RejectsFactorArraysOfTheWrongSize) {
  register_hand_factors();
  HandFactors model(parse_spec("test_hand_factors"));
  model.pending_factors = 2;
  model.pending_users = {1, 0, 0};  // 3 floats for 2 users x 2 factors
  model.pending_items = {1, 0};
  EXPECT_THROW(model.fit(build_feedback(2, 1, std::vector<FeedbackEntry>{})), std::invalid_argument);
}

TEST(FactorModel_File, SaveLoadRoundTripKeepsFactorsAndRankings) {
  const auto model = hand_model();
  TempDir dir;
  const std::string path = dir.file("hand.model");
  model->save(path);
  const std::unique_ptr<Recommender> loaded = Recommender::load(path);
  const auto* factors = dynamic_cast<const FactorModel*>(loaded.get());
  ASSERT_NE(factors, nullptr);
  EXPECT_EQ(factors->factors(), 2);
  EXPECT_EQ(factors->user_factors(), model->user_factors());
  EXPECT_EQ(factors->item_factors(), model->item_factors());
  for (std::int32_t u = 0; u < 3; ++u) EXPECT_EQ(loaded->recommend(u, 4), model->recommend(u, 4));
  EXPECT_EQ(loaded->similar_items(0, 3), model->similar_items(0, 3));
}

TEST(FactorModel_File, LoadRejectsNonFiniteFactorsNamingTheSection) {
  const auto model = hand_model();
  TempDir dir;
  const std::string path = dir.file("nan.model");
  {
    // Rewrite the file with a NaN in V, keeping everything else.
    const std::string good = dir.file("good.model");
    model->save(good);
    const ModelReader in(good);
    ModelWriter out(path);
    for (const char* s : {"recommender.spec", "recommender.user_ids.arena", "recommender.item_ids.arena"})
      out.put_string(s, in.get_string(s));
    for (const char* s : {"recommender.shape", "recommender.history.indptr"}) out.put(s, in.get<std::int64_t>(s));
    out.put("recommender.history.indices", in.get<std::int32_t>("recommender.history.indices"));
    out.put("recommender.history.values", in.get<float>("recommender.history.values"));
    out.put_scalar("recommender.fit_seconds", in.get_scalar<double>("recommender.fit_seconds"));
    for (const char* s : {"recommender.user_ids.offsets", "recommender.item_ids.offsets"})
      out.put(s, in.get<std::uint64_t>(s));
    out.put_scalar<std::int64_t>("test_hand_factors.factors", 2);
    out.put("test_hand_factors.user_factors", model->user_factors());
    std::vector<float> items = model->item_factors();
    items[3] = std::nanf("");
    out.put("test_hand_factors.item_factors", items);
    out.commit();
  }
  const InputError error = segue::testing::expect_input_error([&] { Recommender::load(path); });
  EXPECT_EQ(error.field(), "test_hand_factors.item_factors");
}

// The reference: every item not excluded, fully sorted by ranks_before, cut at k.
std::vector<std::int32_t> sorted_top_k(const std::vector<float>& scores, const std::vector<std::int32_t>& exclude,
                                       int k) {
  std::vector<ScoredItem> all;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i)
    if (!std::binary_search(exclude.begin(), exclude.end(), i)) all.push_back({i, scores[static_cast<std::size_t>(i)]});
  std::sort(all.begin(), all.end(), ranks_before);
  all.resize(std::min<std::size_t>(all.size(), static_cast<std::size_t>(k)));
  return ids(all);
}

// Long rows (many 16-score chunks) with ties, NaN, ±inf, and exclusion lists
// holding repeats and ids outside the row: the chunk-skipping scan must give
// exactly the full sort's order.
TEST(TopK_Chunked, MatchesAFullSortOnLongRowsWithSpecialValues) {
  std::mt19937 rng(11);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<ScoredItem> got;
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 3000);
    std::vector<float> scores(static_cast<std::size_t>(n));
    const int mode = trial % 4;  // 0: many ties, 1: continuous, 2: mostly NaN/-inf, 3: rising (heap churns)
    for (int i = 0; i < n; ++i) {
      const unsigned r = rng() % 100;
      float s = mode == 0 ? static_cast<float>(r % 7) : mode == 3 ? static_cast<float>(i) : static_cast<float>(r) / 7.0f;
      if (mode == 2 ? r < 80 : r == 0) s = r % 2 ? nan : -inf;
      if (r == 99 && mode != 3) s = inf;
      scores[static_cast<std::size_t>(i)] = s;
    }
    std::vector<std::int32_t> exclude{-3};
    for (int i = 0; i < n; ++i)
      if (rng() % 5 == 0) {
        exclude.push_back(i);
        if (rng() % 4 == 0) exclude.push_back(i);  // a repeat
      }
    exclude.push_back(n + 5);
    const int k = 1 + static_cast<int>(rng() % 40);
    top_k(scores, exclude, k, got);
    ASSERT_EQ(ids(got), sorted_top_k(scores, exclude, k)) << "trial " << trial << " n " << n << " k " << k;
  }
}

// Catalogue-sized rows take the sampled-threshold path (n >= 16384, k <= n/64):
// its list must equal the full sort's too, including rows where the threshold
// lets too few through (the top items excluded, mostly NaN, many +inf, ties
// at the threshold) and the exact path takes over.
TEST(TopK_Sampled, MatchesAFullSortOnCatalogueSizedRows) {
  std::mt19937 rng(23);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<ScoredItem> got;
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 16384 + static_cast<int>(rng() % 60000);
    std::vector<float> scores(static_cast<std::size_t>(n));
    // 0: ties, 1: continuous, 2: mostly NaN/-inf, 3: rising, 4: many +inf, 5: top items excluded
    const int mode = trial % 6;
    for (int i = 0; i < n; ++i) {
      const unsigned r = rng() % 1000;
      float s = mode == 0 ? static_cast<float>(r % 5) : mode == 3 || mode == 5 ? static_cast<float>(i) : static_cast<float>(r) / 7.0f;
      if (mode == 2 ? r < 990 : r == 0) s = r % 2 ? nan : -inf;
      if (mode == 4 ? r < 30 : r == 999 && mode != 3 && mode != 5) s = inf;
      scores[static_cast<std::size_t>(i)] = s;
    }
    std::vector<std::int32_t> exclude{-1};
    for (int i = 0; i < n; ++i)
      if (rng() % 9 == 0 || (mode == 5 && i >= n - 3000)) exclude.push_back(i);
    exclude.push_back(n);
    const int k = 1 + static_cast<int>(rng() % (n / 64));
    top_k(scores, exclude, k, got);
    ASSERT_EQ(ids(got), sorted_top_k(scores, exclude, k)) << "trial " << trial << " mode " << mode << " n " << n << " k " << k;
  }
}

// A row offered in slices of any width gives top_k's list of the whole row.
TEST(TopK_Selector, SlicedRowEqualsTheWholeRow) {
  std::mt19937 rng(5);
  std::vector<ScoredItem> whole, sliced;
  for (int trial = 0; trial < 100; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 500);
    std::vector<float> scores(static_cast<std::size_t>(n));
    for (float& s : scores) s = static_cast<float>(rng() % 50);
    if (trial % 5 == 0) scores[rng() % n] = std::numeric_limits<float>::quiet_NaN();
    std::vector<std::int32_t> exclude;
    for (int i = 0; i < n; ++i)
      if (rng() % 6 == 0) exclude.push_back(i);
    const int k = 1 + static_cast<int>(rng() % 30);
    top_k(scores, exclude, k, whole);
    sliced.assign(static_cast<std::size_t>(k), ScoredItem{});
    TopKSelector selector(sliced.data(), k);
    for (int first = 0; first < n;) {
      const int width = std::min(n - first, 1 + static_cast<int>(rng() % 40));
      selector.offer(first, std::span<const float>(scores.data() + first, width), exclude);
      first += width;
    }
    sliced.resize(static_cast<std::size_t>(selector.finish()));
    ASSERT_EQ(sliced, whole) << "trial " << trial;
  }
}

}  // namespace
}  // namespace segue

#include "eval/evaluator.h"

namespace segue {
namespace {

// The same model without its tile fast path: evaluate() then scores whole rows.
class WholeRows final : public Recommender {
 public:
  explicit WholeRows(const Recommender& inner) : Recommender(inner.params()), inner_(inner) {}
  void score_users(std::span<const std::int32_t> users, float* out) const override { inner_.score_users(users, out); }
  void score_history(std::span<const std::int32_t> items, std::span<const float> w, float* out) const override {
    inner_.score_history(items, w, out);
  }

 protected:
  void fit_model(const FeedbackMatrix&, const FitContext&) override {}
  void save_model(ModelWriter&) const override {}
  void load_model(const ModelReader&) override {}

 private:
  const Recommender& inner_;
};

// evaluate() goes through FactorModel::top_k_users (the fused kernel); the
// wrapper only has score_users, so it takes the whole-row path. 9,000 items:
// many panels and a partial last one.
TEST(FactorModel_Evaluate, FusedTopKGivesTheSameListsAsWholeRows) {
  register_hand_factors();
  const std::int32_t users = 40, items = 9000, f = 8;
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal;
  auto model = std::make_unique<HandFactors>(parse_spec("test_hand_factors"));
  model->pending_factors = f;
  for (std::int32_t i = 0; i < users * f; ++i) model->pending_users.push_back(normal(rng));
  for (std::int32_t i = 0; i < items * f; ++i) model->pending_items.push_back(normal(rng));
  std::vector<FeedbackEntry> train_entries, test_entries;
  for (std::int32_t u = 0; u < users; ++u)
    for (int j = 0; j < 30; ++j) {
      const auto item = static_cast<std::int32_t>(rng() % items);
      (j < 20 ? train_entries : test_entries).push_back({u, item, 1.0f});
    }
  const FeedbackMatrix train = build_feedback(users, items, train_entries);
  const FeedbackMatrix test = build_feedback(users, items, test_entries);
  model->fit(train);
  WholeRows plain(*model);
  plain.fit(train);
  EvalOptions options;
  options.metrics = {"ndcg@10", "recall@100", "map@100"};
  options.keep_lists = true;
  const EvalResult tiled = evaluate(*model, train, test, options);
  const EvalResult whole = evaluate(plain, train, test, options);
  ASSERT_EQ(tiled.users, whole.users);
  ASSERT_EQ(tiled.lists.size(), whole.lists.size());
  for (std::size_t i = 0; i < tiled.lists.size(); ++i) EXPECT_EQ(tiled.lists[i].item, whole.lists[i].item) << i;
  for (std::size_t m = 0; m < tiled.metrics.size(); ++m) EXPECT_EQ(tiled.metrics[m].values, whole.metrics[m].values);
}

}  // namespace
}  // namespace segue

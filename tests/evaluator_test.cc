// Tests of the full-ranking evaluator on hand-made train/test pairs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "data/error.h"
#include "eval/evaluator.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

// Scores item i as 1 - i/10 for every user: the ranking is 0, 1, 2, ...
class FixedRanking final : public Recommender {
 public:
  FixedRanking() : Recommender(ModelSpec("fixed", {})) {}
  void score_users(std::span<const std::int32_t> users, float* out) const override {
    for (std::size_t r = 0; r < users.size(); ++r) score_history({}, {}, out + r * n_items());
  }
  void score_history(std::span<const std::int32_t>, std::span<const float>, float* out) const override {
    for (std::int32_t i = 0; i < n_items(); ++i) out[i] = 1.0f - static_cast<float>(i) / 10.0f;
  }

 protected:
  void fit_model(const FeedbackMatrix&, const FitContext&) override {}
  void save_model(ModelWriter&) const override {}
  void load_model(const ModelReader&) override {}
};

// 4 users, 6 items.
//   user 0: train {0}, test {2, 5} → ranking 1,2,3 @3: hit at rank 2.
//           recall@3 = 1/2; ndcg@3 = (1/log2 3) / (1 + 1/log2 3) ≈ 0.386853
//   user 1: train {1}, test {1}    → repeat only: not evaluated
//   user 2: train {},  test {3}    → cold: not evaluated
//   user 3: train {5}, test {0, 1} → ranking 0,1,2: hits at 1, 2: recall 1, ndcg 1
// Means over users 0 and 3: recall@3 = 0.75, ndcg@3 ≈ 0.693426.
// coverage@3: lists {1,2,3} and {0,1,2} → 4 distinct of 6 items.
TEST(Evaluator_HandComputed, ReproducesNdcgAndRecall) {
  const FeedbackMatrix train = build_feedback(4, 6, std::vector<FeedbackEntry>{{0, 0, 1}, {1, 1, 1}, {3, 5, 1}});
  const FeedbackMatrix test =
      build_feedback(4, 6, std::vector<FeedbackEntry>{{0, 2, 1}, {0, 5, 1}, {1, 1, 1}, {2, 3, 1}, {3, 0, 1}, {3, 1, 1}});
  FixedRanking model;
  model.fit(train);
  EvalOptions options;
  options.metrics = {"recall@3", "ndcg@3", "coverage@3"};
  options.keep_lists = true;
  const EvalResult result = evaluate(model, train, test, options);
  EXPECT_EQ(result.users, (std::vector<std::int32_t>{0, 3}));
  EXPECT_EQ(result.test_users, 4);
  EXPECT_EQ(result.evaluated_users, 2);
  EXPECT_EQ(result.cold_users, 1);
  EXPECT_EQ(result.repeat_only_users, 1);
  const MetricResult* recall = result.find("recall@3");
  const MetricResult* ndcg = result.find("ndcg@3");
  ASSERT_NE(recall, nullptr);
  ASSERT_NE(ndcg, nullptr);
  EXPECT_EQ(recall->values, (std::vector<double>{0.5, 1.0}));
  EXPECT_DOUBLE_EQ(recall->mean, 0.75);
  const double user0 = (1.0 / std::log2(3.0)) / (1.0 + 1.0 / std::log2(3.0));
  EXPECT_NEAR(ndcg->values[0], user0, 1e-12);
  EXPECT_NEAR(ndcg->values[0], 0.386853, 1e-6);
  EXPECT_DOUBLE_EQ(ndcg->values[1], 1.0);
  EXPECT_NEAR(ndcg->mean, (user0 + 1.0) / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(result.find("coverage@3")->mean, 4.0 / 6.0);
  ASSERT_EQ(result.list_k, 3);
  EXPECT_EQ(result.lists[0].item, 1);  // user 0's list starts after the excluded item 0
  EXPECT_EQ(result.list_counts[1], 3);
}

TEST(Evaluator_Threads, OneAndTwoThreadsGiveIdenticalPerUserVectors) {
  std::mt19937 rng(11);
  std::vector<FeedbackEntry> train_entries;
  std::vector<FeedbackEntry> test_entries;
  for (std::int32_t u = 0; u < 300; ++u)
    for (int j = 0; j < 8; ++j)
      (j < 6 ? train_entries : test_entries).push_back({u, static_cast<std::int32_t>(rng() % 50), 1.0f});
  const FeedbackMatrix train = build_feedback(300, 50, train_entries);
  const FeedbackMatrix test = build_feedback(300, 50, test_entries);
  for (const char* spec : {"random:seed=3", "pop"}) {
    auto model = make_recommender(spec);
    model->fit(train);
    EvalOptions options;
    options.block_users = 7;  // many blocks, so both threads get work
    ThreadPool one(1);
    ThreadPool two(2);
    options.pool = &one;
    const EvalResult a = evaluate(*model, train, test, options);
    options.pool = &two;
    const EvalResult b = evaluate(*model, train, test, options);
    ASSERT_EQ(a.users, b.users);
    ASSERT_GT(a.evaluated_users, 200);
    for (std::size_t m = 0; m < a.metrics.size(); ++m) {
      EXPECT_EQ(a.metrics[m].values, b.metrics[m].values) << spec << " " << a.metrics[m].name;
      EXPECT_EQ(a.metrics[m].mean, b.metrics[m].mean);
    }
  }
}

TEST(Evaluator_Errors, MismatchedShapesAndBadMetricsAreUsageErrors) {
  const FeedbackMatrix train = build_feedback(2, 3, std::vector<FeedbackEntry>{{0, 0, 1}});
  const FeedbackMatrix other = build_feedback(2, 4, std::vector<FeedbackEntry>{{0, 1, 1}});
  auto model = make_recommender("pop");
  EXPECT_THROW(evaluate(*model, train, train), UsageError);  // not fitted
  model->fit(train);
  EXPECT_THROW(evaluate(*model, train, other), UsageError);
  EvalOptions options;
  options.metrics = {"ndcg@ten"};
  EXPECT_THROW(evaluate(*model, train, train, options), UsageError);
}

}  // namespace
}  // namespace segue

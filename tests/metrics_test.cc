// Tests of the ranking metrics against hand-computed values, and of metric names.
#include <gtest/gtest.h>

#include <cmath>

#include "data/error.h"
#include "eval/metrics.h"

namespace segue {
namespace {

// Ranked 10, 11, 12, 13, 14 with hits at ranks 1 (10) and 3 (12); relevant
// {10, 12, 20, 21} (|rel| = 4); k = 5. By hand:
//   precision@5 = 2/5 = 0.4
//   recall@5    = 2/4 = 0.5
//   hit@5       = 1
//   mrr@5       = 1/1 = 1
//   map@5       = (P@1 + P@3) / min(4, 5) = (1 + 2/3) / 4 = 5/12 ≈ 0.416667
//   ndcg@5      = (1/log2 2 + 1/log2 4) / (1/log2 2 + 1/log2 3 + 1/log2 4 + 1/log2 5)
//               = 1.5 / (1 + 0.630930 + 0.5 + 0.430677) = 1.5 / 2.561606 ≈ 0.585570
TEST(Metrics_HandComputed, HitsAtRanksOneAndThree) {
  const std::vector<std::int32_t> ranked{10, 11, 12, 13, 14};
  const std::vector<std::int32_t> relevant{10, 12, 20, 21};
  const UserRanking user{ranked, relevant};
  EXPECT_DOUBLE_EQ(precision_at_k(user, 5), 0.4);
  EXPECT_DOUBLE_EQ(recall_at_k(user, 5), 0.5);
  EXPECT_DOUBLE_EQ(hit_at_k(user, 5), 1.0);
  EXPECT_DOUBLE_EQ(mrr_at_k(user, 5), 1.0);
  EXPECT_NEAR(map_at_k(user, 5), 5.0 / 12.0, 1e-12);
  EXPECT_NEAR(ndcg_at_k(user, 5), 0.585570, 1e-6);
  // Cut at k = 2: only the hit at rank 1 counts; ideal has min(4, 2) = 2 hits.
  EXPECT_DOUBLE_EQ(precision_at_k(user, 2), 0.5);
  EXPECT_NEAR(map_at_k(user, 2), 1.0 / 2.0, 1e-12);
  EXPECT_NEAR(ndcg_at_k(user, 2), 1.0 / (1.0 + 1.0 / std::log2(3.0)), 1e-12);
}

TEST(Metrics_Edges, NoRelevantItemsGiveZero) {
  const std::vector<std::int32_t> ranked{1, 2, 3};
  const UserRanking user{ranked, {}};
  for (auto metric : {precision_at_k, recall_at_k, hit_at_k, mrr_at_k, map_at_k, ndcg_at_k})
    EXPECT_EQ(metric(user, 3), 0.0);
}

TEST(Metrics_Edges, FewerRecommendationsThanKStillDivideByK) {
  // Two items ranked for k = 10, both relevant; |rel| = 2.
  const std::vector<std::int32_t> ranked{4, 7};
  const std::vector<std::int32_t> relevant{4, 7};
  const UserRanking user{ranked, relevant};
  EXPECT_DOUBLE_EQ(precision_at_k(user, 10), 0.2);
  EXPECT_DOUBLE_EQ(recall_at_k(user, 10), 1.0);
  EXPECT_DOUBLE_EQ(map_at_k(user, 10), 1.0);
  EXPECT_DOUBLE_EQ(ndcg_at_k(user, 10), 1.0);
  // A miss list: nothing ranked at all.
  const UserRanking empty{{}, relevant};
  EXPECT_EQ(ndcg_at_k(empty, 10), 0.0);
  EXPECT_EQ(mrr_at_k(empty, 10), 0.0);
}

TEST(Metrics_Edges, MrrUsesTheFirstHitOnlyWithinK) {
  const std::vector<std::int32_t> ranked{1, 2, 3, 4};
  const std::vector<std::int32_t> relevant{3, 4};
  const UserRanking user{ranked, relevant};
  EXPECT_DOUBLE_EQ(mrr_at_k(user, 4), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(mrr_at_k(user, 2), 0.0);
  EXPECT_DOUBLE_EQ(hit_at_k(user, 2), 0.0);
}

TEST(Metrics_Names, ParseTheirCutOff) {
  const Metric m = parse_metric("ndcg@10");
  EXPECT_EQ(m.name, "ndcg@10");
  EXPECT_EQ(m.k, 10);
  EXPECT_TRUE(m.per_user());
  EXPECT_FALSE(parse_metric("coverage@5").per_user());
  EXPECT_EQ(parse_metrics("recall@20, hit@1").size(), 2u);
  auto error = [](std::string_view text) {
    try {
      parse_metric(text);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error("ndgc@10").find("'ndgc'"), std::string::npos);
  EXPECT_NE(error("ndcg").find("cut-off"), std::string::npos);
  EXPECT_NE(error("ndcg@0").find("cut-off"), std::string::npos);
  EXPECT_NE(error("ndcg@x").find("cut-off"), std::string::npos);
  EXPECT_NE(error("ndcg@10x").find("cut-off"), std::string::npos);
}

}  // namespace
}  // namespace segue

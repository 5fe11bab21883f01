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

// The same list as above (hits at ranks 1 and 3, |rel| = 4). By hand:
//   f1@5         = 2 · 0.4 · 0.5 / (0.4 + 0.5) = 4/9
//   rprecision@5 = hits in the top min(4, 5) = 4 {10, 12} / 4 = 0.5
//   rprecision@2 = hits in the top 2 {10} / 4 = 0.25 (the list is cut at k)
//   recall_min@2 = 1 / min(4, 2) = 0.5, while recall@2 = 1/4
//   clicks@5     = floor((1 - 1) / 10) = 0
TEST(Metrics_HandComputed, F1RPrecisionRecallMinAndClicks) {
  const std::vector<std::int32_t> ranked{10, 11, 12, 13, 14};
  const std::vector<std::int32_t> relevant{10, 12, 20, 21};
  const UserRanking user{ranked, relevant};
  EXPECT_NEAR(f1_at_k(user, 5), 4.0 / 9.0, 1e-12);
  EXPECT_DOUBLE_EQ(rprecision_at_k(user, 5), 0.5);
  EXPECT_DOUBLE_EQ(rprecision_at_k(user, 2), 0.25);
  EXPECT_DOUBLE_EQ(recall_min_at_k(user, 2), 0.5);
  EXPECT_DOUBLE_EQ(recall_at_k(user, 2), 0.25);
  EXPECT_DOUBLE_EQ(clicks_at_k(user, 5), 0.0);
  // A list missing every relevant item: precision = recall = 0, so F1 = 0.
  const std::vector<std::int32_t> misses{1, 2, 3};
  EXPECT_EQ(f1_at_k(UserRanking{misses, relevant}, 3), 0.0);
}

// Ranked 0..29; the only relevant item 25 sits at rank 26: clicks =
// floor(25 / 10) = 2 pages refreshed. Without a hit the challenge scores 51
// at k = 500 (the rules' "one more than the maximum"), floor(k/10) + 1 in general.
TEST(Metrics_HandComputed, ClicksCountPagesOfTenBeforeTheFirstHit) {
  std::vector<std::int32_t> ranked(30);
  for (std::int32_t i = 0; i < 30; ++i) ranked[i] = i;
  const std::vector<std::int32_t> at_26{25};
  EXPECT_DOUBLE_EQ(clicks_at_k(UserRanking{ranked, at_26}, 500), 2.0);
  EXPECT_DOUBLE_EQ(clicks_at_k(UserRanking{ranked, at_26}, 20), 3.0);  // not within 20: floor(20/10) + 1
  const std::vector<std::int32_t> absent{99};
  EXPECT_DOUBLE_EQ(clicks_at_k(UserRanking{ranked, absent}, 500), 51.0);
  EXPECT_DOUBLE_EQ(clicks_at_k(UserRanking{ranked, absent}, 30), 4.0);
  const std::vector<std::int32_t> at_10{9};
  EXPECT_DOUBLE_EQ(clicks_at_k(UserRanking{ranked, at_10}, 500), 0.0);  // rank 10 is still the first page
  EXPECT_TRUE(parse_metric("clicks@500").family->lower_is_better);
}

// Ranked 10, 11, 12; relevant {10, 12, 20} with test weights {1, 2, 3}, so
// gains 2^w - 1 = {1, 3, 7}. DCG@3 = 1/log2 2 + 3/log2 4 = 2.5; the ideal
// list puts the gains 7, 3, 1 first: 7 + 3/log2 3 + 1/2 = 9.392789;
// gndcg@3 = 2.5 / 9.392789 = 0.266162.
TEST(Metrics_HandComputed, GradedNdcgUsesExponentialGains) {
  const std::vector<std::int32_t> ranked{10, 11, 12};
  const std::vector<std::int32_t> relevant{10, 12, 20};
  const std::vector<float> weights{1, 2, 3};
  UserRanking user{ranked, relevant};
  user.weights = weights;
  EXPECT_NEAR(graded_ndcg_at_k(user, 3), 0.266162, 1e-6);
  // Without weights every gain is 2^1 - 1 = 1: graded NDCG equals binary NDCG.
  const UserRanking binary{ranked, relevant};
  EXPECT_DOUBLE_EQ(graded_ndcg_at_k(binary, 3), ndcg_at_k(binary, 3));
  // Huge weights stay finite (capped at kMaxGradedWeight).
  const std::vector<float> huge{5000, 1, 1};
  user.weights = huge;
  EXPECT_TRUE(std::isfinite(graded_ndcg_at_k(user, 3)));
  EXPECT_NEAR(graded_ndcg_at_k(user, 3), 1.0, 1e-6);  // the dominant item is at rank 1
}

TEST(Metrics_Names, ParseTheirCutOff) {
  const Metric m = parse_metric("ndcg@10");
  EXPECT_EQ(m.name, "ndcg@10");
  EXPECT_EQ(m.k, 10);
  EXPECT_TRUE(m.per_user());
  EXPECT_FALSE(parse_metric("coverage@5").per_user());
  EXPECT_EQ(parse_metrics("recall@20, hit@1").size(), 2u);
  for (const char* name : {"f1@10", "rprecision@10", "clicks@500", "gndcg@10", "recall_min@10", "novelty@10",
                           "arp@10", "ild@10", "unexpectedness@10"})
    EXPECT_TRUE(parse_metric(name).per_user()) << name;
  EXPECT_FALSE(parse_metric("gini@10").per_user());
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

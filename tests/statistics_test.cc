// Tests for eval/statistics: bootstrap intervals, paired tests, Holm, breakdowns.
#include "eval/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

TEST(BoundedDraw, StaysInRangeAndIsDeterministic) {
  std::mt19937_64 a(7), b(7);
  std::vector<int> seen(3, 0);
  for (int i = 0; i < 3000; ++i) {
    const auto x = bounded_draw(a, 3);
    ASSERT_LT(x, 3u);
    ASSERT_EQ(x, bounded_draw(b, 3));
    ++seen[x];
  }
  for (int c : seen) EXPECT_GT(c, 800);  // roughly uniform: 1000 expected each
  EXPECT_EQ(bounded_draw(a, 1), 0u);
}

TEST(BootstrapCI, CoversTheTrueMeanOfAKnownDistribution) {
  // 2000 draws of Uniform{0..9} (true mean 4.5, sd 2.87): the 95% CI has
  // half-width about 1.96 · 2.87 / sqrt(2000) = 0.126.
  std::mt19937_64 rng(123);
  std::vector<double> values(2000);
  for (double& v : values) v = static_cast<double>(bounded_draw(rng, 10));
  const MeanCI ci = bootstrap_mean_ci(values);
  EXPECT_LT(ci.lo, 4.5);
  EXPECT_GT(ci.hi, 4.5);
  EXPECT_LT(ci.lo, ci.mean);
  EXPECT_GT(ci.hi, ci.mean);
  EXPECT_NEAR(ci.hi - ci.lo, 2 * 0.126, 0.05);
}

TEST(BootstrapCI, SameSeedSameIntervalOtherSeedOther) {
  std::mt19937_64 rng(3);
  std::vector<double> values(40);
  for (double& v : values) v = static_cast<double>(bounded_draw(rng, 1000)) / 1000.0;
  const MeanCI a = bootstrap_mean_ci(values, {1000, 9, 0.95});
  const MeanCI b = bootstrap_mean_ci(values, {1000, 9, 0.95});
  const MeanCI c = bootstrap_mean_ci(values, {1000, 10, 0.95});
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_TRUE(a.lo != c.lo || a.hi != c.hi);
}

TEST(BootstrapCI, DoesNotDependOnTheThreadCount) {
  std::mt19937_64 rng(4);
  std::vector<double> values(500);
  for (double& v : values) v = static_cast<double>(bounded_draw(rng, 1000)) / 1000.0;
  set_default_threads(1);
  const MeanCI one = bootstrap_mean_ci(values);
  const double p_one = paired_test(values, std::vector<double>(values.rbegin(), values.rend())).bootstrap_p;
  set_default_threads(4);
  const MeanCI four = bootstrap_mean_ci(values);
  const double p_four = paired_test(values, std::vector<double>(values.rbegin(), values.rend())).bootstrap_p;
  set_default_threads(0);
  EXPECT_EQ(one.lo, four.lo);
  EXPECT_EQ(one.hi, four.hi);
  EXPECT_EQ(p_one, p_four);
}

TEST(BootstrapCI, ConstantVectorGivesZeroWidth) {
  // Every resample of a constant vector sums the same 50 numbers in the same
  // way, so every resample mean equals the mean bit for bit: lo == hi == mean.
  const std::vector<double> values(50, 0.3);
  const MeanCI ci = bootstrap_mean_ci(values);
  EXPECT_NEAR(ci.mean, 0.3, 1e-12);
  EXPECT_EQ(ci.lo, ci.mean);
  EXPECT_EQ(ci.hi, ci.mean);
}

TEST(BootstrapCI, EmptyAndBadInput) {
  const MeanCI empty = bootstrap_mean_ci({});
  EXPECT_EQ(empty.mean, 0.0);
  EXPECT_EQ(empty.lo, 0.0);
  const std::vector<double> nan{1.0, std::nan("")};
  EXPECT_THROW(bootstrap_mean_ci(nan), std::invalid_argument);
  const std::vector<double> ok{1.0};
  EXPECT_THROW(bootstrap_mean_ci(ok, {0, 1, 0.95}), std::invalid_argument);
  EXPECT_THROW(bootstrap_mean_ci(ok, {10, 1, 1.0}), std::invalid_argument);
}

TEST(PairedTest, WilcoxonMatchesHandComputedExample) {
  // d = b - a = [0, 2, -1, 3, -3, 4, 1]. The zero is dropped: n = 6.
  // |d| sorted: 1 (-1), 1 (+1), 2, 3 (-3), 3 (+3), 4 -> ranks 1.5, 1.5, 3, 4.5, 4.5, 6.
  // W+ = 3 (d=2) + 4.5 (d=3) + 6 (d=4) + 1.5 (d=1) = 15;  W- = 1.5 + 4.5 = 6.
  // mean = 6·7/4 = 10.5; var = 6·7·13/24 - [(2³-2) + (2³-2)]/48 = 22.75 - 0.25 = 22.5;
  // z = (15 - 10.5) / sqrt(22.5) = 0.948683.
  // Exact: doubled ranks {3, 3, 6, 9, 9, 12}, observed sum 30 of 42. P(sum >= 30)
  // = P(sum <= 12) by symmetry = 15 sign patterns of 64 (empty; 3, 3, 6, 9, 9, 12
  // alone; {3,3}, {3,6}×2, {3,9}×4; {3,3,6}), so p = 2 · 15/64 = 0.46875.
  const std::vector<double> a{1, 1, 2, 0, 5, 0, 1};
  const std::vector<double> b{1, 3, 1, 3, 2, 4, 2};
  const PairedTest t = paired_test(a, b);
  EXPECT_EQ(t.n, 7);
  EXPECT_EQ(t.nonzero, 6);
  EXPECT_DOUBLE_EQ(t.w_plus, 15.0);
  EXPECT_DOUBLE_EQ(t.w_minus, 6.0);
  EXPECT_NEAR(t.z, 0.948683, 1e-6);
  EXPECT_TRUE(t.wilcoxon_exact);
  EXPECT_DOUBLE_EQ(t.wilcoxon_p, 0.46875);
  EXPECT_NEAR(t.mean_diff, 6.0 / 7.0, 1e-12);
}

TEST(PairedTest, WilcoxonNormalApproximationAboveFifty) {
  // d = 1..60, all positive, no ties: W+ = 1830, mean 915,
  // var = 60·61·121/24 = 18452.5, z = 915 / 135.840 = 6.73584.
  std::vector<double> a(60, 0.0), b(60);
  for (int i = 0; i < 60; ++i) b[i] = i + 1;
  const PairedTest t = paired_test(a, b);
  EXPECT_FALSE(t.wilcoxon_exact);
  EXPECT_DOUBLE_EQ(t.w_plus, 1830.0);
  EXPECT_NEAR(t.z, 6.73584, 1e-4);
  EXPECT_NEAR(t.wilcoxon_p, std::erfc(6.73584 / std::sqrt(2.0)), 1e-12);
  EXPECT_LT(t.bootstrap_p, 0.01);
}

TEST(PairedTest, IdenticalVectorsGiveNoEvidence) {
  const std::vector<double> a{0.1, 0.5, 0.2, 0.0};
  const PairedTest t = paired_test(a, a);
  EXPECT_EQ(t.nonzero, 0);
  EXPECT_EQ(t.wilcoxon_p, 1.0);
  EXPECT_EQ(t.bootstrap_p, 1.0);
}

TEST(PairedTest, BootstrapPIsSmallForAClearShiftAndLargeForNoise) {
  std::mt19937_64 rng(5);
  std::vector<double> a(300), shifted(300), noisy(300);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<double>(bounded_draw(rng, 100)) / 100.0;
    shifted[i] = a[i] + 0.05 + static_cast<double>(bounded_draw(rng, 10)) / 1000.0;
    noisy[i] = static_cast<double>(bounded_draw(rng, 100)) / 100.0;
  }
  const PairedTest clear = paired_test(a, shifted);
  EXPECT_DOUBLE_EQ(clear.bootstrap_p, 1.0 / 1001.0);
  EXPECT_LT(clear.wilcoxon_p, 1e-10);
  EXPECT_GT(paired_test(a, noisy).bootstrap_p, 0.01);
}

TEST(PairedTest, RejectsMisalignedVectors) {
  const std::vector<double> a{1, 2}, b{1};
  EXPECT_THROW(paired_test(a, b), std::invalid_argument);
}

TEST(HolmAdjust, StepDownInInputOrder) {
  // Sorted: 0.01·3 = 0.03; 0.03·2 = 0.06; 0.04·1 = 0.04 -> max(0.06, 0.04) = 0.06.
  const std::vector<double> p{0.01, 0.04, 0.03};
  const auto adj = holm_adjust(p);
  ASSERT_EQ(adj.size(), 3u);
  EXPECT_DOUBLE_EQ(adj[0], 0.03);
  EXPECT_DOUBLE_EQ(adj[1], 0.06);
  EXPECT_DOUBLE_EQ(adj[2], 0.06);
  const std::vector<double> big{0.6, 0.7};
  EXPECT_DOUBLE_EQ(holm_adjust(big)[0], 1.0);
  const std::vector<double> bad{1.5};
  EXPECT_THROW(holm_adjust(bad), std::invalid_argument);
}

TEST(ActivityBreakdown, QuartilesOfDistinctSizes) {
  const std::vector<std::int64_t> sizes{8, 1, 7, 2, 6, 3, 5, 4};
  const std::vector<double> values{8, 1, 7, 2, 6, 3, 5, 4};  // value = size, to read means off
  const auto buckets = activity_breakdown(values, sizes, 4);
  ASSERT_EQ(buckets.size(), 4u);
  for (std::size_t b = 0; b < 4; ++b) {
    EXPECT_EQ(buckets[b].users, 2);
    EXPECT_EQ(buckets[b].min_train, static_cast<std::int64_t>(2 * b + 1));
    EXPECT_EQ(buckets[b].max_train, static_cast<std::int64_t>(2 * b + 2));
    EXPECT_DOUBLE_EQ(buckets[b].ci.mean, 2.0 * b + 1.5);
  }
}

TEST(ActivityBreakdown, TiedSizesNeverStraddleABoundary) {
  // Nominal boundaries at sorted positions 2, 4, 6. Positions 0..4 all have
  // size 1: boundary 2 is 2 from the run's start (0) and 3 from its end (5),
  // so it moves to 0 (an empty bucket, dropped); boundary 4 moves to 5; 6 sits
  // between sizes 2 and 3 and stays: buckets {1 ×5}, {2}, {3, 4}.
  const std::vector<std::int64_t> sizes{1, 1, 1, 1, 1, 2, 3, 4};
  const std::vector<double> values{0, 0, 0, 0, 1, 0.5, 1, 1};
  const auto buckets = activity_breakdown(values, sizes, 4);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].users, 5);
  EXPECT_EQ(buckets[0].min_train, 1);
  EXPECT_EQ(buckets[0].max_train, 1);
  EXPECT_DOUBLE_EQ(buckets[0].ci.mean, 0.2);
  EXPECT_EQ(buckets[1].users, 1);
  EXPECT_EQ(buckets[1].min_train, 2);
  EXPECT_DOUBLE_EQ(buckets[1].ci.lo, 0.5);
  EXPECT_EQ(buckets[2].users, 2);
  EXPECT_EQ(buckets[2].min_train, 3);
  EXPECT_EQ(buckets[2].max_train, 4);
}

TEST(ActivityBreakdown, BoundarySnapsBackToTheNearerEndOfATie) {
  // 2 buckets: nominal boundary 4 lies in the run of 3s at [2, 8): 2 back, 4
  // forward, so it moves back to 2 — not forward to 8, which would leave one bucket.
  const std::vector<std::int64_t> sizes{3, 3, 1, 3, 3, 2, 3, 3};
  const std::vector<double> values{1, 1, 0, 1, 1, 0, 1, 1};
  const auto buckets = activity_breakdown(values, sizes, 2);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].users, 2);
  EXPECT_EQ(buckets[0].max_train, 2);
  EXPECT_DOUBLE_EQ(buckets[0].ci.hi, 0.0);
  EXPECT_EQ(buckets[1].users, 6);
  EXPECT_EQ(buckets[1].min_train, 3);
  EXPECT_DOUBLE_EQ(buckets[1].ci.mean, 1.0);
}

TEST(ActivityBreakdown, FewerUsersThanBucketsAndBadInput) {
  const std::vector<std::int64_t> sizes{3, 9};
  const std::vector<double> values{0.1, 0.2};
  const auto buckets = activity_breakdown(values, sizes, 4);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].max_train, 3);
  EXPECT_EQ(buckets[1].min_train, 9);
  EXPECT_TRUE(activity_breakdown({}, {}, 4).empty());
  EXPECT_THROW(activity_breakdown(values, sizes, 0), std::invalid_argument);
  const std::vector<std::int64_t> one{3};
  EXPECT_THROW(activity_breakdown(values, one, 2), std::invalid_argument);
}

// Two users over 10 items. Popularity 10, 9, ..., 1 for items 0..9: with the
// default 20% item share the head is items {0, 1}.
struct PopularityFixture {
  std::vector<std::int64_t> popularity{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  SparseRows relevant = SparseRows::empty(2, 10);
  std::vector<ScoredItem> items;
  std::vector<std::int32_t> counts{3, 2};
  PopularityFixture() {
    // user 0: relevant {0, 5, 7}; list [0, 4, 5] -> head 1/1, tail 1/2.
    // user 1: relevant {6};       list [1, 6] (short list) -> no head items; tail 1/1 at k=2, 0 at k=1.
    relevant.indptr = {0, 3, 4};
    relevant.indices = {0, 5, 7, 6};
    relevant.values = {1, 1, 1, 1};
    items = {{0, 3.f}, {4, 2.f}, {5, 1.f}, {1, 3.f}, {6, 2.f}, {0, 0.f}};
  }
  KeptLists lists() const { return {items, counts, 3}; }
};

TEST(PopularityBreakdown, SplitsRecallAndHitIntoHeadAndTail) {
  PopularityFixture f;
  const auto out = popularity_breakdown(f.lists(), f.relevant, f.popularity, 3);
  EXPECT_EQ(out.head_items, 2);
  EXPECT_NEAR(out.head_interaction_share, 19.0 / 55.0, 1e-12);
  EXPECT_EQ(out.head.users, 1);
  EXPECT_EQ(out.head.relevant, 1);
  EXPECT_DOUBLE_EQ(out.head.recall_ci.mean, 1.0);
  EXPECT_EQ(out.tail.users, 2);
  EXPECT_EQ(out.tail.relevant, 3);
  ASSERT_EQ(out.tail.recall.size(), 2u);
  EXPECT_DOUBLE_EQ(out.tail.recall[0], 0.5);
  EXPECT_DOUBLE_EQ(out.tail.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(out.tail.hit_ci.mean, 1.0);

  const auto k1 = popularity_breakdown(f.lists(), f.relevant, f.popularity, 1);
  EXPECT_DOUBLE_EQ(k1.tail.recall[0], 0.0);
  EXPECT_DOUBLE_EQ(k1.tail.recall[1], 0.0);
  EXPECT_DOUBLE_EQ(k1.head.hit_ci.mean, 1.0);
}

TEST(PopularityBreakdown, InteractionShareRule) {
  // Σ popularity = 55; 20% = 11: items 0 (10) then 1 (19 >= 11) -> head {0, 1}.
  // With 10%: 5.5 -> item 0 alone.
  PopularityFixture f;
  EXPECT_EQ(popularity_breakdown(f.lists(), f.relevant, f.popularity, 3, HeadRule::kInteractionShare, 0.2).head_items, 2);
  EXPECT_EQ(popularity_breakdown(f.lists(), f.relevant, f.popularity, 3, HeadRule::kInteractionShare, 0.1).head_items, 1);
}

TEST(PopularityBreakdown, RejectsDeeperCutOffThanTheLists) {
  PopularityFixture f;
  EXPECT_THROW(popularity_breakdown(f.lists(), f.relevant, f.popularity, 4), UsageError);
  EXPECT_THROW(popularity_breakdown(f.lists(), f.relevant, f.popularity, 0), UsageError);
  EXPECT_THROW(popularity_breakdown(f.lists(), f.relevant, f.popularity, 3, HeadRule::kItemShare, 0.0), UsageError);
  const std::vector<std::int64_t> short_pop{1, 2};
  EXPECT_THROW(popularity_breakdown(f.lists(), f.relevant, short_pop, 3), UsageError);
}

TEST(RecallCurve, CumulativeHitsOverRelevant) {
  // user 0: hits at ranks 1 and 3 of 3 relevant; user 1: hit at rank 2 of 1.
  // k=1: (1/3 + 0)/2; k=2: (1/3 + 1)/2; k=3: (2/3 + 1)/2.
  PopularityFixture f;
  const std::vector<std::int32_t> ks{1, 2, 3};
  const auto curve = recall_curve(f.lists(), f.relevant, ks);
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_NEAR(curve[0], 1.0 / 6.0, 1e-12);
  EXPECT_NEAR(curve[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(curve[2], 5.0 / 6.0, 1e-12);
  const std::vector<std::int32_t> too_deep{4};
  EXPECT_THROW(recall_curve(f.lists(), f.relevant, too_deep), UsageError);
}

TEST(RelevantRows, ExcludesTrainingItemsLikeTheEvaluator) {
  const std::vector<FeedbackEntry> train_entries{{0, 1, 1.f}, {1, 2, 1.f}, {1, 3, 1.f}};
  const std::vector<FeedbackEntry> test_entries{{0, 1, 1.f}, {0, 4, 2.f}, {1, 0, 1.f}};
  const FeedbackMatrix train = build_feedback(2, 5, train_entries);
  const FeedbackMatrix test = build_feedback(2, 5, test_entries);
  const std::vector<std::int32_t> users{0, 1};
  const SparseRows rel = relevant_rows(train, test, users);
  ASSERT_EQ(rel.n_rows, 2);
  ASSERT_EQ(rel.count(0), 1);
  EXPECT_EQ(rel.row_indices(0)[0], 4);
  EXPECT_EQ(rel.row_indices(1)[0], 0);
  EXPECT_EQ(relevant_rows(train, test, users, false).count(0), 2);
  const auto sizes = train_sizes(train, users);
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{1, 2}));
  const auto pop = item_popularity(train);
  EXPECT_EQ(pop, (std::vector<std::int64_t>{0, 1, 1, 1, 0}));
  const std::vector<std::int32_t> bad{2};
  EXPECT_THROW(relevant_rows(train, test, bad), UsageError);
}

}  // namespace
}  // namespace segue

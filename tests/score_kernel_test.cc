#include "models/factorization/score_kernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace segue {
namespace {

std::vector<float> gaussian(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// Runs the body once with the CPU's kernel and once with the portable one.
class ScoreKernel : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { force_portable_score_kernel(GetParam()); }
  void TearDown() override { force_portable_score_kernel(false); }
};

TEST_P(ScoreKernel, ScoresMatchDoublePrecisionProductForEveryShape) {
  for (const std::int32_t f : {1, 7, 64}) {
    for (const std::int32_t n_items : {1, 15, 16, 17, 50}) {
      for (const std::int32_t rows : {1, 5, 6, 7, 13}) {
        const auto a = gaussian(static_cast<std::size_t>(rows * f), 1);
        const auto v = gaussian(static_cast<std::size_t>(n_items * f), 2);
        const PackedItems packed = pack_items(v.data(), n_items, f);
        const std::int64_t ld = n_items + 3;  // a stride wider than the row
        std::vector<float> out(static_cast<std::size_t>(rows * ld), -7.0f);
        score_rows(packed, a.data(), rows, out.data(), ld);
        for (std::int32_t r = 0; r < rows; ++r) {
          for (std::int32_t i = 0; i < n_items; ++i) {
            double expected = 0;
            for (std::int32_t k = 0; k < f; ++k) expected += double(a[r * f + k]) * v[i * f + k];
            EXPECT_NEAR(out[r * ld + i], expected, 1e-4 * (1 + std::abs(expected)))
                << "f=" << f << " items=" << n_items << " rows=" << rows << " r=" << r << " i=" << i;
          }
          for (std::int64_t i = n_items; i < ld; ++i) EXPECT_EQ(out[r * ld + i], -7.0f) << "wrote past the row";
        }
      }
    }
  }
}

TEST_P(ScoreKernel, FusedTopKEqualsTopKOfTheScoredRows) {
  const std::int32_t f = 8, n_items = 203, rows = 11, k = 10;
  const auto a = gaussian(static_cast<std::size_t>(rows * f), 3);
  const auto v = gaussian(static_cast<std::size_t>(n_items * f), 4);
  const PackedItems packed = pack_items(v.data(), n_items, f);
  std::vector<float> scores(static_cast<std::size_t>(rows * n_items));
  score_rows(packed, a.data(), rows, scores.data(), n_items);
  // Row r excludes its own top few (found from the scores), so exclusion is
  // exercised on items that would otherwise enter; some rows exclude nothing.
  std::vector<std::vector<std::int32_t>> excluded(rows);
  for (std::int32_t r = 0; r < rows; r += 2) {
    std::vector<ScoredItem> best;
    top_k(std::span<const float>(scores.data() + r * n_items, n_items), {}, 3 + r % 3, best);
    for (const ScoredItem& s : best) excluded[r].push_back(s.item);
    excluded[r].push_back(n_items - 1);
    std::sort(excluded[r].begin(), excluded[r].end());
  }
  std::vector<std::span<const std::int32_t>> exclude(excluded.begin(), excluded.end());
  std::vector<ScoredItem> fused(static_cast<std::size_t>(rows * k));
  std::vector<std::int32_t> counts(rows);
  top_k_rows_fused(packed, a.data(), rows, exclude, k, fused.data(), counts.data());
  for (std::int32_t r = 0; r < rows; ++r) {
    std::vector<ScoredItem> expected;
    top_k(std::span<const float>(scores.data() + r * n_items, n_items), excluded[r], k, expected);
    ASSERT_EQ(counts[r], static_cast<std::int32_t>(expected.size()));
    for (std::int32_t i = 0; i < counts[r]; ++i) EXPECT_EQ(fused[r * k + i], expected[i]) << "row " << r << " rank " << i;
    for (std::int32_t i = 0; i < counts[r]; ++i)
      EXPECT_FALSE(std::binary_search(excluded[r].begin(), excluded[r].end(), fused[r * k + i].item));
  }
}

TEST_P(ScoreKernel, TiesGoToTheLowerIdAndShortCataloguesGiveShortLists) {
  // Every item vector equal: all scores tie, so the list is the lowest ids
  // not excluded, across panel borders.
  const std::int32_t f = 3, n_items = 40, k = 20;
  const std::vector<float> v(static_cast<std::size_t>(n_items * f), 0.5f);
  const std::vector<float> a = {1.0f, 2.0f, -1.0f};
  const PackedItems packed = pack_items(v.data(), n_items, f);
  const std::vector<std::int32_t> skip = {0, 5, 17};
  const std::span<const std::int32_t> exclude[1] = {skip};
  std::vector<ScoredItem> out(k);
  std::int32_t count = 0;
  top_k_rows_fused(packed, a.data(), 1, exclude, k, out.data(), &count);
  ASSERT_EQ(count, k);
  std::vector<std::int32_t> expected;
  for (std::int32_t i = 0; static_cast<std::int32_t>(expected.size()) < k; ++i)
    if (i != 0 && i != 5 && i != 17) expected.push_back(i);
  for (std::int32_t i = 0; i < k; ++i) EXPECT_EQ(out[i].item, expected[i]);

  // k above the catalogue: every eligible item, no more.
  std::vector<ScoredItem> all(100);
  top_k_rows_fused(packed, a.data(), 1, exclude, 100, all.data(), &count);
  EXPECT_EQ(count, n_items - 3);
}

TEST_P(ScoreKernel, NonFiniteScoresRankLastAsInTopK) {
  // An infinite factor makes some scores inf / NaN; the fused path must order
  // them exactly as top_k() does on the written scores.
  const std::int32_t f = 2, n_items = 37, k = 37;
  auto v = gaussian(static_cast<std::size_t>(n_items * f), 6);
  v[3 * f] = std::numeric_limits<float>::infinity();
  v[20 * f] = -std::numeric_limits<float>::infinity();
  v[21 * f] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> a = {1.0f, 0.5f};
  const PackedItems packed = pack_items(v.data(), n_items, f);
  std::vector<float> scores(n_items);
  score_rows(packed, a.data(), 1, scores.data(), n_items);
  std::vector<ScoredItem> expected;
  top_k(scores, {}, k, expected);
  for (const std::int32_t kk : {1, 5, k}) {
    std::vector<ScoredItem> fused(kk);
    std::int32_t count = 0;
    top_k_rows_fused(packed, a.data(), 1, {}, kk, fused.data(), &count);
    ASSERT_EQ(count, kk);
    for (std::int32_t i = 0; i < kk; ++i) EXPECT_EQ(fused[i].item, expected[i].item) << "k=" << kk << " rank " << i;
  }
}

TEST_P(ScoreKernel, ZeroKLeavesEmptyLists) {
  const std::vector<float> v = {1.0f, 2.0f};
  const std::vector<float> a = {1.0f, 1.0f};
  const PackedItems packed = pack_items(v.data(), 2, 1);
  std::int32_t counts[2] = {-1, -1};
  top_k_rows_fused(packed, a.data(), 2, {}, 0, nullptr, counts);
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[1], 0);
}

INSTANTIATE_TEST_SUITE_P(Kernels, ScoreKernel, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Portable") : std::string("Native");
                         });

TEST(ScoreKernelChoice, NamesTheKernelInUse) {
  force_portable_score_kernel(true);
  EXPECT_STREQ(score_kernel_name(), "portable");
  force_portable_score_kernel(false);
  const std::string native = score_kernel_name();
  EXPECT_TRUE(native == "avx+fma" || native == "portable") << native;
}

}  // namespace
}  // namespace segue

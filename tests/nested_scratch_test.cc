// Scratch buffers that nested models cannot clobber (models/scratch.h): an mmr
// whose base is an mmr, and a blend whose CF model is a blend, must give the
// lists their parts give when called one by one; the pool hands nested borrowers
// distinct buffers and frees large ones when the call ends.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "models/batch_recommend.h"
#include "models/content/blend.h"
#include "models/registry.h"
#include "models/rerank/mmr.h"
#include "models/scratch.h"
#include "synthetic_fixture.h"

namespace segue {
namespace {

using segue::testing::synthetic_data;

std::unique_ptr<Recommender> fitted(const std::string& spec, const segue::testing::SyntheticData& data) {
  auto model = make_recommender(spec);
  FitContext context;
  context.item_features = &data.features;
  model->fit(data.train, context);
  return model;
}

TEST(NestedScratch, PoolGivesNestedBorrowersDistinctBuffers) {
  Scratch<float> outer(100);
  std::fill(outer->begin(), outer->end(), 1.0f);
  {
    Scratch<float> inner(100);
    EXPECT_NE(inner.data(), outer.data());
    std::fill(inner->begin(), inner->end(), 2.0f);
  }
  for (float v : *outer) ASSERT_EQ(v, 1.0f);
}

TEST(NestedScratch, PoolReusesSmallBuffersAndFreesLargeOnes) {
  const float* first = nullptr;
  {
    Scratch<float> row(1000);
    first = row.data();
  }
  {
    Scratch<float> again(500);  // the pooled buffer, no allocation
    EXPECT_EQ(again.data(), first);
  }
  const std::size_t held = scratch_bytes_held();
  EXPECT_LE(held, kScratchKeepTotal);
  {
    Scratch<float> large(kScratchKeepBytes / sizeof(float) + 1);
    large[0] = 1.0f;
  }
  EXPECT_EQ(scratch_bytes_held(), held);  // the large buffer was freed, not kept
}

// The outer mmr's lists, computed by hand from its base's own top-k lists.
std::vector<std::vector<std::int32_t>> mmr_by_hand(const MmrModel& outer, std::span<const std::int32_t> users,
                                                   std::int32_t k) {
  const Recommender& inner = outer.base();
  const std::int32_t n_candidates = static_cast<std::int32_t>(outer.params().get_int("candidates"));
  const std::int32_t wide = std::max(k, std::min(n_candidates, outer.n_items()));
  std::vector<ScoredItem> lists(users.size() * static_cast<std::size_t>(wide));
  std::vector<std::int32_t> counts(users.size());
  std::vector<std::span<const std::int32_t>> exclude;
  for (std::int32_t u : users) exclude.push_back(outer.history().row_indices(u));
  inner.top_k_users(users, exclude, wide, lists.data(), counts.data());
  std::vector<std::vector<std::int32_t>> out;
  for (std::size_t r = 0; r < users.size(); ++r) {
    const std::span<const ScoredItem> list(lists.data() + r * static_cast<std::size_t>(wide),
                                           static_cast<std::size_t>(std::min(counts[r], n_candidates)));
    std::vector<std::int32_t> items;
    for (const ScoredItem& s : mmr_rerank(list, k, outer.params().get_float("lambda"), outer.similarity()))
      items.push_back(s.item);
    out.push_back(items);
  }
  return out;
}

TEST(NestedScratch, MmrOfMmrGivesTheListsOfItsParts) {
  const auto data = synthetic_data();
  const auto model = fitted("mmr:base_spec=mmr:base=itemknn;lambda=0.5;candidates=12,lambda=0.6,candidates=12", data);
  const auto& outer = dynamic_cast<const MmrModel&>(*model);
  ASSERT_EQ(outer.base().name(), "mmr");
  std::vector<std::int32_t> users(static_cast<std::size_t>(model->n_users()));
  for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<std::int32_t>(u);
  const std::int32_t k = 10;
  const auto expected = mmr_by_hand(outer, users, k);
  const BatchLists batch = recommend_batch(*model, users, k);
  for (std::size_t r = 0; r < users.size(); ++r) {
    std::vector<std::int32_t> got;
    for (const ScoredItem& s : batch.row(r)) got.push_back(s.item);
    EXPECT_EQ(got, expected[r]) << "user " << users[r];
    // The whole-row path (score_users, then top-k) picks the same items.
    std::vector<std::int32_t> single;
    for (const ScoredItem& s : model->recommend(users[r], k)) single.push_back(s.item);
    EXPECT_EQ(single, expected[r]) << "user " << users[r];
  }
}

TEST(NestedScratch, BlendOfBlendKeepsTheOuterSkips) {
  const auto data = synthetic_data();
  const auto model = fitted("blend:cf_spec=blend:cf=itemknn;weight=0.4;skip_weight=1,weight=0.5,skip_weight=1", data);
  const auto& outer = dynamic_cast<const BlendModel&>(*model);
  ASSERT_EQ(outer.cf().name(), "blend");
  // Plays and skips: the outer content part must subtract the skipped items.
  const std::vector<std::int32_t> items{0, 4, 8, 1, 5};
  const std::vector<float> weights{2, 1, 3, -1, -2};
  const auto n = static_cast<std::size_t>(model->n_items());
  std::vector<float> got(n);
  model->score_history(items, weights, got.data());

  const std::vector<std::int32_t> pos{0, 4, 8}, neg{1, 5};
  const std::vector<float> pos_w{2, 1, 3}, neg_w{1, 2};
  std::vector<float> cf(n), content(n);
  outer.cf().score_history(pos, pos_w, cf.data());
  BlendModel::standardise(cf.data(), n);
  outer.content().score(pos, pos_w, neg, neg_w, content.data());
  BlendModel::standardise(content.data(), n);
  for (std::size_t i = 0; i < n; ++i)
    EXPECT_NEAR(got[i], (1 - outer.weight()) * cf[i] + outer.weight() * content[i], 1e-5) << "item " << i;
}

}  // namespace
}  // namespace segue

#include "models/batch_recommend.h"

#include <gtest/gtest.h>

#include <random>

#include "data/error.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

FeedbackMatrix random_feedback(std::int32_t users, std::int32_t items, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < users; ++u)
    for (int j = 0; j < 6; ++j)
      entries.push_back({u, static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(items)), 1.0f + static_cast<float>(j)});
  return build_feedback(users, items, entries);
}

TEST(BatchRecommend, EveryRowIsWhatRecommendGivesThatUser) {
  const FeedbackMatrix train = random_feedback(300, 70, 4);
  for (const char* spec : {"pop", "random"}) {
    auto model = make_recommender(spec);
    model->fit(train);
    std::vector<std::int32_t> users;
    for (std::int32_t u = train.n_users - 1; u >= 0; u -= 2) users.push_back(u);  // any order, any subset
    ThreadPool pool(2);
    for (const bool exclude : {true, false}) {
      const BatchLists lists = recommend_batch(*model, users, 12, exclude, &pool);
      ASSERT_EQ(lists.counts.size(), users.size());
      for (std::size_t r = 0; r < users.size(); ++r) {
        const auto expected = model->recommend(users[r], 12, exclude);
        const auto row = lists.row(r);
        ASSERT_EQ(row.size(), expected.size()) << spec << " user " << users[r];
        for (std::size_t i = 0; i < row.size(); ++i) EXPECT_EQ(row[i], expected[i]) << spec << " rank " << i;
      }
    }
  }
}

TEST(BatchRecommend, ClampsNToTheCatalogueAndRejectsBadArguments) {
  const FeedbackMatrix train = random_feedback(10, 8, 5);
  auto model = make_recommender("pop");
  model->fit(train);
  const std::vector<std::int32_t> users{0, 1};
  const BatchLists lists = recommend_batch(*model, users, 100, false);
  EXPECT_EQ(lists.n, 8);
  EXPECT_EQ(lists.counts[0], 8);
  EXPECT_THROW(recommend_batch(*model, users, 0), UsageError);
  const std::vector<std::int32_t> bad{0, 10};
  EXPECT_THROW(recommend_batch(*model, bad, 5), UsageError);
}

}  // namespace
}  // namespace segue

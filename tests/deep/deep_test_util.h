// Shared checks for the deep models' tests: a 20-user toy set in two taste
// groups, and the contract every deep model must meet on it (memorising,
// save/load, determinism).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "../test_util.h"
#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace segue::deep_test {

// 20 users, 40 items. Users 0-9 play items from 0-19, users 10-19 from 20-39;
// user u plays 6 items of its group in a pattern that differs by user, in
// that order (an item sequence for sequence models: the order of the entries).
inline std::vector<FeedbackEntry> toy_entries() {
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < 20; ++u) {
    const std::int32_t base = u < 10 ? 0 : 20;
    for (std::int32_t j = 0; j < 6; ++j) entries.push_back({u, base + (u * 3 + j * 7) % 20, 1.0f});
  }
  return entries;
}

inline FeedbackMatrix toy_feedback() {
  const auto entries = toy_entries();
  return build_feedback(20, 40, entries);
}

// Fits `spec` on the toy set with one thread (deterministic) and returns the model.
inline std::unique_ptr<Recommender> fit_toy(const std::string& spec, const FeedbackMatrix& train,
                                            const FitContext& extra = {}) {
  static ThreadPool one_thread(1);
  auto model = make_recommender(spec);
  FitContext context = extra;
  context.pool = &one_thread;
  model->fit(train, context);
  return model;
}

inline std::vector<float> all_scores(const Recommender& model) {
  std::vector<std::int32_t> users(static_cast<std::size_t>(model.n_users()));
  for (std::int32_t u = 0; u < model.n_users(); ++u) users[u] = u;
  std::vector<float> scores(users.size() * static_cast<std::size_t>(model.n_items()));
  model.score_users(users, scores.data());
  return scores;
}

// The share of each user's training items found in its top-|items| list with
// training items included, averaged over users: 1 = memorised.
inline double memorised_share(const Recommender& model, const FeedbackMatrix& train) {
  double total = 0;
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    const auto items = train.items_of(u);
    const auto list = model.recommend(u, static_cast<std::int32_t>(items.size()), false);
    std::int32_t hits = 0;
    for (const auto& s : list) hits += std::binary_search(items.begin(), items.end(), s.item) ? 1 : 0;
    total += static_cast<double>(hits) / static_cast<double>(items.size());
  }
  return total / train.n_users;
}

inline void expect_save_load_round_trip(const Recommender& model) {
  segue::testing::TempDir dir;
  const std::string path = (dir.path() / "model.segue").string();
  model.save(path);
  const auto loaded = Recommender::load(path);
  EXPECT_EQ(loaded->params(), model.params());
  const auto a = all_scores(model);
  const auto b = all_scores(*loaded);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5f * (1.0f + std::abs(a[i]))) << i;
}

}  // namespace segue::deep_test

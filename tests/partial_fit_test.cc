// Incremental updates (Recommender::partial_fit_users / partial_fit_items): a
// user refitted from their own training row keeps their list, new events move
// a factor model's user vector to exactly the model's fold-in, new users and
// items are appended (with string ids), models that cannot say so, and a
// partially fitted model saves and loads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/error.h"
#include "models/factorization/bpr.h"
#include "models/factorization/ials.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "synthetic_fixture.h"
#include "test_util.h"

namespace segue {
namespace {

using segue::testing::SyntheticData;
using segue::testing::synthetic_data;

std::unique_ptr<Recommender> fitted(const std::string& spec, const SyntheticData& data) {
  auto model = make_recommender(spec);
  FitContext context;
  context.item_features = &data.features;
  model->fit(data.train, context);
  return model;
}

// The training rows (plays and skips) of `users`, as a partial-fit batch.
FeedbackMatrix rows_of(const FeedbackMatrix& train, const std::vector<std::int32_t>& users) {
  std::vector<FeedbackEntry> entries;
  for (std::size_t r = 0; r < users.size(); ++r) {
    const auto row = static_cast<std::int32_t>(r);
    const auto items = train.items_of(users[r]);
    const auto values = train.values_of(users[r]);
    for (std::size_t k = 0; k < items.size(); ++k) entries.push_back({row, items[k], values[k]});
    const auto skips = train.negatives.row_indices(users[r]);
    const auto skip_values = train.negatives.row_values(users[r]);
    for (std::size_t k = 0; k < skips.size(); ++k) entries.push_back({row, skips[k], -skip_values[k]});
  }
  return build_feedback(static_cast<std::int32_t>(users.size()), train.n_items, entries);
}

FeedbackMatrix one_row(std::int32_t n_items, const std::vector<std::int32_t>& items, float value = 2.0f) {
  std::vector<FeedbackEntry> entries;
  for (std::int32_t i : items) entries.push_back({0, i, value});
  return build_feedback(1, n_items, entries);
}

// Models whose state beyond history() is recomputed exactly (or not needed).
const char* const kExactModels[] = {"itemknn", "userknn:k=5",        "ease",  "rp3beta",
                                    "pop",     "content",            "featureknn",
                                    "blend:cf=itemknn", "mmr:base=itemknn"};

TEST(PartialFit, OwnTrainingRowKeepsEveryList) {
  const SyntheticData data = synthetic_data();
  const std::vector<std::int32_t> users{0, 5, 17, 30};
  for (const char* spec : kExactModels) {
    SCOPED_TRACE(spec);
    auto model = fitted(spec, data);
    ASSERT_TRUE(model->supports_partial_fit());
    std::vector<std::vector<ScoredItem>> before;
    for (std::int32_t u = 0; u < model->n_users(); ++u) before.push_back(model->recommend(u, 10));
    model->partial_fit_users(users, rows_of(data.train, users));
    ASSERT_EQ(model->n_users(), data.train.n_users);
    for (std::int32_t u = 0; u < model->n_users(); ++u)
      EXPECT_EQ(model->recommend(u, 10), before[static_cast<std::size_t>(u)]) << "user " << u;
  }
}

TEST(PartialFit, NewEventsChangeTheListAndAreExcluded) {
  const SyntheticData data = synthetic_data();
  for (const char* spec : kExactModels) {
    SCOPED_TRACE(spec);
    auto model = fitted(spec, data);
    const std::int32_t user = 2;  // cluster 2: add plays of cluster 3 items
    std::vector<std::int32_t> items(model->history().row_indices(user).begin(),
                                    model->history().row_indices(user).end());
    for (std::int32_t i = 3; i < model->n_items(); i += 4)
      if (std::find(items.begin(), items.end(), i) == items.end()) items.push_back(i);
    std::sort(items.begin(), items.end());
    const std::vector<std::int32_t> ids{user};
    model->partial_fit_users(ids, one_row(model->n_items(), items));
    EXPECT_EQ(model->history().count(user), static_cast<std::int64_t>(items.size()));
    for (const ScoredItem& s : model->recommend(user, 10))
      EXPECT_FALSE(std::binary_search(items.begin(), items.end(), s.item)) << "heard item " << s.item << " listed";
    // The same as a fold-in of that history (no training row of their own left).
    if (std::string(spec) == "itemknn" || std::string(spec) == "ease") {
      EXPECT_EQ(model->recommend(user, 10),
                model->recommend_from_history(items, std::vector<float>(items.size(), 2.0f), 10));
    }
  }
}

TEST(PartialFit, IalsUserVectorIsTheFoldInSolve) {
  const SyntheticData data = synthetic_data();
  auto model = fitted("ials:factors=8,iterations=10", data);
  auto& ials = dynamic_cast<ImplicitAls&>(*model);
  const std::int32_t user = 9;
  const std::vector<std::int32_t> items{1, 3, 6, 10, 14, 22};
  const std::vector<float> weights(items.size(), 3.0f);
  std::vector<float> expected(8);
  ials.fold_in(items, weights, expected);
  const std::vector<std::int32_t> ids{user};
  model->partial_fit_users(ids, one_row(model->n_items(), items, 3.0f));
  for (std::size_t k = 0; k < 8; ++k) EXPECT_EQ(ials.user_factors()[static_cast<std::size_t>(user) * 8 + k], expected[k]);
  // A user refitted from their own row gets the fold-in of it: close to the
  // trained vector, and the list it ranks is the fold-in's.
  const std::int32_t other = 20;
  const std::vector<std::int32_t> others{other};
  std::vector<float> own(8);
  ials.fold_in(model->history().row_indices(other), model->history().row_values(other), own);
  model->partial_fit_users(others, rows_of(data.train, others));
  for (std::size_t k = 0; k < 8; ++k) EXPECT_EQ(ials.user_factors()[static_cast<std::size_t>(other) * 8 + k], own[k]);
}

TEST(PartialFit, BprUserVectorIsItsFoldIn) {
  const SyntheticData data = synthetic_data();
  auto model = fitted("bpr:factors=8,epochs=20,seed=3", data);
  auto& bpr = dynamic_cast<Bpr&>(*model);
  const std::vector<std::int32_t> items{0, 4, 8, 12};
  const std::int32_t dim = bpr.factors();
  std::vector<float> expected(static_cast<std::size_t>(dim));
  bpr.fold_in(items, std::vector<float>(items.size(), 1.0f), expected);
  const std::vector<std::int32_t> ids{4};
  model->partial_fit_users(ids, one_row(model->n_items(), items, 1.0f));
  for (std::int32_t k = 0; k < dim; ++k)
    EXPECT_EQ(bpr.user_factors()[static_cast<std::size_t>(4 * dim + k)], expected[static_cast<std::size_t>(k)]);
}

TEST(PartialFit, NewUsersAreAppendedWithStringIds) {
  const SyntheticData data = synthetic_data();
  for (const char* spec : {"itemknn", "userknn:k=5", "ials:factors=8", "bpr:factors=8,epochs=5", "content", "ease"}) {
    SCOPED_TRACE(spec);
    auto model = fitted(spec, data);
    IdMap users, items;
    for (std::int32_t u = 0; u < model->n_users(); ++u) users.intern("u" + std::to_string(u));
    for (std::int32_t i = 0; i < model->n_items(); ++i) items.intern("i" + std::to_string(i));
    model->set_id_maps(users, items);
    const std::int32_t fresh = model->n_users();
    const std::vector<std::int32_t> ids{fresh};
    const std::vector<std::int32_t> heard{1, 5, 9, 13};
    // String ids are required once the model has them, and must be new.
    EXPECT_THROW(model->partial_fit_users(ids, one_row(model->n_items(), heard)), UsageError);
    const std::vector<std::string> taken{"u3"};
    EXPECT_THROW(model->partial_fit_users(ids, one_row(model->n_items(), heard), taken), UsageError);
    const std::vector<std::string> name{"new listener"};
    model->partial_fit_users(ids, one_row(model->n_items(), heard), name);
    EXPECT_EQ(model->n_users(), fresh + 1);
    EXPECT_EQ(model->user_ids().find("new listener"), fresh);
    const auto list = model->recommend(fresh, 5);
    EXPECT_EQ(list.size(), 5u);
    for (const ScoredItem& s : list) EXPECT_FALSE(std::binary_search(heard.begin(), heard.end(), s.item));
    if (std::string(spec) == "itemknn") {  // cluster 1 listener: cluster 1 items first
      for (const ScoredItem& s : list) EXPECT_EQ(s.item % 4, 1) << s.item;
    }
    // Explanations and batch scoring see the new row too.
    EXPECT_NO_THROW(model->explain(fresh, list.front().item));
  }
}

TEST(PartialFit, BadIdsAndShapesAreUsageErrors) {
  const SyntheticData data = synthetic_data();
  auto model = fitted("itemknn", data);
  const std::int32_t n = model->n_users();
  const FeedbackMatrix row = one_row(model->n_items(), {1, 2});
  const std::vector<std::int32_t> gap{n + 1}, negative{-1};
  EXPECT_THROW(model->partial_fit_users(gap, row), UsageError);
  EXPECT_THROW(model->partial_fit_users(negative, row), UsageError);
  const std::vector<std::int32_t> twice{3, 3};
  EXPECT_THROW(model->partial_fit_users(twice, rows_of(data.train, {3, 4})), UsageError);
  const std::vector<std::int32_t> one{3};
  EXPECT_THROW(model->partial_fit_users(one, one_row(model->n_items() + 1, {1})), UsageError);
  EXPECT_THROW(model->partial_fit_users(one, rows_of(data.train, {3, 4})), UsageError);
  EXPECT_EQ(model->n_users(), n);  // nothing changed
}

TEST(PartialFit, ModelsThatCannotSayWhich) {
  const SyntheticData data = synthetic_data();
  for (const char* spec : {"random", "hybrid:epochs=2"}) {
    auto model = fitted(spec, data);
    EXPECT_FALSE(model->supports_partial_fit());
    const std::vector<std::int32_t> one{0};
    try {
      model->partial_fit_users(one, one_row(model->n_items(), {1}));
      ADD_FAILURE() << spec << ": no error";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("'" + model->name() + "'"), std::string::npos) << error.what();
    }
  }
  auto knn = fitted("itemknn", data);
  EXPECT_FALSE(knn->supports_partial_fit_items());
  SparseRows column = SparseRows::empty(1, knn->n_users());
  const std::vector<std::int32_t> item{knn->n_items()};
  EXPECT_THROW(knn->partial_fit_items(item, column), UsageError);
}

// Users of cluster `cluster` (u % 4), as an item column: value 2 each.
SparseRows listeners(std::int32_t n_users, std::int32_t cluster) {
  SparseRows column = SparseRows::empty(0, n_users);
  column.indptr = {0};
  for (std::int32_t u = cluster; u < n_users; u += 4) {
    column.indices.push_back(u);
    column.values.push_back(2.0f);
  }
  column.indptr.push_back(static_cast<std::int64_t>(column.indices.size()));
  column.n_rows = 1;
  return column;
}

TEST(PartialFit, FactorModelsAddItemsFromTheirListeners) {
  const SyntheticData data = synthetic_data();
  for (const char* spec : {"ials:factors=8,iterations=10", "bpr:factors=8,epochs=50"}) {
    SCOPED_TRACE(spec);
    auto model = fitted(spec, data);
    ASSERT_TRUE(model->supports_partial_fit_items());
    const std::int32_t fresh = model->n_items();
    const std::vector<std::int32_t> ids{fresh};
    model->partial_fit_items(ids, listeners(model->n_users(), 0));
    EXPECT_EQ(model->n_items(), fresh + 1);
    EXPECT_EQ(model->history().n_cols, fresh + 1);
    EXPECT_TRUE(std::binary_search(model->history().row_indices(4).begin(), model->history().row_indices(4).end(), fresh));
    // Liked by cluster 0: its nearest items are cluster 0 items.
    const auto similar = model->similar_items(fresh, 3);
    ASSERT_EQ(similar.size(), 3u);
    for (const ScoredItem& s : similar) EXPECT_EQ(s.item % 4, 0) << s.item;
    // A cluster-0 listener who has not heard it yet gets it near the top.
    const std::vector<std::int32_t> user{0};
    FeedbackMatrix without = rows_of(data.train, {0});
    without.n_items = model->n_items();
    without.negatives.n_cols = model->n_items();
    model->partial_fit_users(user, without);
    const auto list = model->recommend(0, 5);
    EXPECT_NE(std::find_if(list.begin(), list.end(), [&](const ScoredItem& s) { return s.item == fresh; }), list.end());
  }
}

TEST(PartialFit, PartiallyFittedModelSavesAndLoads) {
  const SyntheticData data = synthetic_data();
  segue::testing::TempDir dir;
  for (const char* spec : {"ials:factors=8", "userknn:k=5", "content"}) {
    SCOPED_TRACE(spec);
    auto model = fitted(spec, data);
    const std::vector<std::int32_t> ids{model->n_users(), 7};
    model->partial_fit_users(ids, rows_of(data.train, {3, 11}));
    const std::string path = dir.file("partial.model");
    model->save(path);
    const auto loaded = Recommender::load(path);
    ASSERT_EQ(loaded->n_users(), model->n_users());
    for (std::int32_t u : {3, 7, 11, model->n_users() - 1}) EXPECT_EQ(loaded->recommend(u, 10), model->recommend(u, 10));
  }
}

}  // namespace
}  // namespace segue

// The deep models' inner-product form (Recommender::inner_product_items,
// user_query, history_query), which the serving index searches: a query dotted
// with the item vectors gives the model's own scores, for known users and for
// histories, before and after save/load; the index's lists match the model's;
// and the server answers these models from the index, folding a sequence
// model's new plays onto the end of the listener's sequence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "deep/sequences.h"
#include "deep/torch_model.h"
#include "deep_test_util.h"
#include "serve/ann_index.h"
#include "serve/serving_model.h"

namespace segue {
namespace {

using deep_test::fit_toy;

struct Case {
  std::string spec;
  bool bias = false;  // the item table has a bias column (queries end in 1)
};

const Case kCases[] = {
    {"lightgcn:epochs=3,validation=0,embedding=8,batch_size=64"},
    {"sasrec:epochs=2,validation=0,embedding=8,batch_size=16,max_len=8,negatives=8"},
    {"gru4rec:epochs=2,validation=0,embedding=8,batch_size=16,max_len=8,negatives=8", true},
    {"multvae:epochs=2,validation=0,embedding=8,hidden=12,batch_size=8", true},
    {"multdae:epochs=2,validation=0,embedding=8,hidden=12,batch_size=8", true},
};

std::vector<float> dot_all(const ItemVectors& v, const std::vector<float>& query) {
  std::vector<float> out(static_cast<std::size_t>(v.n_items));
  for (std::int32_t i = 0; i < v.n_items; ++i) {
    double s = 0;
    for (std::int32_t d = 0; d < v.dim; ++d)
      s += static_cast<double>(v.data[static_cast<std::size_t>(i) * v.dim + d]) * query[static_cast<std::size_t>(d)];
    out[static_cast<std::size_t>(i)] = static_cast<float>(s);
  }
  return out;
}

void expect_close_rows(const std::vector<float>& expected, const std::vector<float>& actual, const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  float scale = 1e-3f;
  for (const float x : expected) scale = std::max(scale, std::abs(x));
  for (std::size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(expected[i], actual[i], 1e-4f * scale) << what << ", item " << i;
}

// q · V == the model's scores, for every user and for a few histories.
void expect_inner_products(const Recommender& model, bool bias, const std::string& spec) {
  const auto vectors = item_vectors(model);
  ASSERT_TRUE(vectors.has_value()) << spec;
  ASSERT_EQ(vectors->n_items, model.n_items());
  for (std::int32_t u = 0; u < model.n_users(); ++u) {
    const std::vector<float> q = user_vector(model, u);
    ASSERT_EQ(q.size(), static_cast<std::size_t>(vectors->dim)) << spec << " user " << u;
    if (bias) {
      EXPECT_EQ(q.back(), 1.0f);
    }
    std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
    model.score_users(std::span<const std::int32_t>(&u, 1), scores.data());
    expect_close_rows(scores, dot_all(*vectors, q), spec + " user " + std::to_string(u));
  }
  const std::vector<std::vector<std::int32_t>> histories{{3}, {5, 1, 17}, {30, 22, 30, 9}};
  for (const auto& history : histories) {
    const std::vector<float> weights(history.size(), 1.0f);
    const std::vector<float> q = fold_in_vector(model, history, weights);
    ASSERT_EQ(q.size(), static_cast<std::size_t>(vectors->dim)) << spec;
    std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
    model.score_history(history, weights, scores.data());
    expect_close_rows(scores, dot_all(*vectors, q), spec + " history of " + std::to_string(history.size()));
  }
  EXPECT_THROW(user_vector(model, model.n_users()), UsageError);
  const std::vector<std::int32_t> bad{model.n_items()};
  EXPECT_THROW(fold_in_vector(model, bad), UsageError);
}

TEST(InnerProductForm, QueriesDottedWithItemVectorsAreTheModelsScores) {
  const FeedbackMatrix train = deep_test::toy_feedback();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.spec);
    const auto model = fit_toy(c.spec, train);
    expect_inner_products(*model, c.bias, c.spec);
    // The same after save/load (the table is rebuilt from the loaded tensors).
    testing::TempDir dir;
    const std::string path = dir.file("model.segue");
    model->save(path);
    const auto loaded = Recommender::load(path);
    expect_inner_products(*loaded, c.bias, c.spec + " (loaded)");
    const auto a = item_vectors(*model), b = item_vectors(*loaded);
    ASSERT_EQ(a->dim, b->dim);
    EXPECT_TRUE(std::equal(a->data, a->data + static_cast<std::size_t>(a->n_items) * a->dim, b->data));
  }
}

TEST(InnerProductForm, NeumfHasNoneAndEmptyHistoriesAskTheModel) {
  const FeedbackMatrix train = deep_test::toy_feedback();
  const auto neumf = fit_toy("neumf:epochs=1,validation=0,embedding=8,batch_size=64", train);
  EXPECT_FALSE(item_vectors(*neumf).has_value());
  EXPECT_TRUE(user_vector(*neumf, 0).empty());
  const std::vector<std::int32_t> one{2};
  EXPECT_TRUE(fold_in_vector(*neumf, one).empty());

  // A sequence model scores an empty sequence by popularity: no query.
  std::vector<FeedbackEntry> entries = deep_test::toy_entries();
  const FeedbackMatrix with_silent_user = build_feedback(21, 40, entries);  // user 20 has nothing
  const auto sasrec = fit_toy(kCases[1].spec, with_silent_user);
  EXPECT_TRUE(user_vector(*sasrec, 20).empty());
  EXPECT_FALSE(user_vector(*sasrec, 3).empty());
  EXPECT_TRUE(fold_in_vector(*sasrec, {}).empty());
  const std::vector<float> skipped{-1.0f};  // a history of skips only plays nothing
  EXPECT_TRUE(fold_in_vector(*sasrec, one, skipped).empty());
  // lightgcn's empty history has no propagated embedding either.
  const auto lightgcn = fit_toy(kCases[0].spec, train);
  EXPECT_TRUE(fold_in_vector(*lightgcn, {}).empty());
}

TEST(InnerProductForm, TheIndexFindsTheModelsTopItems) {
  const FeedbackMatrix train = deep_test::toy_feedback();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.spec);
    const auto model = fit_toy(c.spec, train);
    const auto index = AnnIndex::build(*item_vectors(*model));
    for (std::int32_t u = 0; u < model->n_users(); ++u) {
      const auto expected = model->recommend(u, 10);
      const auto exact = index->search_exact(user_vector(*model, u), 10, model->history().row_indices(u));
      const auto approximate = index->search(user_vector(*model, u), 10, model->history().row_indices(u));
      ASSERT_EQ(exact.size(), expected.size());
      ASSERT_EQ(approximate.size(), expected.size());
      // Scores agree position by position (ties may order differently).
      for (std::size_t k = 0; k < expected.size(); ++k) {
        const float tolerance = 1e-4f * (1.0f + std::abs(expected[k].score));
        EXPECT_NEAR(exact[k].score, expected[k].score, tolerance) << "user " << u << " rank " << k;
        EXPECT_NEAR(approximate[k].score, expected[k].score, tolerance) << "user " << u << " rank " << k;
      }
    }
  }
}

TEST(InnerProductForm, TheServerAnswersDeepModelsFromTheIndex) {
  const FeedbackMatrix train = deep_test::toy_feedback();
  ServingOptions options;
  options.build_ann = true;
  const ServingModel served(fit_toy(kCases[1].spec, train), nullptr, options);
  const Recommender& model = served.model();
  ASSERT_NE(served.ann(), nullptr);
  ASSERT_TRUE(model.sequential_history());

  RecommendRequest request;
  request.user = 4;
  request.n = 5;
  const RecommendResult by_index = served.recommend(request);
  EXPECT_EQ(by_index.strategy, "ann");
  request.approximate = false;
  const RecommendResult by_model = served.recommend(request);
  EXPECT_EQ(by_model.strategy, "model");
  ASSERT_EQ(by_index.items.size(), by_model.items.size());
  for (std::size_t k = 0; k < by_model.items.size(); ++k)
    EXPECT_NEAR(by_index.items[k].score, by_model.items[k].score, 1e-4f * (1.0f + std::abs(by_model.items[k].score)));

  // A play received since training is appended to the user's sequence, so the
  // list is the model's for sequence + new item: here a track played before
  // (a replay is a new step of the sequence, not a heavier old one).
  std::vector<std::int32_t> sequence;
  std::vector<float> weights;
  model.history_row(4, sequence, weights);
  const auto* sequences = dynamic_cast<const SequenceModel*>(&model);
  ASSERT_NE(sequences, nullptr);
  const auto own = sequences->sequences().of(4);
  EXPECT_EQ(sequence, std::vector<std::int32_t>(own.begin(), own.end()));
  const std::int32_t replay = sequence.front();
  request.history = {replay};
  for (const bool approximate : {true, false}) {
    request.approximate = approximate;
    const RecommendResult folded = served.recommend(request);
    EXPECT_EQ(folded.strategy, approximate ? "fold-in+ann" : "fold-in");
    std::vector<std::int32_t> extended = sequence;
    extended.push_back(replay);
    std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
    model.score_history(extended, {}, scores.data());
    std::vector<std::int32_t> exclude(model.history().row_indices(4).begin(), model.history().row_indices(4).end());
    const auto expected = [&] {
      std::vector<ScoredItem> out;
      top_k(scores, exclude, 5, out);
      return out;
    }();
    ASSERT_EQ(folded.items.size(), expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k)
      EXPECT_NEAR(folded.items[k].score, expected[k].score, 1e-4f * (1.0f + std::abs(expected[k].score)))
          << (approximate ? "ann" : "exact") << " rank " << k;
  }
}

}  // namespace
}  // namespace segue

// Tests of the ANN index (src/serve/ann_index.h): the exact scan equals the
// model's own recommend(); HNSW recall on clustered vectors; exclusion that
// never leaks an excluded item and never leaves a list short; saved indexes
// (round trip, refusal of other vectors, corruption); concurrent searches;
// the fold-in vector against score_history.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "data/error.h"
#include "features/feature_matrix.h"
#include "models/baseline/popularity.h"
#include "models/factorization/bpr.h"
#include "models/factorization/ials.h"
#include "models/hybrid/hybrid.h"
#include "models/registry.h"
#include "serve/ann_index.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::TempDir;

std::unique_ptr<Recommender> make(const std::string& spec) {
  register_model(ials_info());
  register_model(bpr_info());
  register_model(hybrid_info());
  register_model(popularity_info());
  return make_recommender(spec);
}

// 300 users in 6 taste groups over 400 items (each group favours its own 60
// items, with some noise), play counts 1-5.
FeedbackMatrix taste_groups() {
  std::mt19937 rng(7);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < 300; ++u) {
    const std::int32_t group = u % 6;
    std::vector<std::int32_t> items;
    for (int j = 0; j < 12; ++j) items.push_back(group * 60 + static_cast<std::int32_t>(rng() % 60));
    for (int j = 0; j < 3; ++j) items.push_back(static_cast<std::int32_t>(rng() % 400));
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    for (std::int32_t i : items) entries.push_back({u, i, static_cast<float>(1 + rng() % 5)});
  }
  return build_feedback(300, 400, entries);
}

// One tag per item, its taste group (hybrid needs item features).
FeatureMatrix group_tags() {
  FeatureMatrix m;
  m.n_rows = 400;
  m.n_features = 7;
  for (int g = 0; g < 7; ++g) {
    m.names.push_back("tag=" + std::to_string(g));
    m.group_of.push_back(0);
  }
  m.groups = {"tag"};
  for (std::int32_t i = 0; i < 400; ++i) {
    m.indices.push_back(std::min(i / 60, 6));
    m.values.push_back(1.0f);
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.described.assign(400, 1);
  m.validate();
  return m;
}

std::unique_ptr<Recommender> fitted(const std::string& spec) {
  auto model = make(spec);
  ThreadPool pool(1);
  const FeatureMatrix features = group_tags();
  FitContext context;
  context.pool = &pool;
  context.item_features = &features;
  model->fit(taste_groups(), context);
  return model;
}

// Clustered vectors: 40 random centres, each item a centre plus noise, with
// norms that vary (as learned item vectors' do).
struct Clustered {
  std::int32_t n = 5000;
  std::int32_t dim = 32;
  std::vector<float> data;
  std::vector<std::vector<float>> queries;

  Clustered() {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> scale(0.5f, 1.5f);
    std::vector<float> centres(40 * static_cast<std::size_t>(dim));
    for (float& x : centres) x = normal(rng);
    data.resize(static_cast<std::size_t>(n) * dim);
    for (std::int32_t i = 0; i < n; ++i) {
      const float* c = centres.data() + static_cast<std::size_t>(rng() % 40) * dim;
      const float s = scale(rng);
      for (std::int32_t d = 0; d < dim; ++d) data[static_cast<std::size_t>(i) * dim + d] = s * (c[d] + 0.4f * normal(rng));
    }
    for (int q = 0; q < 200; ++q) {
      const float* c = centres.data() + static_cast<std::size_t>(rng() % 40) * dim;
      std::vector<float> query(static_cast<std::size_t>(dim));
      for (std::int32_t d = 0; d < dim; ++d) query[d] = c[d] + 0.5f * normal(rng);
      queries.push_back(std::move(query));
    }
  }
  ItemVectors vectors() const { return {data.data(), n, dim}; }
};

const Clustered& clustered() {
  static const Clustered fixture;
  return fixture;
}

// The graph serves every search here (default options would scan a 5k
// catalogue exactly: its exact_share floor is 25 items).
AnnOptions graph_only() {
  AnnOptions options;
  options.exact_share = 1.0;
  return options;
}

std::unique_ptr<AnnIndex> build_clustered(AnnOptions options = graph_only()) {
  ThreadPool pool(2);
  return AnnIndex::build(clustered().vectors(), options, &pool);
}

std::vector<std::int32_t> ids(const std::vector<ScoredItem>& list) {
  std::vector<std::int32_t> out;
  for (const ScoredItem& s : list) out.push_back(s.item);
  return out;
}

TEST(AnnIndexTest, ExactScanEqualsModelRecommend) {
  for (const std::string spec : {"ials:factors=16,iterations=6", "bpr:factors=16,epochs=5", "hybrid:factors=8,epochs=3"}) {
    SCOPED_TRACE(spec);
    const auto model = fitted(spec);
    const auto vectors = item_vectors(*model);
    ASSERT_TRUE(vectors.has_value());
    EXPECT_EQ(vectors->n_items, model->n_items());
    const auto index = AnnIndex::build(*vectors);
    for (std::int32_t u = 0; u < model->n_users(); ++u) {
      const auto expected = model->recommend(u, 10);
      ASSERT_EQ(index->search_exact(user_vector(*model, u), 10, model->history().row_indices(u)), expected) << u;
      // A 400-item catalogue is under exact_share's floor: search() scans too.
      ASSERT_EQ(index->search(user_vector(*model, u), 10, model->history().row_indices(u)), expected) << u;
      ASSERT_EQ(index->search_exact(user_vector(*model, u), 10), model->recommend(u, 10, false)) << u;
    }
  }
}

TEST(AnnIndexTest, ModelsWithoutItemVectorsHaveNone) {
  const auto model = fitted("pop");
  EXPECT_FALSE(item_vectors(*model).has_value());
  EXPECT_TRUE(user_vector(*model, 0).empty());
  const std::int32_t items[] = {1, 2};
  EXPECT_TRUE(fold_in_vector(*model, items).empty());
  const auto ials = fitted("ials:factors=8,iterations=2");
  EXPECT_THROW(user_vector(*ials, ials->n_users()), UsageError);
}

TEST(AnnIndexTest, FoldInVectorReproducesScoreHistory) {
  for (const std::string spec : {"ials:factors=16,iterations=6", "bpr:factors=16,epochs=5", "hybrid:factors=8,epochs=3"}) {
    SCOPED_TRACE(spec);
    const auto model = fitted(spec);
    const auto& factor_model = dynamic_cast<const FactorModel&>(*model);
    const std::int32_t items[] = {3, 17, 61, 62, 250};
    const float weights[] = {1.0f, 4.0f, 2.0f, 0.0f, 1.5f};
    const std::vector<float> x = fold_in_vector(*model, items, weights);
    ASSERT_EQ(x.size(), static_cast<std::size_t>(factor_model.factors()));
    std::vector<float> from_vector(static_cast<std::size_t>(model->n_items()));
    std::vector<float> from_history(from_vector.size());
    factor_model.score_vector(x, from_vector.data());
    model->score_history(items, weights, from_history.data());
    EXPECT_EQ(from_vector, from_history);
  }
}

double recall_at_10(const AnnIndex& index, std::span<const std::int32_t> exclude = {}) {
  std::int64_t hits = 0;
  std::int64_t total = 0;
  for (const auto& query : clustered().queries) {
    const auto exact = ids(index.search_exact(query, 10, exclude));
    for (std::int32_t item : ids(index.search(query, 10, exclude)))
      hits += std::count(exact.begin(), exact.end(), item);
    total += static_cast<std::int64_t>(exact.size());
  }
  return static_cast<double>(hits) / static_cast<double>(total);
}

TEST(AnnIndexTest, RecallAtTenOnClusteredVectors) {
  const auto index = build_clustered();
  EXPECT_EQ(index->n_items(), 5000);
  EXPECT_EQ(index->dim(), 32);
  EXPECT_GT(index->memory_bytes(), static_cast<std::size_t>(5000 * 32 * 4 * 2));
  const double recall = recall_at_10(*index);
  EXPECT_GE(recall, 0.95) << recall;
  // The ANN list's scores are the exact scan's, bit for bit, item by item.
  for (const auto& query : clustered().queries) {
    const auto exact = index->search_exact(query, 100);
    for (const ScoredItem& found : index->search(query, 10)) {
      const auto same = std::find_if(exact.begin(), exact.end(), [&](const ScoredItem& s) { return s.item == found.item; });
      if (same != exact.end()) {
        EXPECT_EQ(same->score, found.score);
      }
    }
  }
  // A wider search finds more.
  index->set_ef_search(400);
  EXPECT_GE(recall_at_10(*index), recall);
  EXPECT_THROW(index->set_ef_search(0), UsageError);
}

TEST(AnnIndexTest, ExclusionNeverLeaksAndNeverLeavesAListShort) {
  for (const bool graph : {false, true}) {
    const auto index = graph ? build_clustered() : build_clustered(AnnOptions{});
    for (const auto& query : clustered().queries) {
      const auto top = ids(index->search_exact(query, 200));
      std::vector<std::int32_t> exclude = top;
      std::sort(exclude.begin(), exclude.end());
      const auto found = index->search(query, 10, exclude);
      ASSERT_EQ(found.size(), 10u);
      for (const ScoredItem& s : found) ASSERT_FALSE(std::binary_search(exclude.begin(), exclude.end(), s.item));
      // The exact scan (default options) gives the 201st best first.
      if (!graph) {
        EXPECT_EQ(found.front().item, ids(index->search_exact(query, 201)).back());
      }
    }
  }
  AnnOptions half;
  half.exact_share = 0.5;
  const auto index = build_clustered(half);
  // Half of the catalogue excluded: still a full list (the exact scan takes over).
  std::vector<std::int32_t> evens;
  for (std::int32_t i = 0; i < 5000; i += 2) evens.push_back(i);
  for (const ScoredItem& s : index->search(clustered().queries[0], 10, evens)) EXPECT_EQ(s.item % 2, 1);
  EXPECT_EQ(index->search(clustered().queries[0], 10, evens).size(), 10u);
  // All but three: those three. Ids outside the catalogue and repeats are harmless.
  std::vector<std::int32_t> all_but_three = {-5, -5};
  for (std::int32_t i = 0; i < 5000; ++i)
    if (i != 10 && i != 2000 && i != 4999) all_but_three.push_back(i);
  all_but_three.insert(all_but_three.end(), {5000, 5000, 70000});
  EXPECT_EQ(ids(index->search(clustered().queries[1], 10, all_but_three)).size(), 3u);
  auto three = ids(index->search(clustered().queries[1], 10, all_but_three));
  std::sort(three.begin(), three.end());
  EXPECT_EQ(three, (std::vector<std::int32_t>{10, 2000, 4999}));
  const std::vector<std::int32_t> unsorted = {5, 1};
  EXPECT_THROW(index->search(clustered().queries[0], 10, unsorted), UsageError);
  EXPECT_THROW(index->search(std::vector<float>(31), 10), UsageError);
  EXPECT_THROW(index->search(clustered().queries[0], -1), UsageError);
  EXPECT_TRUE(index->search(clustered().queries[0], 0).empty());
  EXPECT_EQ(index->search(clustered().queries[0], 9000).size(), 5000u);
}

TEST(AnnIndexTest, SaveLoadRoundTripGivesIdenticalResults) {
  TempDir dir;
  AnnOptions options = graph_only();
  options.exact_share = 0.03;  // 150 items: ef 32 + 100 excluded is served by the graph, 200 is not
  const auto index = build_clustered(options);
  index->set_ef_search(32);
  const std::string path = dir.file("items.hnsw");
  index->save(path);
  const auto loaded = AnnIndex::load(path, clustered().vectors());
  EXPECT_EQ(loaded->ef_search(), 32);
  EXPECT_EQ(loaded->options().m, index->options().m);
  EXPECT_EQ(loaded->options().exact_share, index->options().exact_share);
  for (const auto& query : clustered().queries) {
    ASSERT_EQ(loaded->search(query, 10), index->search(query, 10));
    ASSERT_EQ(loaded->search_exact(query, 10), index->search_exact(query, 10));
    for (const std::int32_t excluded : {100, 200}) {
      auto exclude = ids(index->search_exact(query, excluded));
      std::sort(exclude.begin(), exclude.end());
      ASSERT_EQ(loaded->search(query, 10, exclude), index->search(query, 10, exclude));
    }
  }
  // Only the index is left in the directory (no temporary files).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
  // An empty catalogue saves and loads too.
  const ItemVectors none{nullptr, 0, 8};
  AnnIndex::build(none)->save(dir.file("empty.hnsw"));
  EXPECT_TRUE(AnnIndex::load(dir.file("empty.hnsw"), none)->search(std::vector<float>(8), 5).empty());
}

void expect_input_error(const std::string& path, const ItemVectors& vectors, const std::string& words) {
  try {
    AnnIndex::load(path, vectors);
    ADD_FAILURE() << "loaded " << path;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(AnnIndexTest, LoadRefusesOtherVectorsAndDamagedFiles) {
  TempDir dir;
  const std::string path = dir.file("items.hnsw");
  build_clustered()->save(path);
  // A retrained model: same shape, one float different.
  std::vector<float> other = clustered().data;
  other[1234] += 1e-3f;
  expect_input_error(path, {other.data(), 5000, 32}, "other item vectors");
  expect_input_error(path, {clustered().data.data(), 4999, 32}, "rebuild");
  expect_input_error(path, {clustered().data.data(), 2500, 64}, "rebuild");
  expect_input_error(dir.file("missing.hnsw"), clustered().vectors(), "cannot open");
  expect_input_error(dir.write("text.hnsw", "not an index at all, just some text"), clustered().vectors(), "not a segue ANN index");
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x5A);
  expect_input_error(dir.write("flipped.hnsw", flipped), clustered().vectors(), "corrupt");
  expect_input_error(dir.write("short.hnsw", bytes.substr(0, bytes.size() - 100)), clustered().vectors(), "truncated");
  expect_input_error(dir.write("header.hnsw", bytes.substr(0, 40)), clustered().vectors(), "not a segue ANN index");
}

TEST(AnnIndexTest, ConcurrentSearchesEqualSingleThreaded) {
  const auto index = build_clustered();
  const auto& queries = clustered().queries;
  std::vector<std::int32_t> exclude;
  for (std::int32_t i = 0; i < 5000; i += 7) exclude.push_back(i);
  std::vector<std::vector<ScoredItem>> expected;
  for (const auto& query : queries) expected.push_back(index->search(query, 10, exclude));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (std::size_t q = (static_cast<std::size_t>(t) * 37) % queries.size(), done = 0; done < queries.size();
             ++done, q = (q + 1) % queries.size())
          if (index->search(queries[q], 10, exclude) != expected[q]) ++mismatches[static_cast<std::size_t>(t)];
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(AnnIndexTest, BadVectorsAndOptionsAreUsageErrors) {
  std::vector<float> v(64, 1.0f);
  v[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(AnnIndex::build({v.data(), 8, 8}), UsageError);
  v[5] = 1.0f;
  EXPECT_THROW(AnnIndex::build({v.data(), 8, 0}), UsageError);
  AnnOptions bad;
  bad.m = 1;
  EXPECT_THROW(AnnIndex::build({v.data(), 8, 8}, bad), UsageError);
  bad = {};
  bad.ef_search = 0;
  EXPECT_THROW(AnnIndex::build({v.data(), 8, 8}, bad), UsageError);
}

}  // namespace
}  // namespace segue

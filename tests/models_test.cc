// Tests of the model seam: feedback building, shared top-k, the thread pool,
// the baselines (pop, random), the registry and model files.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "models/baseline/popularity.h"
#include "models/feedback.h"
#include "io/model_file.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "models/top_k.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::TempDir;

FeedbackMatrix feedback(std::int32_t users, std::int32_t items, std::vector<FeedbackEntry> entries) {
  return build_feedback(users, items, entries);
}

std::vector<std::int32_t> ids(const std::vector<ScoredItem>& list) {
  std::vector<std::int32_t> out;
  for (const ScoredItem& s : list) out.push_back(s.item);
  return out;
}

// ---- feedback ----

TEST(Feedback_Build, SumsSignalPerPairAndSplitsNegatives) {
  DatasetBuilder builder;
  const std::int32_t u = builder.user("u");
  const std::int32_t a = builder.item("a");
  const std::int32_t b = builder.item("b");
  const std::int32_t c = builder.item("c");
  const std::int16_t like = builder.event_code("like");
  const std::int16_t skip = builder.event_code("skip");
  builder.add({u, b, 3.0f});              // play x3 = 3
  builder.add({u, a, 1.0f, kNoTime, like});  // like = 4
  builder.add({u, b, 1.0f});              // b total 4
  builder.add({u, c, 2.0f, kNoTime, skip});  // c = -2
  const Dataset dataset = builder.finish("test");
  const FeedbackMatrix m = build_feedback(dataset);
  ASSERT_EQ(m.n_users, 1);
  ASSERT_EQ(m.n_items, 3);
  EXPECT_EQ(m.indices.to_vector(), (std::vector<std::int32_t>{a, b}));
  EXPECT_EQ(m.values, (std::vector<float>{4.0f, 4.0f}));
  ASSERT_EQ(m.negatives.nnz(), 1);
  EXPECT_EQ(m.negatives.indices[0], c);
  EXPECT_EQ(m.negatives.values[0], 2.0f);
  EXPECT_NO_THROW(m.validate());
}

TEST(Feedback_Build, UsesOnlyTheListedEventsInAnyOrder) {
  DatasetBuilder builder;
  for (int e = 0; e < 6; ++e) builder.add({builder.user(e < 3 ? "x" : "y"), builder.item("i" + std::to_string(e % 3))});
  const Dataset dataset = builder.finish("test");
  const std::vector<std::int64_t> events{5, 0, 4};
  const FeedbackMatrix m = build_feedback(dataset, &events);
  EXPECT_EQ(m.nnz(), 3);
  EXPECT_EQ(std::vector<std::int32_t>(m.items_of(0).begin(), m.items_of(0).end()), (std::vector<std::int32_t>{0}));
  EXPECT_EQ(std::vector<std::int32_t>(m.items_of(1).begin(), m.items_of(1).end()), (std::vector<std::int32_t>{1, 2}));
  const std::vector<std::int64_t> bad{0, 9};
  EXPECT_THROW(build_feedback(dataset, &bad), UsageError);
  const std::vector<std::int64_t> twice{1, 1};
  EXPECT_THROW(build_feedback(dataset, &twice), UsageError);
}

TEST(Feedback_Build, ZeroSumPairsAreDroppedAndTransposeMatches) {
  const FeedbackMatrix m = feedback(2, 3, {{0, 2, 1.0f}, {0, 2, -1.0f}, {0, 1, 2.0f}, {1, 1, 1.0f}, {1, 0, 5.0f}});
  EXPECT_EQ(m.nnz(), 3);
  EXPECT_EQ(m.negatives.nnz(), 0);
  const SparseRows t = m.by_item();
  EXPECT_EQ(t.n_rows, 3);
  EXPECT_EQ(t.count(1), 2);
  EXPECT_EQ(t.row_indices(1)[0], 0);
  EXPECT_EQ(t.row_values(1)[0], 2.0f);
  EXPECT_EQ(t.row_indices(0)[0], 1);
  EXPECT_EQ(t.count(2), 0);
  EXPECT_NO_THROW(t.validate("t"));
  EXPECT_THROW(feedback(1, 1, {{0, 1, 1.0f}}), UsageError);
}

// Found by fuzz_model_file (a heap overflow under ASan): validate() walked row 0's entries up to indptr[1]
// before seeing that indptr decreases later, reading past indices when indptr[1] > nnz.
TEST(Feedback_Build, ValidateChecksAllOfIndptrBeforeReadingARow) {
  SparseRows rows;
  rows.n_rows = 2;
  rows.n_cols = 3;
  rows.indptr = {0, 100, 2};
  rows.indices = {0, 1};
  rows.values = {1.0f, 1.0f};
  try {
    rows.validate("rows");
    FAIL() << "a decreasing indptr was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("indptr decreases at row 1"), std::string::npos) << error.what();
  }
}

// ---- top-k ----

TEST(TopK_Select, MatchesAFullSortWithTiesAndExclusions) {
  std::mt19937 rng(7);
  std::vector<ScoredItem> buffer;
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 60);
    std::vector<float> scores(n);
    for (float& s : scores) s = static_cast<float>(rng() % 5);  // many ties
    if (trial % 10 == 0) scores[rng() % n] = std::numeric_limits<float>::quiet_NaN();
    std::vector<std::int32_t> exclude;
    for (int i = 0; i < n; ++i)
      if (rng() % 4 == 0) exclude.push_back(i);
    const int k = 1 + static_cast<int>(rng() % (n + 3));
    std::vector<ScoredItem> all;
    for (int i = 0; i < n; ++i)
      if (!std::binary_search(exclude.begin(), exclude.end(), i)) all.push_back({i, scores[i]});
    std::sort(all.begin(), all.end(), ranks_before);
    all.resize(std::min<std::size_t>(all.size(), static_cast<std::size_t>(k)));
    top_k(scores, exclude, k, buffer);
    ASSERT_EQ(ids(buffer), ids(all)) << "trial " << trial;
  }
}

TEST(TopK_Select, BreaksTiesByLowerItemIdAndRanksNanLast) {
  const std::vector<float> scores{1.0f, std::numeric_limits<float>::quiet_NaN(), 2.0f, 1.0f, 2.0f};
  std::vector<ScoredItem> out;
  top_k(scores, {}, 5, out);
  EXPECT_EQ(ids(out), (std::vector<std::int32_t>{2, 4, 0, 3, 1}));
}

TEST(TopK_Rows, EqualsRowByRowSelectionOnAPool) {
  std::mt19937 rng(3);
  const int rows = 50;
  const int cols = 40;
  std::vector<float> scores(rows * cols);
  for (float& s : scores) s = static_cast<float>(rng() % 10);
  std::vector<std::int32_t> even;
  for (int i = 0; i < cols; i += 2) even.push_back(i);
  ThreadPool pool(2);
  TopKBlock block;
  top_k_rows(scores.data(), rows, cols, [&](std::int64_t r) { return r % 2 ? std::span<const std::int32_t>(even) : std::span<const std::int32_t>(); }, 5, block, &pool);
  std::vector<ScoredItem> one;
  for (int r = 0; r < rows; ++r) {
    top_k(std::span<const float>(scores.data() + r * cols, cols), r % 2 ? std::span<const std::int32_t>(even) : std::span<const std::int32_t>(), 5, one);
    EXPECT_EQ(std::vector<ScoredItem>(block.row(r).begin(), block.row(r).end()), one);
  }
}

// ---- thread pool ----

TEST(ThreadPool_ParallelFor, CoversEveryIndexOnceWithValidThreadIndices) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  std::atomic<bool> bad_index{false};
  pool.parallel_for(0, 1000, 7, [&](std::int64_t b, std::int64_t e, int t) {
    if (t < 0 || t >= pool.size()) bad_index = true;
    for (std::int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  EXPECT_FALSE(bad_index.load());
}

TEST(ThreadPool_ParallelFor, PropagatesExceptionsAndStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(0, 100, 1,
                                 [](std::int64_t b, std::int64_t, int) {
                                   if (b == 42) throw std::runtime_error("chunk 42");
                                 }),
               std::runtime_error);
  std::atomic<int> sum{0};
  pool.parallel_for(0, 10, 1, [&](std::int64_t b, std::int64_t e, int) {
    // A nested loop runs inline rather than deadlocking.
    pool.parallel_for(b, e, 1, [&](std::int64_t x, std::int64_t y, int) { sum += static_cast<int>(y - x); });
  });
  EXPECT_EQ(sum.load(), 10);
}

// ---- registry and baselines ----

TEST(Registry_Models, ListsBuiltinsAndMakesThemFromSpecs) {
  std::vector<std::string> names;
  for (const ModelInfo* info : list_models()) names.push_back(info->name);
  EXPECT_NE(std::find(names.begin(), names.end(), "pop"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "random"), names.end());
  auto model = make_recommender("pop:decay_days=0");
  EXPECT_EQ(model->name(), "pop");
  EXPECT_EQ(model->params().to_string(), "pop:decay_days=0");
  try {
    make_recommender("nosuch:x=1");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("nosuch"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("pop"), std::string::npos);  // lists the known ones
  }
  EXPECT_NE(describe_models().find("decay_days"), std::string::npos);
}

// Users 0..3 over items 0..3: item 2 has 3 users, item 0 has 2, item 3 has 1, item 1 none.
FeedbackMatrix tiny_train() {
  return feedback(4, 4, {{0, 2, 1}, {1, 2, 5}, {2, 2, 1}, {0, 0, 1}, {3, 0, 1}, {1, 3, 1}});
}

TEST(Popularity_Fit, RanksByNumberOfUsersAndExcludesSeen) {
  auto model = make_recommender("pop");
  model->fit(tiny_train());
  EXPECT_EQ(ids(model->recommend(3, 10, false)), (std::vector<std::int32_t>{2, 0, 3, 1}));
  EXPECT_EQ(model->recommend(3, 10, false)[0].score, 3.0f);
  // User 0 has items 0 and 2: left are 3 (one user) and 1 (none).
  EXPECT_EQ(ids(model->recommend(0, 10)), (std::vector<std::int32_t>{3, 1}));
  EXPECT_EQ(ids(model->recommend(0, 1)), (std::vector<std::int32_t>{3}));
  const Explanation why = model->explain(0, 3);
  EXPECT_TRUE(why.contributions.empty());
  EXPECT_FALSE(why.note.empty());
}

TEST(Popularity_Fit, RejectsBadArgumentsNamingThem) {
  auto model = make_recommender("pop");
  EXPECT_THROW(model->recommend(0, 5), UsageError);  // not fitted
  model->fit(tiny_train());
  auto message = [&](auto call) {
    try {
      call();
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { model->recommend(4, 5); }).find("user"), std::string::npos);
  EXPECT_NE(message([&] { model->recommend(-1, 5); }).find("user"), std::string::npos);
  EXPECT_NE(message([&] { model->recommend(0, 0); }).find("n:"), std::string::npos);
  EXPECT_NE(message([&] { model->similar_items(9, 5); }).find("item"), std::string::npos);
  const std::vector<std::int32_t> history{1, 7};
  EXPECT_NE(message([&] { model->recommend_from_history(history, {}, 3); }).find("items"), std::string::npos);
  EXPECT_EQ(model->recommend(3, 1000, false).size(), 4u);  // clamped to the catalogue
  const std::vector<std::int32_t> known{2};
  EXPECT_EQ(ids(model->recommend_from_history(known, {}, 2)), (std::vector<std::int32_t>{0, 3}));
}

Dataset timed_dataset() {
  // Item "old" has two listeners 100 days ago, item "new" one listener today.
  DatasetBuilder builder;
  const std::int64_t day = 86400;
  builder.add({builder.user("a"), builder.item("old"), 1.0f, 0});
  builder.add({builder.user("b"), builder.item("old"), 1.0f, 1 * day});
  builder.add({builder.user("c"), builder.item("new"), 1.0f, 100 * day});
  builder.add({builder.user("c"), builder.item("other"), 1.0f, 50 * day});
  return builder.finish("timed");
}

TEST(Popularity_Decay, PrefersRecentItemsWhenDecayed) {
  const Dataset dataset = timed_dataset();
  const FeedbackMatrix train = build_feedback(dataset);
  const std::int32_t old_item = dataset.items.find("old");
  const std::int32_t new_item = dataset.items.find("new");
  auto plain = make_recommender("pop:decay_days=0");
  plain->fit(train);
  EXPECT_EQ(plain->recommend(0, 1, false)[0].item, old_item);
  auto decayed = make_recommender("pop:decay_days=10");
  FitContext context;
  context.dataset = &dataset;
  decayed->fit(train, context);
  const auto list = decayed->recommend(0, 3, false);
  EXPECT_EQ(list[0].item, new_item);
  EXPECT_FLOAT_EQ(list[0].score, 1.0f);                         // age 0
  EXPECT_NEAR(list[1].score, std::exp(-5.0), 1e-6);             // "other", 50 days old
  EXPECT_THROW(make_recommender("pop:decay_days=10")->fit(train), UsageError);  // no dataset: no timestamps
}

TEST(Random_Scores, AreDeterministicUnderASeedAndDifferAcrossSeeds) {
  const FeedbackMatrix train = tiny_train();
  auto a = make_recommender("random:seed=5");
  auto b = make_recommender("random:seed=5");
  auto c = make_recommender("random:seed=6");
  a->fit(train);
  b->fit(train);
  c->fit(train);
  bool any_difference = false;
  for (std::int32_t u = 0; u < 4; ++u) {
    EXPECT_EQ(a->recommend(u, 4, false), b->recommend(u, 4, false));
    any_difference = any_difference || a->recommend(u, 4, false) != c->recommend(u, 4, false);
  }
  EXPECT_TRUE(any_difference);
  // Batch and single scoring agree.
  const std::vector<std::int32_t> users{3, 1};
  std::vector<float> batch(2 * 4);
  a->score_users(users, batch.data());
  std::vector<float> one(4);
  a->score_users(std::span<const std::int32_t>(&users[1], 1), one.data());
  EXPECT_TRUE(std::equal(one.begin(), one.end(), batch.begin() + 4));
}

// ---- model files ----

TEST(ModelFile_RoundTrip, LoadedModelRecommendsTheSameWithIdMaps) {
  TempDir dir;
  for (const char* spec : {"pop", "random:seed=11"}) {
    auto model = make_recommender(spec);
    model->fit(tiny_train());
    IdMap users;
    IdMap items;
    for (const char* name : {"ann", "bob", "cat", "dan"}) users.intern(name);
    for (const char* name : {"t0", "t1", "t2", "t3"}) items.intern(name);
    model->set_id_maps(users, items);
    const std::string path = dir.file("model.segue");
    model->save(path);
    auto loaded = Recommender::load(path);
    EXPECT_EQ(loaded->params(), model->params());
    EXPECT_EQ(loaded->n_users(), 4);
    EXPECT_EQ(loaded->item_ids(), items);
    EXPECT_EQ(loaded->user_ids().find("cat"), 2);
    for (std::int32_t u = 0; u < 4; ++u) EXPECT_EQ(loaded->recommend(u, 4), model->recommend(u, 4)) << spec;
  }
  EXPECT_TRUE(std::filesystem::exists(dir.file("model.segue")));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename(), "model.segue");  // no temp file left behind
}

TEST(ModelFile_Damage, TruncatedCorruptForeignAndNewerFilesAreInputErrors) {
  TempDir dir;
  auto model = make_recommender("pop");
  model->fit(tiny_train());
  const std::string good = dir.file("good.segue");
  model->save(good);
  const std::string bytes = segue::testing::read_file(good);
  auto expect_error = [&](const std::string& name, const std::string& content, const std::string& says) {
    const std::string path = dir.write(name, content);
    try {
      Recommender::load(path);
      ADD_FAILURE() << name << ": expected InputError";
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), path);
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  expect_error("truncated.segue", bytes.substr(0, bytes.size() / 2), "truncated");
  expect_error("header.segue", bytes.substr(0, 12), "truncated");
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x40;
  expect_error("corrupt.segue", flipped, "crc32");
  expect_error("foreign.segue", "hello, world, this is not a model at all", "not a segue model file");
  std::string newer = bytes;
  newer[8] = 99;
  expect_error("newer.segue", newer, "newer");
  EXPECT_THROW(Recommender::load(dir.file("missing.segue")), InputError);
}

TEST(ModelFile_Sections, WrongTypeOrMissingSectionNamesTheSection) {
  TempDir dir;
  const std::string path = dir.file("s.bin");
  {
    ModelWriter out(path);
    out.put("a", std::vector<float>{1, 2});
    out.commit();
  }
  const ModelReader in(path);
  EXPECT_EQ(in.get<float>("a"), (std::vector<float>{1, 2}));
  try {
    in.get<std::int32_t>("a");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "a");
  }
  EXPECT_THROW(in.get<float>("b"), InputError);
  EXPECT_THROW(in.get<float>("a", 3), InputError);
}

}  // namespace
}  // namespace segue

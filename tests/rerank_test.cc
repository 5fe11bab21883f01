// The two-stage model (models/rerank): the carve keeps labels away from the
// generators, the candidates are exactly the union of the generators' top-N,
// the features are what they say, xgboost's LambdaMART learns an ordering and
// survives a round trip, and the whole stack saves, loads and explains.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "models/registry.h"
#include "models/rerank/rerank.h"
#include "models/rerank/tree_forest.h"
#include "models/rerank/xgb_ranker.h"
#include "synthetic_fixture.h"
#include "test_util.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

using segue::testing::synthetic_data;

TEST(RerankGenerators, SplitOnPlusBeforeAModelName) {
  const auto specs = resolve_generators("ease+ials:factors=8;reg=1e+3+itemknn", 100);
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0], "ease");
  EXPECT_EQ(specs[1], "ials:factors=8,reg=1e+3");  // '+' before a digit stays in the number
  EXPECT_EQ(specs[2], "itemknn");
  EXPECT_EQ(resolve_generators("auto", 100).front(), "ease");
  EXPECT_EQ(resolve_generators("auto", 50000).front(), "ials");  // no n² ease on a large catalogue
  EXPECT_EQ(resolve_generators("auto", 100, true).back(), "title");
  EXPECT_EQ(resolve_generators("auto", 100, false).back(), "userknn");
  EXPECT_EQ(resolve_generators("auto", 100, false, true).back(), "featureknn");
  // featureknn only when some artist/album/genre/tag links two items: not when every item is its own artist.
  FeatureMatrix own;
  own.n_rows = 3;
  own.n_features = 3;
  own.indptr = {0, 1, 2, 3};
  own.indices = {0, 1, 2};
  own.values = {1, 1, 1};
  own.names = {"artist=a", "artist=b", "artist=c"};
  own.group_of = {0, 0, 0};
  own.groups = {"artist"};
  own.described = {1, 1, 1};
  EXPECT_FALSE(has_linkable_features(&own));
  EXPECT_FALSE(has_linkable_features(nullptr));
  own.indices = {0, 1, 0};  // items 0 and 2 by the same artist
  EXPECT_TRUE(has_linkable_features(&own));
}

TEST(RerankGenerators, BadGeneratorsNameTheKey) {
  for (const char* text : {"ease++ials", "nosuchmodel", "ials:factors=-1", "rerank", "ease+"}) {
    try {
      resolve_generators(text, 100);
      ADD_FAILURE() << text << " was accepted";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("generators"), std::string::npos) << error.what();
    }
  }
  EXPECT_THROW(make_recommender("rerank:objective=softmax"), UsageError);
}

TEST(RerankCarve, LabelsNeverReachTheGenerators) {
  const auto data = synthetic_data(60, 40, 3);
  const RerankCarve carved = carve_for_ranker(data.train, 0.2, 5, FitContext{});
  ASSERT_EQ(carved.train.n_users, data.train.n_users);
  std::int64_t held = 0;
  for (std::int32_t u = 0; u < data.train.n_users; ++u) {
    const auto all = data.train.items_of(u);
    const auto kept = carved.train.items_of(u);
    const auto labels = carved.targets.row_indices(u);
    std::set<std::int32_t> a(kept.begin(), kept.end()), b(labels.begin(), labels.end());
    for (std::int32_t i : labels) EXPECT_EQ(a.count(i), 0u) << "user " << u << " item " << i << " in both";
    EXPECT_EQ(a.size() + b.size(), all.size()) << "user " << u;
    if (all.size() >= 2) {
      EXPECT_GE(labels.size(), 1u);
      EXPECT_GE(kept.size(), 1u);
    }
    held += static_cast<std::int64_t>(labels.size());
  }
  EXPECT_NEAR(static_cast<double>(held) / static_cast<double>(data.train.nnz()), 0.2, 0.04);
  // Another seed, another carve.
  const RerankCarve other = carve_for_ranker(data.train, 0.2, 6, FitContext{});
  EXPECT_NE(std::vector<std::int32_t>(other.targets.indices.begin(), other.targets.indices.end()),
            std::vector<std::int32_t>(carved.targets.indices.begin(), carved.targets.indices.end()));
}

// Listeners' events in order (users.size() + 1 offsets into items) and the feedback summed from them.
struct OrderedLog {
  Dataset data;
  FeedbackMatrix train;
};
OrderedLog ordered_log(std::vector<std::int64_t> indptr, std::vector<std::int32_t> items, std::int32_t n_items) {
  OrderedLog out;
  Interactions& log = out.data.interactions;
  log.n_users = static_cast<std::int32_t>(indptr.size()) - 1;
  log.n_items = n_items;
  log.indptr = std::move(indptr);
  log.items = std::move(items);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < log.n_users; ++u)
    for (std::int64_t e = log.indptr[u]; e < log.indptr[u + 1]; ++e) entries.push_back({u, log.items[e], 1.0f});
  out.train = build_feedback(log.n_users, n_items, entries);
  return out;
}

TEST(RerankCarve, EventsOfLabelledPairsAreLeftOut) {
  // Two users, events in order; the dataset's events of a carved pair must not reach sequence models.
  const OrderedLog fixture = ordered_log({0, 5, 10}, {0, 1, 2, 3, 4, 5, 4, 3, 2, 1}, 6);
  const Interactions& log = fixture.data.interactions;
  const FeedbackMatrix& train = fixture.train;
  FitContext context;
  context.dataset = &fixture.data;
  const RerankCarve carved = carve_for_ranker(train, 0.4, 1, context);
  std::int64_t kept = 0;
  for (std::int64_t e : carved.events) {
    const std::int32_t u = e < 5 ? 0 : 1;
    const auto labels = carved.targets.row_indices(u);
    EXPECT_FALSE(std::binary_search(labels.begin(), labels.end(), log.items[e])) << "event " << e;
    ++kept;
  }
  EXPECT_EQ(kept + carved.targets.nnz(), 10);
}

TEST(RerankCarve, LastModeHoldsOutEachListenersLastItem) {
  const OrderedLog fixture = ordered_log({0, 5, 10, 11}, {0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 2}, 6);
  const FeedbackMatrix& train = fixture.train;
  FitContext context;
  context.dataset = &fixture.data;
  const RerankCarve carved = carve_for_ranker(train, 0.4, 1, context, "last");
  ASSERT_EQ(carved.targets.count(0), 1);
  EXPECT_EQ(carved.targets.row_indices(0)[0], 4);  // user 0 played 0..4 in order
  ASSERT_EQ(carved.targets.count(1), 1);
  EXPECT_EQ(carved.targets.row_indices(1)[0], 1);  // user 1 played 5, 4, 3, 2, 1
  EXPECT_EQ(carved.targets.count(2), 0);           // one item: nothing to hold out
  EXPECT_EQ(carved.train.count(0), 4);

  // Seeds: every chosen listener keeps a prefix in event order (user 1: 5 then 4, ...), the rest are labels.
  const RerankCarve seeded = carve_for_ranker(train, 1.0, 1, context, "seeds");
  ASSERT_EQ(seeded.train.count(0), 1);  // the first seed size, 1
  EXPECT_EQ(seeded.train.items_of(0)[0], 0);
  EXPECT_EQ(seeded.targets.count(0), 4);
  ASSERT_EQ(seeded.train.count(1), 1);  // 5 does not fit 5 items: the next size that fits is 1
  EXPECT_EQ(seeded.train.items_of(1)[0], 5);
  EXPECT_EQ(seeded.targets.count(2), 0);
}

TEST(RerankCarve, CutModeKeepsAPrefixLabelsTheNextItemAndDropsTheRest) {
  // User 0 plays 0..9 in order, user 1 plays 9..0, user 2 two items (too short to cut: a random carve).
  const OrderedLog fixture = ordered_log({0, 10, 20, 22}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 3, 4}, 10);
  FitContext context;
  context.dataset = &fixture.data;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const RerankCarve carved = carve_for_ranker(fixture.train, 0.2, seed, context, "cut");
    const std::int64_t j = carved.train.count(0);
    ASSERT_GE(j, 5);
    ASSERT_LE(j, 9);
    for (std::int64_t p = 0; p < j; ++p) EXPECT_EQ(carved.train.items_of(0)[p], p);  // the first j items
    ASSERT_EQ(carved.targets.count(0), 1);
    EXPECT_EQ(carved.targets.row_indices(0)[0], j);  // the next one
    const std::int64_t k = carved.train.count(1);
    ASSERT_EQ(carved.targets.count(1), 1);
    EXPECT_EQ(carved.targets.row_indices(1)[0], 9 - k);
    // Events: only those of kept items (the label and the later items take theirs with them).
    std::int64_t events_of_user0 = 0;
    for (const std::int64_t e : carved.events)
      if (e < 10) {
        ++events_of_user0;
        EXPECT_LT(fixture.data.interactions.items[e], j) << e;
      }
    EXPECT_EQ(events_of_user0, j);
  }
}

// `groups` groups of `per_group` rows; make(row) fills one row's features and returns its label.
template <class Make>
RankingRows ranking_rows(int groups, int per_group, std::int32_t n_features, Make make) {
  RankingRows rows;
  rows.n_features = n_features;
  std::vector<float> row(static_cast<std::size_t>(n_features));
  for (int g = 0; g < groups; ++g) {
    for (int r = 0; r < per_group; ++r) {
      rows.labels.push_back(make(row));
      rows.x.insert(rows.x.end(), row.begin(), row.end());
    }
    rows.group_sizes.push_back(static_cast<unsigned>(per_group));
  }
  return rows;
}

TEST(XgbRanker, LearnsAnOrderingAndRoundTrips) {
  // Label = 1 when x0 + 0.5·x1 > 0.8 (x2 is noise): the ranker must put labelled rows first.
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u01(0.0f, 1.0f);
  const RankingRows rows = ranking_rows(200, 20, 3, [&](std::vector<float>& x) {
    x = {u01(rng), u01(rng), u01(rng)};
    return x[0] + 0.5f * x[1] > 0.8f ? 1.0f : 0.0f;
  });
  RankerParams params;
  params.rounds = 60;
  params.min_child_weight = 0.01;
  const XgbRanker ranker = XgbRanker::train(rows, RankingRows{}, params);
  EXPECT_EQ(ranker.rounds(), 60);
  std::vector<float> margins(rows.rows());
  ranker.predict(rows.x.data(), rows.rows(), margins.data());
  // Pairwise accuracy over (positive, negative) pairs.
  double right = 0, pairs = 0;
  for (std::size_t i = 0; i < rows.rows(); i += 7)
    for (std::size_t j = 0; j < rows.rows(); j += 5)
      if (rows.labels[i] > rows.labels[j]) {
        pairs += 1;
        right += margins[i] > margins[j];
      }
  ASSERT_GT(pairs, 100);
  EXPECT_GT(right / pairs, 0.95);

  const XgbRanker loaded = XgbRanker::from_bytes(ranker.to_bytes(), 3);
  std::vector<float> again(rows.rows());
  loaded.predict(rows.x.data(), rows.rows(), again.data());
  for (std::size_t k = 0; k < rows.rows(); ++k) ASSERT_FLOAT_EQ(again[k], margins[k]) << k;
  // SHAP values sum to the margin, and the noise feature matters least.
  const std::vector<float> shap = loaded.contributions(rows.x.data());
  ASSERT_EQ(shap.size(), 4u);
  EXPECT_NEAR(shap[0] + shap[1] + shap[2] + shap[3], margins[0], 1e-3);
  EXPECT_THROW(XgbRanker::from_bytes(ranker.to_bytes(), 4), std::runtime_error);
  EXPECT_THROW(XgbRanker::from_bytes("not a model", 3), std::runtime_error);
}

TEST(XgbRanker, FlatTreesGiveXgboostsOwnMargins) {
  // Missing values carry meaning here (x1 missing = relevant), so the trees learn default directions.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u01(0.0f, 1.0f);
  const RankingRows rows = ranking_rows(100, 16, 4, [&](std::vector<float>& x) {
    const float a = u01(rng), b = u01(rng) < 0.3f ? NAN : u01(rng), c = u01(rng), d = u01(rng);
    x = {a, b, c, d};
    return std::isnan(b) ? 2.0f : a + c > 1.0f ? 1.0f : 0.0f;
  });
  RankerParams params;
  params.rounds = 40;
  params.min_child_weight = 0.01;
  const XgbRanker ranker = XgbRanker::train(rows, RankingRows{}, params);
  std::vector<float> probe;
  for (int r = 0; r < 500; ++r)
    for (int f = 0; f < 4; ++f) probe.push_back(u01(rng) < 0.2f ? NAN : 2.0f * u01(rng) - 0.5f);
  std::vector<float> flat(500), reference(500);
  const XgbRanker loaded = XgbRanker::from_bytes(ranker.to_bytes(), 4);
  for (const XgbRanker* m : {&ranker, &loaded}) {
    m->predict(probe.data(), 500, flat.data());
    m->predict_xgboost(probe.data(), 500, reference.data());
    for (std::size_t k = 0; k < 500; ++k) ASSERT_NEAR(flat[k], reference[k], 1e-4) << k;
  }
  EXPECT_GT(*std::max_element(flat.begin(), flat.end()) - *std::min_element(flat.begin(), flat.end()), 0.1f);
}

TEST(TreeForest, WalksHandWrittenTreesAndRefusesBrokenOnes) {
  // Tree 0: x0 < 0.5 -> -1, else 2; missing -> left. Tree 1: x1 < 0 -> 0.25, else -0.5; missing -> right.
  const std::string json = R"({"learner": {"gradient_booster": {"model": {"trees": [
      {"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0],
       "split_conditions": [0.5, -1.0, 2.0], "default_left": [1, 0, 0]},
      {"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [1, 0, 0],
       "split_conditions": [0.0, 0.25, -0.5], "default_left": [false, false, false]}]}}}})";
  TreeForest forest = TreeForest::from_json(json, 2);
  forest.set_bias(0.5f);
  ASSERT_EQ(forest.trees(), 2u);
  const std::vector<float> x{0.2f, -1.0f, 0.5f, 1.0f, NAN, NAN, 0.9f, 0.0f};
  std::vector<float> out(4);
  forest.predict(x.data(), 4, out.data());
  EXPECT_FLOAT_EQ(out[0], 0.5f - 1.0f + 0.25f);
  EXPECT_FLOAT_EQ(out[1], 0.5f + 2.0f - 0.5f);  // 0.5 is not < 0.5: right
  EXPECT_FLOAT_EQ(out[2], 0.5f - 1.0f - 0.5f);  // missing: left, then right
  EXPECT_FLOAT_EQ(out[3], 0.5f + 2.0f - 0.5f);
  auto broken = [&](const std::string& from, const std::string& to) {
    std::string damaged = json;
    damaged.replace(damaged.find(from), from.size(), to);
    return damaged;
  };
  EXPECT_THROW(TreeForest::from_json(json, 1), std::runtime_error);  // tree 1 splits on feature 1
  EXPECT_THROW(TreeForest::from_json(broken("[1, -1, -1], \"right", "[0, -1, -1], \"right"), 2), std::runtime_error);
  EXPECT_THROW(TreeForest::from_json(broken("[2, -1, -1]", "[2, -1]"), 2), std::runtime_error);
  EXPECT_THROW(TreeForest::from_json(broken("-1.0, 2.0", "-1.0, 1e39"), 2), std::runtime_error);
  EXPECT_THROW(TreeForest::from_json("{\"learner\": {}}", 2), std::runtime_error);
  EXPECT_THROW(TreeForest::from_json("not json", 2), std::runtime_error);
}

std::unique_ptr<Recommender> fit_rerank(const std::string& spec, const segue::testing::SyntheticData& data) {
  auto model = make_recommender(spec);
  static ThreadPool two(2);
  FitContext context;
  context.pool = &two;
  context.item_features = &data.features;
  model->fit(data.train, context);
  return model;
}

TEST(Rerank, CandidatesAreTheUnionOfTheGeneratorsTopN) {
  const auto data = synthetic_data(80, 60, 5);
  const auto model = fit_rerank("rerank:generators=itemknn+ials:factors=8,candidates=7", data);
  const auto& rerank = dynamic_cast<const RerankModel&>(*model);
  ASSERT_EQ(rerank.generators().size(), 2u);
  // itemknn.score/z/rank, ials.score/z/rank, 8 common, one per content group (artist, tag).
  ASSERT_EQ(rerank.feature_names().size(), 6u + 8u + 2u);
  EXPECT_EQ(rerank.feature_names()[3], "ials.score");
  EXPECT_EQ(rerank.feature_names().back(), "content.tag");
  EXPECT_GT(rerank.candidate_recall(), 0.0);
  EXPECT_LE(rerank.candidate_recall(), 1.0);
  const auto F = rerank.feature_names().size();
  for (std::int32_t u = 0; u < model->n_users(); u += 9) {
    std::set<std::int32_t> expected;
    std::vector<std::vector<ScoredItem>> lists;
    for (const auto& g : rerank.generators()) {
      lists.push_back(g->recommend(u, 7));
      for (const ScoredItem& s : lists.back()) expected.insert(s.item);
    }
    CandidateRows rows;
    rerank.candidate_rows(u, rows);
    EXPECT_EQ(std::set<std::int32_t>(rows.items.begin(), rows.items.end()), expected) << "user " << u;
    ASSERT_EQ(rows.x.size(), rows.items.size() * F);
    const auto history = model->history().row_indices(u);
    for (std::size_t c = 0; c < rows.items.size(); ++c) {
      EXPECT_FALSE(std::binary_search(history.begin(), history.end(), rows.items[c]));
      const float* x = rows.x.data() + c * F;
      int lists_in = 0;
      for (std::size_t g = 0; g < lists.size(); ++g) {
        const auto it = std::find_if(lists[g].begin(), lists[g].end(),
                                     [&](const ScoredItem& s) { return s.item == rows.items[c]; });
        if (it == lists[g].end()) {
          EXPECT_TRUE(std::isnan(x[3 * g + 2]));
        } else {
          ++lists_in;
          EXPECT_EQ(x[3 * g + 2], static_cast<float>(it - lists[g].begin() + 1));  // 1-based rank
          EXPECT_FLOAT_EQ(x[3 * g], it->score);
        }
      }
      EXPECT_EQ(x[6], static_cast<float>(lists_in));  // "lists"
    }
  }
  // The re-ranked list is drawn from the candidates, and ranks them first.
  for (std::int32_t u = 0; u < model->n_users(); u += 11) {
    CandidateRows rows;
    rerank.candidate_rows(u, rows);
    const std::set<std::int32_t> candidates(rows.items.begin(), rows.items.end());
    const auto list = model->recommend(u, static_cast<std::int32_t>(candidates.size()));
    for (const ScoredItem& s : list) EXPECT_EQ(candidates.count(s.item), 1u) << "user " << u;
  }
}

TEST(Rerank, SavesLoadsAndExplainsWithItsFeatures) {
  const auto data = synthetic_data(80, 60, 5);
  const auto model = fit_rerank("rerank:generators=itemknn+rp3beta,candidates=10", data);
  segue::testing::TempDir dir;
  const std::string path = dir.file("rerank.segue");
  model->save(path);
  const auto loaded = Recommender::load(path);
  for (std::int32_t u = 0; u < model->n_users(); ++u) {
    const auto a = model->recommend(u, 10), b = loaded->recommend(u, 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      ASSERT_EQ(a[k].item, b[k].item) << "user " << u;
      ASSERT_FLOAT_EQ(a[k].score, b[k].score);
    }
  }
  const auto top = loaded->recommend(3, 1);
  ASSERT_EQ(top.size(), 1u);
  const Explanation why = loaded->explain(3, top[0].item);
  EXPECT_NE(why.note.find("rerank: proposed by"), std::string::npos) << why.note;
  EXPECT_NE(why.note.find("strongest features"), std::string::npos) << why.note;
  EXPECT_FALSE(why.contributions.empty());
}

TEST(Rerank, BeatsItsGeneratorsOnHeldOutItemsOfClusteredTastes) {
  // Held-out items of the synthetic clusters: the re-ranker learns from its own carve and must not rank worse
  // than its first generator on items it never saw (hit rate at 5 over every user).
  const auto data = synthetic_data(200, 80, 9);
  const RerankCarve outer = carve_for_ranker(data.train, 0.2, 99, FitContext{});
  segue::testing::SyntheticData train{outer.train, data.features};
  const auto rerank = fit_rerank("rerank:generators=itemknn+ials:factors=8,candidates=20", train);
  const auto itemknn = fit_rerank("itemknn", train);
  auto hits = [&](const Recommender& model) {
    int hit = 0;
    for (std::int32_t u = 0; u < model.n_users(); ++u) {
      const auto labels = outer.targets.row_indices(u);
      for (const ScoredItem& s : model.recommend(u, 5))
        hit += std::binary_search(labels.begin(), labels.end(), s.item);
    }
    return hit;
  };
  EXPECT_GE(hits(*rerank), hits(*itemknn) * 0.95) << "rerank " << hits(*rerank) << " itemknn " << hits(*itemknn);
}

// Playlists titled "rock mix N" or "jazz vibes N": 160 hold one of ten shared
// hits plus 8 tracks of their genre; 40 hold only a shared hit, so their
// genre is in the title alone.
Dataset titled_playlists(bool with_titles) {
  DatasetBuilder b;
  std::mt19937 rng(3);
  for (int p = 0; p < 200; ++p) {
    const int genre = p % 2;
    const std::int32_t u = b.user("p" + std::to_string(p));
    b.add({u, b.item("hit" + std::to_string(p / 2 % 10))});  // each hit in both genres
    std::set<int> picked;
    while (p < 160 && picked.size() < 8) picked.insert(static_cast<int>(rng() % 30));
    for (const int t : picked) b.add({u, b.item((genre == 0 ? "rock" : "jazz") + std::to_string(t))});
    if (with_titles) b.set_user_string("name", u, (genre == 0 ? "rock mix " : "jazz vibes ") + std::to_string(p));
  }
  return b.finish("titled");
}

TEST(Rerank, TitlesJoinTheAutoGeneratorsAndCarryTheGenreOfAnUntoldPlaylist) {
  auto genre_share = [](bool with_titles, std::vector<std::string>* generator_names) {
    const Dataset data = titled_playlists(with_titles);
    FitContext context;
    context.dataset = &data;
    auto model = make_recommender("rerank:candidates=20");
    model->fit(build_feedback(data), context);
    for (const auto& g : dynamic_cast<const RerankModel&>(*model).generators()) generator_names->push_back(g->name());
    int right = 0, shown = 0;
    for (int p = 160; p < 200; ++p) {
      const std::string genre = p % 2 == 0 ? "rock" : "jazz";
      for (const ScoredItem& s : model->recommend(data.users.find("p" + std::to_string(p)), 5)) {
        ++shown;
        right += data.items.name(s.item).starts_with(genre);
      }
    }
    return static_cast<double>(right) / shown;
  };
  std::vector<std::string> titled, untitled;
  const double with_titles = genre_share(true, &titled), without = genre_share(false, &untitled);
  EXPECT_NE(std::find(titled.begin(), titled.end(), "title"), titled.end());
  EXPECT_EQ(std::find(untitled.begin(), untitled.end(), "title"), untitled.end());
  EXPECT_GE(with_titles, 0.8) << "without titles " << without;
  EXPECT_GE(with_titles, without + 0.2);
}

// Every listener plays 5 of 40 night tracks at 02:00 and 5 of 40 morning
// tracks at 09:00, night first for odd listeners and morning first for even
// ones, so co-occurrence cannot tell the two apart: only the time of day says
// which kind the listener plays next. The last event (the next track to find)
// is left out of the data.
Dataset day_and_night(bool timed) {
  DatasetBuilder b;
  std::mt19937 rng(8);
  for (int p = 0; p < 300; ++p) {
    const std::int32_t u = b.user("u" + std::to_string(p));
    std::vector<std::pair<std::string, std::int64_t>> plays;
    for (const bool night : {p % 2 == 0, p % 2 != 0}) {  // the later session last
      std::set<int> picked;
      while (picked.size() < 5) picked.insert(static_cast<int>(rng() % 40));
      const std::int64_t start = 86400 * (100 + (night && p % 2 != 0 ? 1 : 0)) + (night ? 2 : 9) * 3600;
      int k = 0;
      for (const int t : picked) plays.emplace_back((night ? "night" : "morning") + std::to_string(t), start + 60 * k++);
    }
    plays.pop_back();
    for (const auto& [item, time] : plays) b.add({u, b.item(item), 1.0f, timed ? time : kNoTime});
  }
  return b.finish("day-and-night");
}

TEST(Rerank, TheTimeOfDayFindsTheNextTrackWhenNothingElseCan) {
  auto right_kind = [](bool timed) {
    const Dataset data = day_and_night(timed);
    FitContext context;
    context.dataset = &data;
    auto model = make_recommender("rerank:generators=itemknn+ials:factors=8,carve=last,candidates=40");
    model->fit(build_feedback(data), context);
    const auto& names = dynamic_cast<const RerankModel&>(*model).feature_names();
    EXPECT_EQ(std::find(names.begin(), names.end(), "hour_affinity") != names.end(), timed);
    segue::testing::TempDir dir;  // the time of day travels in the model file
    model->save(dir.file("m"));
    const auto loaded = Recommender::load(dir.file("m"));
    for (std::int32_t u = 0; u < 300; u += 37) {
      const auto a = model->recommend(u, 5), b = loaded->recommend(u, 5);
      for (std::size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].item, b[k].item) << u;
    }
    int right = 0, shown = 0;
    for (int p = 0; p < 300; ++p)
      for (const ScoredItem& s : model->recommend(data.users.find("u" + std::to_string(p)), 5)) {
        ++shown;
        right += data.items.name(s.item).starts_with(p % 2 != 0 ? "night" : "morning");
      }
    return static_cast<double>(right) / shown;
  };
  const double timed = right_kind(true), untimed = right_kind(false);
  EXPECT_GE(timed, 0.75) << "untimed " << untimed;
  EXPECT_GE(timed, untimed + 0.2) << "untimed " << untimed;
}

TEST(Rerank, ScoresDoNotDependOnWhatTheOutputRowHeld) {
  const auto data = synthetic_data(60, 40, 4);
  const auto model = fit_rerank("rerank:generators=itemknn+ials:factors=8,candidates=10", data);
  const auto n = static_cast<std::size_t>(model->n_items());
  const std::int32_t users[] = {3, 17};
  std::vector<float> clean(2 * n, 0.0f), dirty(2 * n, std::numeric_limits<float>::quiet_NaN());
  model->score_users(users, clean.data());
  model->score_users(users, dirty.data());
  for (std::size_t k = 0; k < clean.size(); ++k) ASSERT_EQ(clean[k], dirty[k]) << k;
}

TEST(Rerank, TooLittleDataFallsBackToTheGeneratorsMeanScore) {
  // One item per user: nothing to carve, so no ranker; the model still ranks every listener's candidates.
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < 6; ++u) entries.push_back({u, u % 4, 1.0f});
  const FeedbackMatrix train = build_feedback(6, 8, entries);
  auto model = make_recommender("rerank:generators=itemknn+pop");
  model->fit(train);
  EXPECT_EQ(model->recommend(0, 3).size(), 3u);
  EXPECT_NE(model->explain(0, model->recommend(0, 1)[0].item).note.find("no ranker"), std::string::npos);
}

// The spec fuzzer's find: "mmr:base=mmr:base=..." thousands of levels deep
// overflowed the stack while the models were made. Past 16 levels it is a
// UsageError; a few levels still make a model.
TEST(NestedModels, DeepNestingIsAClearErrorNotAStackOverflow) {
  std::string deep;
  for (int level = 0; level < 5000; ++level) deep += "mmr:base=";
  deep += "pop";
  try {
    make_recommender(deep);
    ADD_FAILURE() << "a 5000-level spec was accepted";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("nest more than 16 deep"), std::string::npos) << error.what();
  }
  EXPECT_NO_THROW(make_recommender("mmr:base=mmr:base=mmr:base=pop"));
}

}  // namespace
}  // namespace segue

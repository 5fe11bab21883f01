// ServingModel: the one library call behind `segue recommend` and the server.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data/error.h"
#include "serve/serving_model.h"
#include "serve_fixture.h"

namespace segue {
namespace {

using testing::TempDir;

struct Served {
  TempDir dir;
  std::shared_ptr<const Dataset> world = std::make_shared<const Dataset>(testing::served_world());
  std::unique_ptr<ServingModel> make(const std::string& spec, ServingOptions options = {}) {
    const std::string path = testing::fit_and_save(*world, spec, dir.file("m.model"));
    return std::make_unique<ServingModel>(Recommender::load(path), world, options);
  }
};

std::vector<std::int32_t> ids(const std::vector<ScoredItem>& list) {
  std::vector<std::int32_t> out;
  for (const ScoredItem& s : list) out.push_back(s.item);
  return out;
}

TEST(ServingModel, KnownUserMatchesTheModelsOwnList) {
  Served s;
  for (const char* spec : {"itemknn", "ials:factors=8,iterations=5", "ease"}) {
    const auto served = s.make(spec);
    for (std::int32_t u = 0; u < served->model().n_users(); u += 7) {
      RecommendRequest request;
      request.user = u;
      request.n = 5;
      request.approximate = false;
      const RecommendResult result = served->recommend(request);
      EXPECT_EQ(ids(result.items), ids(served->model().recommend(u, 5))) << spec << " user " << u;
      EXPECT_FALSE(result.fallback);
      const std::vector<std::int32_t> list = ids(result.items);
      for (const std::int32_t seen : served->model().history().row_indices(u))
        EXPECT_EQ(std::count(list.begin(), list.end(), seen), 0);
    }
  }
}

TEST(ServingModel, ListenersWithNothingGetTheMostPopularItems) {
  Served s;
  const auto served = s.make("itemknn");
  RecommendRequest request;
  request.n = 4;
  const RecommendResult result = served->recommend(request);
  EXPECT_TRUE(result.fallback);
  EXPECT_EQ(result.strategy, "popularity");
  ASSERT_EQ(result.items.size(), 4u);
  for (std::size_t r = 1; r < result.items.size(); ++r) EXPECT_GE(result.items[r - 1].score, result.items[r].score);
  // The popularity is the number of training listeners.
  std::vector<float> counts(static_cast<std::size_t>(served->model().n_items()), 0.0f);
  for (const std::int32_t item : served->model().history().indices) counts[static_cast<std::size_t>(item)] += 1;
  EXPECT_EQ(result.items[0].score, *std::max_element(counts.begin(), counts.end()));
  // Excluded items are skipped, and no fallback when asked for none.
  request.exclude = {result.items[0].item};
  EXPECT_NE(served->recommend(request).items[0].item, result.items[0].item);
  request.popularity_fallback = false;
  EXPECT_TRUE(served->recommend(request).items.empty());
}

TEST(ServingModel, HistoryIsFoldedInLikeTheModelDoes) {
  Served s;
  const auto served = s.make("itemknn");
  RecommendRequest request;
  request.history = {0, 1, 2};
  request.n = 5;
  const RecommendResult result = served->recommend(request);
  EXPECT_EQ(result.strategy, "fold-in");
  const std::vector<std::int32_t> history = {0, 1, 2};
  EXPECT_EQ(ids(result.items), ids(served->model().recommend_from_history(history, {}, 5)));
  // A known listener's new plays join their training history: played items leave the list.
  RecommendRequest known;
  known.user = 0;
  known.n = 3;
  const auto before = ids(served->recommend(known).items);
  known.history = {before[0]};
  const RecommendResult after = served->recommend(known);
  EXPECT_EQ(after.strategy, "fold-in");
  const std::vector<std::int32_t> after_ids = ids(after.items);
  EXPECT_EQ(std::count(after_ids.begin(), after_ids.end(), before[0]), 0);
}

TEST(ServingModel, SkipsPushSimilarTracksDown) {
  Served s;
  const auto served = s.make("itemknn");
  RecommendRequest request;
  request.user = 0;
  request.n = 30;
  const auto plain = ids(served->recommend(request).items);
  ASSERT_GE(plain.size(), 3u);
  // Skipping the top pick removes it and lowers the tracks most like it.
  request.skipped = {plain[0]};
  request.skip_weight = 2.0f;
  const auto skipped = ids(served->recommend(request).items);
  EXPECT_EQ(std::count(skipped.begin(), skipped.end(), plain[0]), 0);
  const auto like = served->model().similar_items(plain[0], 1)[0].item;
  const auto rank = [](const std::vector<std::int32_t>& list, std::int32_t item) {
    return std::find(list.begin(), list.end(), item) - list.begin();
  };
  if (rank(plain, like) < static_cast<std::ptrdiff_t>(plain.size())) {
    EXPECT_GT(rank(skipped, like), rank(plain, like)) << "item " << like;
  }
}

TEST(ServingModel, AllowListAndContextChecks) {
  Served s;
  const auto served = s.make("itemknn");
  RecommendRequest request;
  request.user = 1;
  request.n = 10;
  request.allow = {30, 31, 4, 5};  // 4 and 5 may be in the history
  for (const ScoredItem& pick : served->recommend(request).items)
    EXPECT_TRUE(pick.item == 30 || pick.item == 31 || pick.item == 4 || pick.item == 5);
  request.allow.clear();
  request.hour = 24;
  EXPECT_THROW(served->recommend(request), UsageError);
  request.hour = 3;
  const RecommendResult at_hour = served->recommend(request);
  ASSERT_EQ(at_hour.notes.size(), 1u);
  EXPECT_NE(at_hour.notes[0].find("timed events"), std::string::npos);
  request.hour.reset();
  request.mood = "calm";  // the fixture store has no audio features
  EXPECT_THROW(served->recommend(request), UsageError);
  request.mood.clear();
  request.n = 0;
  EXPECT_THROW(served->recommend(request), UsageError);
  request.n = 5;
  request.history = {999};
  EXPECT_THROW(served->recommend(request), UsageError);
  request.history = {1};
  request.history_weights = {std::numeric_limits<float>::quiet_NaN()};
  EXPECT_THROW(served->recommend(request), UsageError);
}

TEST(ServingModel, ExplanationsForKnownListeners) {
  Served s;
  const auto served = s.make("itemknn");
  RecommendRequest request;
  request.user = 2;
  request.n = 3;
  request.explain = true;
  const RecommendResult result = served->recommend(request);
  ASSERT_EQ(result.explanations.size(), result.items.size());
  for (std::size_t r = 0; r < result.items.size(); ++r) {
    EXPECT_EQ(result.explanations[r].item, result.items[r].item);
    ASSERT_FALSE(result.explanations[r].contributions.empty());
    const auto history = served->model().history().row_indices(2);
    EXPECT_TRUE(std::binary_search(history.begin(), history.end(), result.explanations[r].contributions[0].item));
  }
}

TEST(ItemCatalog, ResolvesIdsNamesAndArtistsAndRefusesAmbiguity) {
  Served s;
  const auto served = s.make("itemknn");
  const ItemCatalog& catalog = served->catalog();
  EXPECT_EQ(catalog.label(served->model().item_ids().find("t5")), "Artist 1 - Song 5");
  EXPECT_EQ(catalog.resolve("t5", "f").items, std::vector<std::int32_t>{served->model().item_ids().find("t5")});
  EXPECT_EQ(catalog.resolve("artist 1 - song 5", "f").how, "name");
  EXPECT_EQ(catalog.resolve("Song 7", "f").items[0], served->model().item_ids().find("t7"));
  const ResolvedRef artist = catalog.resolve("Artist 2", "f", 2);
  EXPECT_EQ(artist.how, "artist");
  ASSERT_EQ(artist.items.size(), 2u);
  for (const std::int32_t item : artist.items) EXPECT_EQ(catalog.artist(item), "Artist 2");
  try {
    catalog.resolve("Song 0", "history[0]");
    FAIL() << "an ambiguous title must be refused";
  } catch (const UsageError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("history[0]"), std::string::npos) << message;
    EXPECT_NE(message.find("Artist 8 - Song 0"), std::string::npos) << message;
  }
  EXPECT_THROW(catalog.resolve("No Such Song", "f"), UsageError);
  const auto found = catalog.search("song 1", 5);
  ASSERT_FALSE(found.empty());
  for (const CatalogMatch& m : found) EXPECT_NE(lower_ascii(m.label).find("song 1"), std::string::npos);
  EXPECT_TRUE(catalog.search("s", 5).empty());  // one character is too little
}

}  // namespace
}  // namespace segue

#include "models/content/title.h"

#include <gtest/gtest.h>

#include <cmath>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "models/registry.h"
#include "test_util.h"

namespace segue {
namespace {

// Three titled playlists and one untitled: "Rock Party" {r1, r2}, "rock
// classics" {r2, r3}, "Jazz Night" {j1}, untitled {j1, r1}.
Dataset playlists() {
  DatasetBuilder b;
  const char* titles[] = {"Rock Party", "rock classics", "Jazz Night", ""};
  const std::vector<std::vector<const char*>> items = {{"r1", "r2"}, {"r2", "r3"}, {"j1"}, {"j1", "r1"}};
  for (int p = 0; p < 4; ++p) {
    const std::int32_t u = b.user("p" + std::to_string(p));
    for (const char* i : items[static_cast<std::size_t>(p)]) b.add({u, b.item(i)});
    if (*titles[p] != '\0') b.set_user_string("name", u, titles[p]);
  }
  return b.finish("playlists");
}

std::vector<float> title_scores(const TitleModel& model, std::string_view title) {
  std::vector<float> out(static_cast<std::size_t>(model.n_items()));
  model.score_title(title, out.data());
  return out;
}

TEST(TitleModel, ScoresTracksOfPlaylistsSharingTitleWords) {
  const Dataset data = playlists();
  FitContext context;
  context.dataset = &data;
  auto model = make_recommender("title:min_df=1,pop_weight=0");
  model->fit(build_feedback(data), context);
  const auto& title = dynamic_cast<const TitleModel&>(*model);
  const std::int32_t r1 = data.items.find("r1"), r2 = data.items.find("r2"), r3 = data.items.find("r3"),
                     j1 = data.items.find("j1");
  // "rock": 2 of 3 titled playlists -> idf ln(3/2); r2 in both (share 1), r1 and r3 in one (share 1/2).
  const auto s = title_scores(title, "ROCK!");
  const float idf = std::log(3.0f / 2.0f) + 1e-3f;
  EXPECT_NEAR(s[static_cast<std::size_t>(r2)], idf, 1e-5);
  EXPECT_NEAR(s[static_cast<std::size_t>(r1)], idf / 2, 1e-5);
  EXPECT_NEAR(s[static_cast<std::size_t>(r3)], idf / 2, 1e-5);
  EXPECT_EQ(s[static_cast<std::size_t>(j1)], 0.0f);
  // Unknown words score nothing but the prior; the whole title is a word too.
  const auto none = title_scores(title, "polka");
  for (const float x : none) EXPECT_EQ(x, 0.0f);
  const auto whole = title_scores(title, "jazz night");
  EXPECT_GT(whole[static_cast<std::size_t>(j1)], 0.0f);
  EXPECT_EQ(whole[static_cast<std::size_t>(r1)], 0.0f);

  testing::TempDir dir;
  model->save(dir.file("m"));
  const auto loaded = Recommender::load(dir.file("m"));
  EXPECT_EQ(title_scores(dynamic_cast<const TitleModel&>(*loaded), "rock"), title_scores(title, "rock"));
}

TEST(TitleModel, NeedsTitles) {
  DatasetBuilder b;
  b.add({b.user("u"), b.item("i")});
  const Dataset data = b.finish("untitled");
  FitContext context;
  context.dataset = &data;
  auto model = make_recommender("title");
  EXPECT_THROW(model->fit(build_feedback(data), context), UsageError);
  EXPECT_THROW(model->fit(build_feedback(data)), UsageError);
}

}  // namespace
}  // namespace segue

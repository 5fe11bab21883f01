// The --items loader: numeric columns standardised, tags one-hot, ids mapped
// into the training ids, unknown ids counted, bad numbers located.
#include <gtest/gtest.h>

#include <cmath>

#include "data/error.h"
#include "data/id_map.h"
#include "eval/beyond_accuracy.h"
#include "eval/item_features_file.h"
#include "models/feedback.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

IdMap ids(std::initializer_list<const char*> names) {
  IdMap map;
  for (const char* n : names) map.intern(n);
  return map;
}

TEST(ItemFeaturesFile, StandardisesNumbersAndOneHotsTagsInTrainingIds) {
  TempDir dir;
  // Training ids: c0 a1 b2 m3 (m is not in the file). x = 1, 2, 3 over a, b, c:
  // mean 2, population sd sqrt(2/3) → z = ∓1.224745, 0.
  const std::string path = dir.write("items.csv",
                                     "item_id,x,tags\n"
                                     "a,1,rock|pop\n"
                                     "b,2, rock |\n"
                                     "c,3,jazz\n"
                                     "zz,7,rock\n");
  const IdMap items = ids({"c", "a", "b", "m"});
  const ItemFeaturesFile f = read_item_features_csv(path, items);
  EXPECT_EQ(f.rows, 4);
  EXPECT_EQ(f.numeric_columns, 1);
  EXPECT_EQ(f.tag_columns, 3);
  EXPECT_EQ(f.items_with_row, 3);
  EXPECT_EQ(f.unknown_items, 1);
  EXPECT_EQ(f.unknown_item_rows, 1);
  ASSERT_EQ(f.features.dim, 4);
  EXPECT_EQ(f.columns, (std::vector<std::string>{"x", "tag:rock", "tag:pop", "tag:jazz"}));
  ASSERT_EQ(f.features.values.size(), 16u);
  const auto row = [&](int item) { return f.features.values.data() + item * 4; };
  const double z = 1.0 / std::sqrt(2.0 / 3.0);
  EXPECT_NEAR(row(1)[0], -z, 1e-6);  // a
  EXPECT_NEAR(row(2)[0], 0.0, 1e-6);  // b
  EXPECT_NEAR(row(0)[0], z, 1e-6);  // c
  EXPECT_EQ(row(1)[1], 1.0f);  // a: rock, pop
  EXPECT_EQ(row(1)[2], 1.0f);
  EXPECT_EQ(row(1)[3], 0.0f);
  EXPECT_EQ(row(2)[1], 1.0f);  // b: " rock " trimmed, empty tag ignored
  EXPECT_EQ(row(2)[2], 0.0f);
  EXPECT_EQ(row(0)[3], 1.0f);  // c: jazz
  for (int d = 0; d < 4; ++d) EXPECT_TRUE(std::isnan(row(3)[d]));  // m: not in the file

  // The matrix feeds the beyond-accuracy context: m is not featured.
  FeedbackMatrix train = build_feedback(1, 4, std::vector<FeedbackEntry>{{0, 0, 1.0f}});
  const ItemContext context = make_item_context(train, &f.features);
  EXPECT_EQ(context.featured, (std::vector<std::uint8_t>{1, 1, 1, 0}));
}

TEST(ItemFeaturesFile, TagsAloneGiveTheHandComputedDiversity) {
  TempDir dir;
  const std::string path = dir.write("items.csv", "item_id,tags\na,rock|pop\nb,rock\nc,jazz\n");
  const IdMap items = ids({"a", "b", "c"});
  const ItemFeaturesFile f = read_item_features_csv(path, items);
  FeedbackMatrix train = build_feedback(1, 3, std::vector<FeedbackEntry>{{0, 0, 1.0f}});
  const ItemContext context = make_item_context(train, &f.features);
  const std::vector<std::int32_t> list{0, 1, 2}, relevant{1};
  UserRanking user{list, relevant};
  user.items = &context;
  // (1,1,0), (1,0,0), (0,0,1): 1 - cos = 1 - 1/sqrt2, 1, 1.
  EXPECT_NEAR(ild_at_k(user, 3), (3.0 - 1.0 / std::sqrt(2.0)) / 3.0, 1e-6);
  EXPECT_NEAR(ild_at_k(user, 2), 1.0 - 1.0 / std::sqrt(2.0), 1e-6);
}

TEST(ItemFeaturesFile, EmptyCellIsMissingAndConstantColumnIsZero) {
  TempDir dir;
  const std::string path = dir.write("items.csv", "item_id,x,k\na,1,5\nb,,5\nc,3,5\n");
  const ItemFeaturesFile f = read_item_features_csv(path, ids({"a", "b", "c"}));
  EXPECT_EQ(f.incomplete_rows, 1);
  EXPECT_TRUE(std::isnan(f.features.values[2]));  // b: missing x → whole row NaN
  EXPECT_NEAR(f.features.values[0], -1.0, 1e-6);    // a over {1, 3}: mean 2, sd 1
  EXPECT_EQ(f.features.values[1], 0.0f);            // k constant: standardises to 0
}

TEST(ItemFeaturesFile, BadInputIsLocated) {
  TempDir dir;
  const IdMap items = ids({"a", "b"});
  const std::string bad = dir.write("bad.csv", "item_id,energy,tags\na,0.5,x\nb,1e999,y\n");
  InputError e = testing::expect_input_error([&] { read_item_features_csv(bad, items); });
  EXPECT_EQ(e.file(), bad);
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.field(), "energy");

  const std::string text = dir.write("text.csv", "item_id,energy\na,loud\n");
  e = testing::expect_input_error([&] { read_item_features_csv(text, items); });
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.field(), "energy");

  const std::string unknown_bad = dir.write("unknown.csv", "item_id,energy\nnobody,NaN\n");  // checked even when unknown
  e = testing::expect_input_error([&] { read_item_features_csv(unknown_bad, items); });
  EXPECT_EQ(e.line(), 2u);

  const std::string twice = dir.write("twice.csv", "item_id,energy\na,1\nb,2\na,3\n");
  e = testing::expect_input_error([&] { read_item_features_csv(twice, items); });
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.field(), "item_id");

  const std::string no_id = dir.write("noid.csv", "id,energy\na,1\n");
  testing::expect_input_error([&] { read_item_features_csv(no_id, items); });

  EXPECT_THROW(read_item_features_csv(dir.write("nofeat.csv", "item_id\na\n"), items), UsageError);
  EXPECT_THROW(read_item_features_csv(dir.write("big.csv", "item_id,tags\na,x|y|z\n"), items, 5), UsageError);
}

}  // namespace
}  // namespace segue

// User features (features/user_features.h, `--users`) and their export
// (`segue export --format users`): kinds of columns, min_df, z-scores, unknown
// users, the errors the header promises; values checked by hand.
#include "features/user_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "data/export_users.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

IdMap ids(std::initializer_list<const char*> names) {
  IdMap m;
  for (const char* n : names) m.intern(n);
  return m;
}

// Row `user` as name -> value.
std::map<std::string, float> row(const FeatureMatrix& m, std::int32_t user) {
  std::map<std::string, float> out;
  const auto idx = m.row_indices(user);
  const auto val = m.row_values(user);
  for (std::size_t j = 0; j < idx.size(); ++j) out[m.names[static_cast<std::size_t>(idx[j])]] = val[j];
  return out;
}

// friends -> friend=<id>; country -> tokens; age (all numbers) -> z-score.
// Tokens of a single user (friend=z, country=FR, genre=jazz) fall below min_df 2.
TEST(UserFeatures, ReadsFriendsTokensAndNumbers) {
  TempDir dir;
  const std::string path = dir.write("users.csv",
                                     "user_id,friends,country,age,genres\n"
                                     "a,b|c,DE,20,rock:3|pop\n"
                                     "b,a|c,DE,30,pop\n"
                                     "c,a|b|z,FR,,rock|jazz\n"
                                     "ghost,a|b,DE,99,rock\n");
  const IdMap users = ids({"a", "b", "c", "d"});
  UserFeatureReport report;
  const FeatureMatrix m = build_user_features(path, users, &report);
  ASSERT_EQ(m.n_rows, 4);
  EXPECT_EQ(report.rows, 4);
  EXPECT_EQ(report.described_users, 3);
  EXPECT_EQ(report.unknown_users, 1);
  EXPECT_EQ(report.missing_values, 1);
  EXPECT_EQ(report.token_columns, (std::vector<std::string>{"friends", "country", "genres"}));
  EXPECT_EQ(report.numeric_columns, (std::vector<std::string>{"age"}));
  EXPECT_EQ(report.dropped_terms, 3);  // friend=z, country=FR, genres=jazz
  EXPECT_EQ(m.described, (std::vector<std::uint8_t>{1, 1, 1, 0}));
  EXPECT_EQ(m.groups, (std::vector<std::string>{"friend", "country", "genres", "numeric"}));
  EXPECT_EQ(report.features, m.n_features);
  // age 20, 30 (c missing, ghost not a training user): mean 25, sd 5.
  const std::map<std::string, float> a = row(m, 0);
  EXPECT_EQ(a, (std::map<std::string, float>{{"friend=b", 1.0f},
                                             {"friend=c", 1.0f},
                                             {"country=DE", 1.0f},
                                             {"genres=rock", 1.0f},
                                             {"genres=pop", 1.0f / 3.0f},
                                             {"age", -1.0f}}));
  EXPECT_FLOAT_EQ(row(m, 1).at("age"), 1.0f);
  EXPECT_EQ(row(m, 2), (std::map<std::string, float>{{"friend=a", 1.0f}, {"friend=b", 1.0f}, {"genres=rock", 1.0f}}));
  EXPECT_TRUE(row(m, 3).empty());
  const std::string summary = report.summary();
  EXPECT_NE(summary.find("3 training users described"), std::string::npos) << summary;
  EXPECT_NE(summary.find("1 rows of users not in the training data ignored"), std::string::npos) << summary;
}

TEST(UserFeatures, BadFilesNameFileLineAndColumn) {
  TempDir dir;
  const IdMap users = ids({"a", "b"});
  InputError e = testing::expect_input_error(
      [&] { build_user_features(dir.write("noid.csv", "id,friends\na,b\n"), users); });
  EXPECT_EQ(e.line(), 1u);
  EXPECT_EQ(e.field(), "user_id");
  EXPECT_NE(e.file().find("noid.csv"), std::string::npos);
  e = testing::expect_input_error(
      [&] { build_user_features(dir.write("twice.csv", "user_id,friends\na,b\nb,a\na,b\n"), users); });
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.field(), "user_id");
  EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  e = testing::expect_input_error(
      [&] { build_user_features(dir.write("empty.csv", "user_id,age\na,1\n,2\n"), users); });
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.field(), "user_id");
  e = testing::expect_input_error(
      [&] { build_user_features(dir.write("width.csv", "user_id,age\na,1\nb,2,3\n"), users); });
  EXPECT_EQ(e.line(), 3u);
  e = testing::expect_input_error(
      [&] { build_user_features(dir.write("inf.csv", "user_id,age\na,1\nb,-inf\n"), users); });
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.field(), "age");
  EXPECT_THROW(build_user_features(dir.file("missing.csv"), users), InputError);
}

// A column with a word in it is tokens, not numbers; NaN and empty cells are
// missing numbers; a friends column of numeric ids stays tokens.
TEST(UserFeatures, ColumnKindsAndMissingValues) {
  TempDir dir;
  const std::string path = dir.write("users.csv",
                                     "user_id,friends,zip,score\n"
                                     "1,2,10115,NaN\n"
                                     "2,1,unknown,4\n"
                                     "3,2,10115,\n");
  const IdMap users = ids({"1", "2", "3"});
  UserFeatureReport report;
  const FeatureMatrix m = build_user_features(path, users, &report);
  EXPECT_EQ(report.token_columns, (std::vector<std::string>{"friends", "zip"}));
  EXPECT_EQ(report.numeric_columns, (std::vector<std::string>{"score"}));
  EXPECT_EQ(report.missing_values, 2);
  EXPECT_EQ(row(m, 0), (std::map<std::string, float>{{"friend=2", 1.0f}, {"zip=10115", 1.0f}}));
  EXPECT_EQ(row(m, 1), (std::map<std::string, float>{{"score", 0.0f}}));  // one value: sd 0, z 0
}

// `segue export --format users`: friends as '|'-joined external ids, string
// user columns ('|' -> '/'), users without anything left out; read back.
TEST(UserFeaturesExport, WritesFriendsAndAttributesThatReadBack) {
  TempDir dir;
  DatasetBuilder builder;
  const std::int32_t a = builder.user("u1");
  const std::int32_t b = builder.user("u2");
  const std::int32_t c = builder.user("u3");
  builder.user("u4");  // no friends, no attributes
  builder.add_friend(a, b);
  builder.add_friend(a, c);
  builder.set_user_string("country", a, "DE");
  builder.set_user_string("country", b, "DE|AT");
  const Dataset dataset = builder.finish("test");
  const ExportUsersReport r = export_users_csv(dataset, dir.file("users.csv"));
  EXPECT_EQ(r.users, 4);
  EXPECT_EQ(r.rows, 3);
  EXPECT_EQ(r.empty_users, 1);
  EXPECT_EQ(r.friend_links, 4);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"user_id", "country", "friends"}));
  const std::string text = testing::read_file(dir.file("users.csv"));
  EXPECT_NE(text.find("u1,DE,u2|u3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("u2,DE/AT,u1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("u4"), std::string::npos) << text;
  UserFeatureReport report;
  const FeatureMatrix m = build_user_features(dir.file("users.csv"), dataset.users, &report);
  EXPECT_EQ(report.described_users, 3);
  EXPECT_EQ(row(m, 1), (std::map<std::string, float>{{"friend=u1", 1.0f}}));  // friend=u1 is in 2 rows
  EXPECT_EQ(row(m, 0).count("country=DE"), 0u);  // one user only: below min_df
  EXPECT_TRUE(row(m, 0).empty());
}

}  // namespace
}  // namespace segue

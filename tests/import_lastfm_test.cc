#include <gtest/gtest.h>

#include <zlib.h>

#include "data/importer.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

void write_lastfm(const TempDir& dir, bool friends_header) {
  dir.write("lastfm/user_artists.dat", "userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n3\t51\t5");
  dir.write("lastfm/artists.dat", "id\tname\turl\tpictureURL\n51\tDuran \"Duran\"\thttp://x/51\t\n52\tMorcheeba\thttp://x/52\t\n53\tNobody\thttp://x/53\t\n");
  dir.write("lastfm/user_friends.dat", std::string(friends_header ? "userID\tfriendID\r\n" : "") + "2\t3\r\n3\t2\r\n2\t9\r\n");
  dir.write("lastfm/tags.dat", "tagID\ttagValue\n1\tmetal\n2\ttrip-hop\n");
  dir.write("lastfm/user_taggedartists.dat",
            "userID\tartistID\ttagID\tday\tmonth\tyear\n2\t52\t2\t1\t4\t2009\n3\t52\t2\t1\t4\t2009\n2\t51\t1\t1\t4\t2009\n"
            "2\t999\t1\t1\t4\t2009\n");
}

TEST(ImportLastfm, ReadsPlaysNamesFriendsAndTags) {
  TempDir dir;
  write_lastfm(dir, false);
  IssueLog issues;
  const Dataset d = import_lastfm(dir.file("lastfm"), ImportOptions{}, issues);
  d.validate();
  EXPECT_EQ(d.interactions.size(), 3);
  EXPECT_EQ(d.n_users(), 3);  // users 2, 3 and friend-only user 9
  EXPECT_EQ(d.n_items(), 3);  // 51, 52 and catalogue-only 53
  const std::int32_t duran = d.items.find("51");
  EXPECT_EQ(d.item_attributes.string_value("name", duran), "Duran \"Duran\"");  // quotes are literal in .dat
  EXPECT_FLOAT_EQ(d.interactions.weight(0), 13883.0f);
  EXPECT_EQ(d.friends.edges(), 4);  // 2-3 (given twice) and 2-9, both directions
  const std::int32_t morcheeba = d.items.find("52");
  const TokenLists& tags = d.item_attributes.tags;
  ASSERT_EQ(tags.indptr[morcheeba + 1] - tags.indptr[morcheeba], 1);
  EXPECT_EQ(tags.vocab.name(tags.tokens[tags.indptr[morcheeba]]), "trip-hop");
  EXPECT_FLOAT_EQ(tags.counts[tags.indptr[morcheeba]], 2.0f);  // two users gave it
  // User 9 is kept without events, with the friendship, and the import says so.
  const std::int32_t nine = d.users.find("9");
  ASSERT_NE(nine, IdMap::kMissing);
  EXPECT_EQ(d.interactions.count(nine), 0);
  EXPECT_EQ(d.friends.indptr[nine + 1] - d.friends.indptr[nine], 1);
  ASSERT_EQ(issues.notes().size(), 2u);
  EXPECT_NE(issues.notes()[0].find("1 users appear only in"), std::string::npos) << issues.notes()[0];
  EXPECT_NE(issues.notes()[1].find("left out 1 tag"), std::string::npos);  // artist 999 is in no other file
}

TEST(ImportLastfm, FriendsFileWithHeaderGivesTheSameGraph) {
  TempDir a, b;
  write_lastfm(a, false);
  write_lastfm(b, true);
  IssueLog issues;
  const Dataset da = import_lastfm(a.file("lastfm"), ImportOptions{}, issues);
  const Dataset db = import_lastfm(b.file("lastfm"), ImportOptions{}, issues);
  EXPECT_EQ(da.friends.neighbors, db.friends.neighbors);
  EXPECT_EQ(da.users, db.users);
}

TEST(ImportLastfm, ReadsGzippedFiles) {
  TempDir dir;
  write_lastfm(dir, false);
  const std::string plain = testing::read_file(dir.file("lastfm/user_artists.dat"));
  gzFile gz = gzopen(dir.file("lastfm/user_artists.dat.gz").c_str(), "wb");
  gzwrite(gz, plain.data(), static_cast<unsigned>(plain.size()));
  gzclose(gz);
  std::filesystem::remove(dir.file("lastfm/user_artists.dat"));
  IssueLog issues;
  EXPECT_EQ(import_lastfm(dir.file("lastfm"), ImportOptions{}, issues).interactions.size(), 3);
}

TEST(ImportLastfm, NegativePlayCountNamesLineAndField) {
  TempDir dir;
  write_lastfm(dir, false);
  dir.write("lastfm/user_artists.dat", "userID\tartistID\tweight\n2\t51\t10\n2\t52\t-4\n");
  IssueLog issues;
  try {
    import_lastfm(dir.file("lastfm"), ImportOptions{}, issues);
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.line(), 3u);
    EXPECT_EQ(error.field(), "weight");
  }
}

TEST(ImportLastfm, MissingDirectoryOrPlaysFileIsAnError) {
  TempDir dir;
  IssueLog issues;
  EXPECT_THROW(import_lastfm(dir.file("nope"), ImportOptions{}, issues), InputError);
  dir.write("empty/readme.txt", "x");
  EXPECT_THROW(import_lastfm(dir.file("empty"), ImportOptions{}, issues), InputError);
}

}  // namespace
}  // namespace segue

#include "data/id_map.h"

#include <gtest/gtest.h>

#include <string>

namespace segue {
namespace {

TEST(IdMap, InternsDenselyAndFindsAgain) {
  IdMap map;
  EXPECT_EQ(map.intern("b"), 0);
  EXPECT_EQ(map.intern("a"), 1);
  EXPECT_EQ(map.intern("b"), 0);
  EXPECT_EQ(map.intern(""), 2);  // the empty string is a key like any other
  EXPECT_EQ(map.size(), 3);
  EXPECT_EQ(map.find("a"), 1);
  EXPECT_EQ(map.find("c"), IdMap::kMissing);
  EXPECT_EQ(map.name(0), "b");
}

TEST(IdMap, SurvivesGrowthWithManyKeysThatShareAPrefix) {
  IdMap map;
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(map.intern("spotify:track:" + std::to_string(i)), i);
  for (int i = 0; i < 100000; i += 997) EXPECT_EQ(map.find("spotify:track:" + std::to_string(i)), i);
  EXPECT_EQ(map.find("spotify:track:100000"), IdMap::kMissing);
}

TEST(IdMap, KeysLongerThanTheSlotLengthFieldAreCompared) {
  IdMap map;
  const std::string a(70000, 'x');
  std::string b = a;
  b.back() = 'y';
  EXPECT_EQ(map.intern(a), 0);
  EXPECT_EQ(map.intern(b), 1);
  EXPECT_EQ(map.find(a), 0);
  EXPECT_EQ(map.find(b), 1);
}

TEST(IdMap, BatchInterningWithPrefetchGivesTheSameIds) {
  IdMap plain, batched;
  std::uint64_t hashes[16];
  std::string keys[16];
  for (int round = 0; round < 100; ++round) {
    for (int k = 0; k < 16; ++k) {
      keys[k] = "u" + std::to_string((round * 16 + k) * 7 % 301);
      plain.intern(keys[k]);
      hashes[k] = IdMap::hash(keys[k]);
      batched.prefetch(hashes[k]);
    }
    for (int k = 0; k < 16; ++k) batched.prefetch_key(hashes[k]);
    for (int k = 0; k < 16; ++k) batched.intern(keys[k], hashes[k]);
  }
  EXPECT_EQ(plain, batched);
}

TEST(IdMap, FromRawRejectsDuplicatesAndBadOffsets) {
  IdMap map;
  map.intern("x");
  map.intern("yz");
  EXPECT_EQ(IdMap::from_raw(map.arena(), map.offsets()), map);
  EXPECT_THROW(IdMap::from_raw("xx", {0, 1, 2}), std::invalid_argument);   // "x" twice
  EXPECT_THROW(IdMap::from_raw("xyz", {0, 2, 1, 3}), std::invalid_argument);  // decreasing
  EXPECT_THROW(IdMap::from_raw("xyz", {0, 5}), std::invalid_argument);      // past the end
}

TEST(IdMap, SubsetKeepsTheGivenOrder) {
  IdMap map;
  for (const char* key : {"a", "b", "c", "d"}) map.intern(key);
  const IdMap sub = map.subset({3, 1});
  EXPECT_EQ(sub.size(), 2);
  EXPECT_EQ(sub.name(0), "d");
  EXPECT_EQ(sub.find("b"), 1);
}

}  // namespace
}  // namespace segue

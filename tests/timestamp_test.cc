#include "data/timestamp.h"

#include <gtest/gtest.h>

namespace segue {
namespace {

TEST(Timestamp, ParsesUnixSecondsAndIsoForms) {
  std::int64_t t = 0;
  ASSERT_TRUE(parse_timestamp("1577880000", t));
  EXPECT_EQ(t, 1577880000);
  ASSERT_TRUE(parse_timestamp("2020-01-01", t));
  EXPECT_EQ(t, 1577836800);
  ASSERT_TRUE(parse_timestamp("2020-01-01T12:00:00Z", t));
  EXPECT_EQ(t, 1577880000);
  ASSERT_TRUE(parse_timestamp("2020-01-01 13:00:00+01:00", t));
  EXPECT_EQ(t, 1577880000);
  ASSERT_TRUE(parse_timestamp("2020-01-01T12:00:00.123Z", t));
  EXPECT_EQ(t, 1577880000);
  ASSERT_TRUE(parse_timestamp("2016-02-29", t));  // leap day
  ASSERT_TRUE(parse_timestamp("1969-12-31T23:59:59Z", t));
  EXPECT_EQ(t, -1);
}

TEST(Timestamp, RejectsImpossibleDatesAndJunk) {
  std::int64_t t = 0;
  for (const char* bad : {"", "yesterday", "2019-02-29", "2020-13-01", "2020-01-32", "2020-01-01T25:00:00Z",
                          "2020-01-01T12:00:00Zjunk", "2020-1-1", "12.5"})
    EXPECT_FALSE(parse_timestamp(bad, t)) << bad;
}

TEST(Timestamp, FormatRoundTrips) {
  for (std::int64_t t : {0LL, 1577880000LL, -86401LL, 4102444799LL}) {
    std::int64_t back = 0;
    ASSERT_TRUE(parse_timestamp(format_timestamp(t), back)) << format_timestamp(t);
    EXPECT_EQ(back, t);
  }
  EXPECT_EQ(format_timestamp(1577880000), "2020-01-01T12:00:00Z");
}

}  // namespace
}  // namespace segue

#include "data/csv_reader.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

TEST(CsvReader, QuotedFieldsWithEscapesAndNewlines) {
  TempDir dir;
  const std::string path = dir.write("a.csv", "user,item,name\r\nu1,i1,\"Hello, \"\"World\"\"\"\r\nu2,i2,\"two\nlines\"\r\nu3,i3,plain\r\n");
  CsvReader reader(path);
  ASSERT_EQ(reader.header().size(), 3u);
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 2u);
  EXPECT_EQ(reader.field(2), "Hello, \"World\"");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 3u);
  EXPECT_EQ(reader.field(2), "two\nlines");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 5u);  // the quoted newline advanced the physical line
  EXPECT_EQ(reader.field(0), "u3");
  EXPECT_EQ(reader.field(2), "plain");
  EXPECT_FALSE(reader.next());
}

// Found by fuzz_csv: a lone '\r' after a closing quote ended the record, so the next record began on the
// same physical line (two records reported line 2). It is junk kept in the field, as in an unquoted one.
TEST(CsvReader, LoneCarriageReturnAfterAQuotedFieldDoesNotEndTheRecord) {
  TempDir dir;
  CsvReader reader(dir.write("a.csv", "a,b\n\"x,c\"\rz,2\r\n3,4\r"));
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 2u);
  ASSERT_EQ(reader.size(), 2u);
  EXPECT_EQ(reader.field(0), "x,c\rz");
  EXPECT_EQ(reader.field(1), "2");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.line(), 3u);
  EXPECT_EQ(reader.field(1), "4");  // a final "\r" still ends the last record
  EXPECT_FALSE(reader.next());
}

TEST(PrintableUtf8, KeepsCharactersEscapesBadBytesAndCutsOnABoundary) {
  EXPECT_EQ(printable_utf8("Bj\xC3\xB6rk", 64), "Bj\xC3\xB6rk");
  EXPECT_EQ(printable_utf8("a\xFF" "b\xE2\x82", 64), "a\\xFFb\\xE2\\x82");
  EXPECT_EQ(printable_utf8("\xC3\xB6\xC3\xB6\xC3\xB6", 3), "\xC3\xB6...");  // never half a character
  EXPECT_EQ(printable_utf8(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
  EXPECT_EQ(printable_utf8("", 10), "");
}

TEST(CsvReader, DetectsTabsAndStripsBom) {
  TempDir dir;
  CsvReader reader(dir.write("a.tsv", "\xEF\xBB\xBFuser\titem\nu1\ti1"));
  EXPECT_EQ(reader.delimiter(), '\t');
  EXPECT_EQ(reader.header()[0], "user");
  ASSERT_TRUE(reader.next());
  EXPECT_EQ(reader.field(1), "i1");
}

TEST(CsvReader, UnterminatedQuoteNamesTheLineWhereItOpened) {
  TempDir dir;
  CsvReader reader(dir.write("bad.csv", "a,b\n1,2\n3,\"open\n4,5\n"));
  ASSERT_TRUE(reader.next());
  try {
    reader.next();
    FAIL() << "expected an error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.line(), 3u);
    EXPECT_NE(std::string(error.what()).find("bad.csv:3"), std::string::npos);
  }
}

TEST(CsvReader, InvalidUtf8NamesTheLine) {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "a,b\nx,y\nx,\xC3\x28\n");
  try {
    CsvReader reader(path);
    FAIL() << "expected an error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.line(), 3u);
    EXPECT_NE(error.reason().find("UTF-8"), std::string::npos);
  }
}

TEST(CsvReader, EmptyFileIsAnError) {
  TempDir dir;
  EXPECT_THROW(CsvReader(dir.write("empty.csv", "")), InputError);
}

TEST(CsvReader, MissingFileIsAnError) {
  EXPECT_THROW(CsvReader("/nonexistent/segue/file.csv"), InputError);
}

TEST(CsvReader, TypedFieldsRejectJunkNaNAndNegativeWeights) {
  TempDir dir;
  CsvReader reader(dir.write("w.csv", "w\n1.5\nabc\nnan\n-2\ninf\n"));
  ASSERT_TRUE(reader.next());
  EXPECT_FLOAT_EQ(reader.weight(0), 1.5f);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(reader.next());
    EXPECT_THROW(reader.weight(0), InputError) << "line " << reader.line();
  }
}

TEST(CsvReader, WrongWidthIsReported) {
  TempDir dir;
  CsvReader reader(dir.write("w.csv", "a,b\n1,2,3\n"));
  ASSERT_TRUE(reader.next());
  EXPECT_THROW(reader.expect_width(), InputError);
}

}  // namespace
}  // namespace segue

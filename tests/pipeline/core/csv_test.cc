#include "pipeline/core/csv.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/load_errors.h"
#include "tests/testing/temp_dir.h"

namespace eodclear {
namespace {

using Fields = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// SplitCsvLine.

struct SplitCase {
  std::string_view line;
  Fields fields;
};

class CsvSplitLineTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(CsvSplitLineTest, SplitsIntoFields) {
  auto fields = SplitCsvLine(GetParam().line);
  ASSERT_TRUE(fields.has_value()) << fields.error().ToString();
  EXPECT_EQ(*fields, GetParam().fields);
}

INSTANTIATE_TEST_SUITE_P(
    CsvFileTest, CsvSplitLineTest,
    ::testing::Values(SplitCase{"a,b,c", {"a", "b", "c"}}, SplitCase{"", {""}},  // one empty field
                      SplitCase{",", {"", ""}},                                  //
                      SplitCase{"a,,c", {"a", "", "c"}},     // empty middle field
                      SplitCase{"a,", {"a", ""}},            // empty last field
                      SplitCase{" a , b ", {" a ", " b "}},  // spaces are kept
                      SplitCase{"\"x,y\",z", {"x,y", "z"}},  // comma inside quotes
                      SplitCase{"ES,\"E-mini S&P 500, quarterly\",CME",
                                {"ES", "E-mini S&P 500, quarterly", "CME"}},
                      SplitCase{"\"he said \"\"hi\"\"\"", {"he said \"hi\""}},  // doubled quotes
                      SplitCase{"\"\"", {""}},        // empty quoted field
                      SplitCase{"\"\"\"\"", {"\""}},  // a lone quote
                      SplitCase{"\"a\",\"\",\"c\"", {"a", "", "c"}},
                      SplitCase{"\"EMD|ME\",", {"EMD|ME", ""}}));

struct SplitErrorCase {
  std::string_view line;
  std::string_view why;
};

class CsvSplitLineRejectTest : public ::testing::TestWithParam<SplitErrorCase> {};

TEST_P(CsvSplitLineRejectTest, RejectsMalformedQuoting) {
  auto fields = SplitCsvLine(GetParam().line);
  ASSERT_FALSE(fields.has_value()) << "'" << GetParam().line << "' was accepted";
  EXPECT_EQ(fields.error().code(), Status::Code::kDataError);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, std::string(GetParam().why),
                      fields.error().message());
}

INSTANTIATE_TEST_SUITE_P(
    CsvFileTest, CsvSplitLineRejectTest,
    ::testing::Values(SplitErrorCase{"\"abc", "unterminated quoted field"},
                      SplitErrorCase{"a,\"b", "unterminated quoted field"},
                      SplitErrorCase{"\"a\"\"", "unterminated quoted field"},
                      SplitErrorCase{"\"abc\"x", "unexpected character after a quoted field"},
                      SplitErrorCase{"\"abc\" ,d", "unexpected character after a quoted field"},
                      SplitErrorCase{"ab\"c", "quote inside an unquoted field"}));

// ---------------------------------------------------------------------------------------------
// CsvFile::Parse.

TEST(CsvFileTest, ParsesHeaderAndRowsWithLineNumbers) {
  auto file = CsvFile::Parse("code,name\nES,E-mini\nNQ,\"Nasdaq, E-mini\"\n", "p.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->path(), "p.csv");
  EXPECT_EQ(file->header(), (Fields{"code", "name"}));
  ASSERT_EQ(file->rows().size(), 2u);
  EXPECT_EQ(file->rows()[0].line, 2u);
  EXPECT_EQ(file->rows()[0].fields, (Fields{"ES", "E-mini"}));
  EXPECT_EQ(file->rows()[1].line, 3u);
  EXPECT_EQ(file->rows()[1].fields, (Fields{"NQ", "Nasdaq, E-mini"}));
}

TEST(CsvFileTest, LastRowWithoutNewlineIsRead) {
  auto file = CsvFile::Parse("a,b\n1,2", "p.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  ASSERT_EQ(file->rows().size(), 1u);
  EXPECT_EQ(file->rows()[0].fields, (Fields{"1", "2"}));
}

TEST(CsvFileTest, CrlfLineEndingsAreStripped) {
  auto file = CsvFile::Parse("code,name\r\nES,E-mini\r\n\r\nNQ,\"x\"\r\n", "w.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->header(), (Fields{"code", "name"}));
  ASSERT_EQ(file->rows().size(), 2u);
  EXPECT_EQ(file->rows()[0].fields, (Fields{"ES", "E-mini"}));
  EXPECT_EQ(file->rows()[0].line, 2u);
  EXPECT_EQ(file->rows()[1].fields, (Fields{"NQ", "x"}));
  EXPECT_EQ(file->rows()[1].line, 4u);  // the CRLF-only line 3 is blank
}

TEST(CsvFileTest, CommentsAndBlankLinesAreSkippedButCounted) {
  std::string_view text =
      "# products\n"  // 1
      "\n"            // 2
      "code,name\n"   // 3: header
      "# equity\n"    // 4
      "ES,E-mini\n"   // 5
      "\n"            // 6
      "\n"            // 7
      "NQ,Nasdaq\n"   // 8
      "# end\n";      // 9
  auto file = CsvFile::Parse(text, "c.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->header(), (Fields{"code", "name"}));
  ASSERT_EQ(file->rows().size(), 2u);
  EXPECT_EQ(file->rows()[0].line, 5u);
  EXPECT_EQ(file->rows()[0].fields, (Fields{"ES", "E-mini"}));
  EXPECT_EQ(file->rows()[1].line, 8u);
  EXPECT_EQ(file->rows()[1].fields, (Fields{"NQ", "Nasdaq"}));
}

TEST(CsvFileTest, FieldStartingWithHashAfterFirstColumnIsData) {
  auto file = CsvFile::Parse("a,b\nx,#y\n", "h.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  ASSERT_EQ(file->rows().size(), 1u);
  EXPECT_EQ(file->rows()[0].fields, (Fields{"x", "#y"}));
}

TEST(CsvFileTest, FieldCountMismatchNamesFileAndLine) {
  auto file = CsvFile::Parse("a,b\n1,2\n\n# note\n1,2,3\n", "data/m.csv");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code(), Status::Code::kDataError);
  EXPECT_EQ(file.error().message(), "data/m.csv:5: 3 fields, header has 2");
}

TEST(CsvFileTest, TooFewFieldsNamesFileAndLine) {
  auto file = CsvFile::Parse("# c\na,b,c\n1\n", "f.csv");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code(), Status::Code::kDataError);
  EXPECT_EQ(file.error().message(), "f.csv:3: 1 fields, header has 3");
}

TEST(CsvFileTest, UnterminatedQuoteNamesFileAndLine) {
  auto file = CsvFile::Parse("a,b\n1,2\n\"3,4\n", "q.csv");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code(), Status::Code::kDataError);
  EXPECT_EQ(file.error().message(), "q.csv:3: unterminated quoted field");
}

TEST(CsvFileTest, UnterminatedQuoteInHeaderNamesLineOne) {
  auto file = CsvFile::Parse("a,\"b\n1,2\n", "q.csv");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().message(), "q.csv:1: unterminated quoted field");
}

TEST(CsvFileTest, MissingHeaderIsAnError) {
  for (std::string_view text : {"", "\n\n", "# only a comment\n", "\r\n"}) {
    auto file = CsvFile::Parse(text, "e.csv");
    ASSERT_FALSE(file.has_value()) << "accepted '" << text << "'";
    EXPECT_EQ(file.error().code(), Status::Code::kDataError);
    EXPECT_EQ(file.error().message(), "e.csv: no header row");
  }
}

TEST(CsvFileTest, HeaderOnlyHasNoRows) {
  auto file = CsvFile::Parse("a,b\n", "h.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_TRUE(file->rows().empty());
}

TEST(CsvFileTest, ColumnFindsIndexByName) {
  auto file = CsvFile::Parse("code,aliases,name\n", "c.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  auto name = file->Column("name");
  ASSERT_TRUE(name.has_value()) << name.error().ToString();
  EXPECT_EQ(*name, 2u);
  auto code = file->Column("code");
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0u);
}

TEST(CsvFileTest, MissingColumnErrorNamesFileAndColumn) {
  auto file = CsvFile::Parse("code,name\n", "c.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  auto tick = file->Column("tick");
  ASSERT_FALSE(tick.has_value());
  EXPECT_EQ(tick.error().code(), Status::Code::kDataError);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "c.csv", tick.error().message());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "'tick'", tick.error().message());
}

TEST(CsvFileTest, ExpectHeaderAcceptsExactHeaderOnly) {
  auto file = CsvFile::Parse("code,name\n", "x.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_TRUE(file->ExpectHeader({"code", "name"}).ok());

  Status reordered = file->ExpectHeader({"name", "code"});
  EXPECT_EQ(reordered.code(), Status::Code::kDataError);
  EXPECT_EQ(reordered.message(), "x.csv:1: header is 'code,name', expected 'name,code'");

  Status longer = file->ExpectHeader({"code", "name", "tick"});
  EXPECT_FALSE(longer.ok());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "expected 'code,name,tick'", longer.message());
}

TEST(CsvFileTest, HeaderErrorNamesTheHeaderLineAfterComments) {
  auto file = CsvFile::Parse("# products\n\ncode,name\nES,E-mini\n", "p.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->header_line(), 3u);
  EXPECT_EQ(file->ExpectHeader({"code"}).message(),
            "p.csv:3: header is 'code,name', expected 'code'");
  EXPECT_EQ(file->Column("tick").error().message(), "p.csv:3: no column 'tick'");
}

TEST(CsvFileTest, WhereNamesFileAndLineOfRow) {
  auto file = CsvFile::Parse("# c\na\n\nx\n", "dir/w.csv");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  ASSERT_EQ(file->rows().size(), 1u);
  EXPECT_EQ(file->Where(file->rows()[0]), "dir/w.csv:4");
}

// ---------------------------------------------------------------------------------------------
// CsvFile::Read.

// A fresh folder under the system temp folder, removed with everything in it at the end.
class CsvFileReadTest : public ::testing::Test {
 protected:
  testing::TempDir temp_{"csv_test"};
  std::filesystem::path dir_ = temp_.path();
};

TEST_F(CsvFileReadTest, ReadsFileFromDisk) {
  std::string path = temp_.Write("p.csv", "code,name\r\n# c\r\nES,\"E-mini, S&P\"\r\n");
  auto file = CsvFile::Read(path);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->path(), path);
  ASSERT_EQ(file->rows().size(), 1u);
  EXPECT_EQ(file->rows()[0].line, 3u);
  EXPECT_EQ(file->rows()[0].fields, (Fields{"ES", "E-mini, S&P"}));
}

TEST_F(CsvFileReadTest, ErrorsFromDiskNameThePath) {
  std::string path = temp_.Write("bad.csv", "a,b\n1\n");
  auto file = CsvFile::Read(path);
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().message(), path + ":2: 1 fields, header has 2");
}

TEST_F(CsvFileReadTest, MissingFileIsNotFound) {
  std::string path = (dir_ / "absent.csv").string();
  auto file = CsvFile::Read(path);
  ASSERT_FALSE(file.has_value());
  testing::ExpectNotFound(file.error(), path);
}

}  // namespace
}  // namespace eodclear

namespace eodclear {
namespace {

TEST(CsvFileTest, CollectBadRowsKeepsGoodRowsAndReportsEachBadOneByLine) {
  auto file =
      CsvFile::Parse("a,b\n1,2\n1,2,3\n\"x,4\n5,6\n7\n", "in.csv", CsvFile::Mode::kCollectBadRows);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  ASSERT_EQ(file->rows().size(), 2u);
  EXPECT_EQ(file->rows()[0].line, 2u);
  EXPECT_EQ(file->rows()[1].line, 5u);
  ASSERT_EQ(file->bad_rows().size(), 3u);
  EXPECT_EQ(file->bad_rows()[0].line, 3u);
  EXPECT_EQ(file->bad_rows()[0].problem, "in.csv:3: 3 fields, header has 2");
  EXPECT_EQ(file->bad_rows()[1].line, 4u);
  EXPECT_EQ(file->bad_rows()[1].problem, "in.csv:4: unterminated quoted field");
  EXPECT_EQ(file->bad_rows()[2].problem, "in.csv:6: 1 fields, header has 2");
}

TEST(CsvFileTest, StrictModeStillFailsOnTheFirstBadRow) {
  auto file = CsvFile::Parse("a,b\n1,2,3\n4\n", "in.csv");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().message(), "in.csv:2: 3 fields, header has 2");
}

}  // namespace
}  // namespace eodclear

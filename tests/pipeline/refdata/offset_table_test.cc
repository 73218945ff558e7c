#include "pipeline/refdata/offset_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/load_errors.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_products.h"

namespace eodclear {
namespace {

using testing::ExpectLoadError;
using testing::ExpectNotFound;
using testing::LoadErrorCase;
using testing::Rows;

using Strings = std::vector<std::string>;

constexpr std::string_view kHeader = "code,ratio,offset_to,reciprocal_ratio,source\n";

// tests/testdata/refdata/offsets.csv: a fixture owned by these tests, never the ops file.
std::string FixturePath() { return std::string(EODCLEAR_TESTDATA_DIR) + "/refdata/offsets.csv"; }

constexpr auto& D = testing::Dec;

// A catalog of canonical codes, ME with the alias EMD.
ProductCatalog Catalog() { return testing::CatalogOfCodes({"ES", "MES", "SP", "ME", "MMC"}); }

// ---------------------------------------------------------------------------------------------
// Loading the fixture.

class OffsetTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = OffsetTable::Load(FixturePath());
    ASSERT_TRUE(table.has_value()) << table.error().ToString();
    table_ = std::move(*table);
  }

  OffsetTable table_;
};

TEST_F(OffsetTableTest, LoadsEveryRowInFileOrder) {
  Strings rows;
  for (const OffsetPair& p : table_.pairs()) rows.push_back(p.code + "->" + p.offset_to);
  EXPECT_EQ(rows, (Strings{"MMC->ME", "ME->MMC", "ES->SP", "SP->ES", "MES->ES", "ES->MES"}));
}

TEST_F(OffsetTableTest, LoadsEveryColumnAndTheLine) {
  const OffsetPair* mmc = table_.Find("MMC", "ME");
  ASSERT_NE(mmc, nullptr);
  EXPECT_EQ(mmc->code, "MMC");
  EXPECT_EQ(mmc->ratio, D("10"));
  EXPECT_EQ(mmc->offset_to, "ME");
  EXPECT_EQ(mmc->reciprocal_ratio, D("0.1"));
  EXPECT_EQ(mmc->source, "test fixture");
  EXPECT_EQ(mmc->line, 3u);  // after the header and a comment
  const OffsetPair* es = table_.Find("ES", "SP");
  ASSERT_NE(es, nullptr);
  EXPECT_EQ(es->source, "test fixture, quoted field");
  EXPECT_EQ(es->line, 6u);  // a blank line still counts
}

TEST_F(OffsetTableTest, PairsForListsEveryPairOfTheProductInFileOrder) {
  std::vector<const OffsetPair*> pairs = table_.PairsFor("ES");
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0]->offset_to, "SP");
  EXPECT_EQ(pairs[0]->ratio, D("5"));
  EXPECT_EQ(pairs[1]->offset_to, "MES");
  EXPECT_EQ(pairs[1]->ratio, D("0.1"));
}

TEST_F(OffsetTableTest, EveryPairHasItsAgreeingReverse) {
  for (const OffsetPair& p : table_.pairs()) {
    const OffsetPair* reverse = table_.Find(p.offset_to, p.code);
    ASSERT_NE(reverse, nullptr) << p.code << "->" << p.offset_to;
    EXPECT_EQ(reverse->ratio, p.reciprocal_ratio);
    EXPECT_EQ(reverse->reciprocal_ratio, p.ratio);
  }
}

TEST_F(OffsetTableTest, UnknownProductsHaveNoPairs) {
  EXPECT_TRUE(table_.PairsFor("NQ").empty());
  EXPECT_TRUE(table_.PairsFor("").empty());
  EXPECT_EQ(table_.Find("MMC", "ES"), nullptr);  // both known, not a pair
  EXPECT_EQ(table_.Find("mmc", "ME"), nullptr);  // codes are case-sensitive
}

TEST_F(OffsetTableTest, LoadsWithACatalogThatHasEveryCode) {
  ProductCatalog catalog = Catalog();
  auto table = OffsetTable::Load(FixturePath(), &catalog);
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_EQ(table->pairs().size(), 6u);
}

// ---------------------------------------------------------------------------------------------
// Load errors, from files written into a fresh temporary folder.

class OffsetTableLoadErrorTest : public ::testing::Test {
 protected:
  std::string Write(std::string_view text) { return temp_.Write("offsets.csv", text); }
  // Loads `text` and checks the load fails with kInvalidArgument "path:line: ..." containing
  // `what`.
  void ExpectError(std::string_view text, int line, std::string_view what,
                   const ProductCatalog* catalog = nullptr) {
    std::string path = Write(text);
    auto table = OffsetTable::Load(path, catalog);
    ASSERT_FALSE(table.has_value()) << "loaded " << table->pairs().size() << " pairs";
    ExpectLoadError(table.error(), path, line, what);
  }

  testing::TempDir temp_{"offset_table_test"};
  std::filesystem::path dir_ = temp_.path();
};

class OffsetTableBadRowTest : public OffsetTableLoadErrorTest,
                              public ::testing::WithParamInterface<LoadErrorCase> {};

TEST_P(OffsetTableBadRowTest, StopsWithInvalidArgumentNamingFileAndLine) {
  const LoadErrorCase& c = GetParam();
  ExpectError(std::string(kHeader) + c.body, c.line, c.what);
}

constexpr std::string_view kMmc = "MMC,10,ME,0.1,s\n";
constexpr std::string_view kMe = "ME,0.1,MMC,10,s\n";

INSTANTIATE_TEST_SUITE_P(
    OffsetTableTest, OffsetTableBadRowTest,
    ::testing::Values(
        // Ratios that are not exact reciprocals: rounding would make the offset lose contracts.
        LoadErrorCase{"RatiosNotReciprocal", Rows({kMmc, kMe, "MES,10,ES,0.2,s\n"}), 4,
                      "ratio 10 and reciprocal_ratio 0.2 are not reciprocal (product 2, must be "
                      "exactly 1)"},
        LoadErrorCase{"RoundedReciprocalIsNotReciprocal", Rows({"SP,3,XX,0.33333333,s\n"}), 2,
                      "ratio 3 and reciprocal_ratio 0.33333333 are not reciprocal (product "
                      "0.99999999, must be exactly 1)"},
        LoadErrorCase{"ReciprocalProductWithTooManyDigits", Rows({"SP,0.00001,XX,0.0001,s\n"}), 2,
                      "are not reciprocal (product not exact, must be exactly 1)"},
        LoadErrorCase{"DuplicateRow", Rows({kMmc, kMe, kMmc}), 4,
                      "pair MMC -> ME already defined at line 2"},
        LoadErrorCase{"DuplicatePairWithOtherRatio", Rows({kMmc, kMe, "MMC,5,ME,0.2,s\n"}), 4,
                      "pair MMC -> ME already defined at line 2"},
        LoadErrorCase{"MissingReverseRow", Rows({kMmc, kMe, "MES,10,ES,0.1,s\n"}), 4,
                      "pair MES -> ES has no reverse row 'ES,0.1,MES,10'"},
        LoadErrorCase{"ReverseRowDisagrees", Rows({kMmc, "ME,0.2,MMC,5,s\n"}), 2,
                      "reverse row at line 3 is 'ME,0.2,MMC,5', expected 'ME,0.1,MMC,10'"},
        LoadErrorCase{"OffsetToItself", Rows({"ES,1,ES,1,s\n"}), 2,
                      "code 'ES' is offset to itself"},
        LoadErrorCase{"ZeroRatio", Rows({"MMC,0,ME,0.1,s\n"}), 2,
                      "ratio '0' must be a positive decimal up to 1000000"},
        LoadErrorCase{"NegativeRatio", Rows({"MMC,-10,ME,-0.1,s\n"}), 2,
                      "ratio '-10' must be a positive decimal up to 1000000"},
        LoadErrorCase{"FractionRatio", Rows({"MMC,10:1,ME,0.1,s\n"}), 2,
                      "ratio '10:1' must be a positive decimal up to 1000000"},
        LoadErrorCase{"HugeRatio", Rows({"MMC,10000000,ME,0.0000001,s\n"}), 2,
                      "ratio '10000000' must be a positive decimal up to 1000000"},
        LoadErrorCase{"EmptyReciprocal", Rows({"MMC,10,ME,,s\n"}), 2,
                      "reciprocal_ratio '' must be a positive decimal up to 1000000"},
        LoadErrorCase{"ReciprocalWithNineDigits", Rows({"MMC,10,ME,0.100000000,s\n"}), 2,
                      "reciprocal_ratio '0.100000000' must be a positive decimal up to 1000000"},
        LoadErrorCase{"LowerCaseCode", Rows({"mmc,10,ME,0.1,s\n"}), 2,
                      "code 'mmc' must be upper-case letters and digits"},
        LoadErrorCase{"SlashCode", Rows({"MMC/MMC,10,ME/ME,0.1,s\n"}), 2,
                      "code 'MMC/MMC' must be upper-case letters and digits"},
        LoadErrorCase{"EmptyOffsetTo", Rows({"MMC,10,,0.1,s\n"}), 2,
                      "offset_to '' must be upper-case letters and digits"},
        LoadErrorCase{"EmptySource", Rows({"MMC,10,ME,0.1,\n"}), 2, "source is empty"},
        LoadErrorCase{"WrongFieldCount", Rows({kMmc, "ME,0.1,MMC,10\n"}), 3,
                      "4 fields, header has 5"},
        LoadErrorCase{"LineCountsCommentsAndBlankLines",
                      Rows({"# comment\n", kMmc, "\n", kMe, kMmc}), 6,
                      "already defined at line 3"}),
    testing::CaseName());

TEST_F(OffsetTableLoadErrorTest, UnknownCodeWithACatalogIsRejected) {
  ProductCatalog catalog = Catalog();
  ExpectError(std::string(kHeader) + "MMC,10,ME,0.1,s\nME,0.1,MMC,10,s\nMNQ,10,NQ,0.1,s\n", 4,
              "code 'MNQ' is not in the catalog", &catalog);
  ExpectError(std::string(kHeader) + "MES,10,NQ,0.1,s\n", 2, "offset_to 'NQ' is not in the catalog",
              &catalog);
}

TEST_F(OffsetTableLoadErrorTest, AliasWithACatalogIsRejectedNamingTheCanonicalCode) {
  ProductCatalog catalog = Catalog();
  ExpectError(std::string(kHeader) + "MMC,10,EMD,0.1,s\n", 2,
              "offset_to 'EMD' is an alias; write the canonical code 'ME'", &catalog);
}

TEST_F(OffsetTableLoadErrorTest, UnknownCodeWithoutACatalogLoads) {
  auto table =
      OffsetTable::Load(Write(std::string(kHeader) + "MNQ,10,NQ,0.1,s\nNQ,0.1,MNQ,10,s\n"));
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_EQ(table->PairsFor("MNQ").size(), 1u);
}

TEST_F(OffsetTableLoadErrorTest, WrongHeaderIsInvalidArgumentNamingFileAndLine) {
  ExpectError("code,ratio,offset_to,reciprocal,source\n" + std::string(kMmc), 1,
              "expected 'code,ratio,offset_to,reciprocal_ratio,source'");
}

TEST_F(OffsetTableLoadErrorTest, MissingFileIsNotFound) {
  std::string path = (dir_ / "absent.csv").string();
  auto table = OffsetTable::Load(path);
  ASSERT_FALSE(table.has_value());
  ExpectNotFound(table.error(), path);
}

TEST_F(OffsetTableLoadErrorTest, HeaderOnlyFileIsAnEmptyTable) {
  auto table = OffsetTable::Load(Write(kHeader));
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_TRUE(table->pairs().empty());
  EXPECT_TRUE(table->PairsFor("ES").empty());
}

}  // namespace
}  // namespace eodclear

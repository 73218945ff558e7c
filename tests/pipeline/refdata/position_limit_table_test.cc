#include "pipeline/refdata/position_limit_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/load_errors.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_products.h"

namespace eodclear {
namespace {

using testing::Day;
using testing::ExpectLoadError;
using testing::ExpectNotFound;
using testing::LoadErrorCase;
using testing::Rows;

using Strings = std::vector<std::string>;

constexpr std::string_view kHeader =
    "product,spot_month_limit,spot_month_start,single_month_limit,all_months_limit,"
    "single_month_accountability,all_months_accountability,aggregate_into,aggregate_ratio,"
    "reportable_level,source\n";

// tests/testdata/refdata/position_limits.csv: a fixture owned by these tests, never the ops file.
std::string FixturePath() {
  return std::string(EODCLEAR_TESTDATA_DIR) + "/refdata/position_limits.csv";
}

constexpr auto& D = testing::Dec;

// A catalog of canonical codes, ME with the alias EMD.
ProductCatalog Catalog() {
  return testing::CatalogOfCodes({"CNH", "MNH", "ES", "MES", "YM", "ME"});
}

// ---------------------------------------------------------------------------------------------
// Loading the fixture.

class PositionLimitTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = PositionLimitTable::Load(FixturePath());
    ASSERT_TRUE(table.has_value()) << table.error().ToString();
    table_ = std::move(*table);
  }

  PositionLimitTable table_;
};

TEST_F(PositionLimitTableTest, LoadsEveryRowInFileOrder) {
  Strings products;
  for (const PositionLimit& l : table_.limits()) products.push_back(l.product);
  EXPECT_EQ(products, (Strings{"CNH", "MNH", "ES", "MES", "YM"}));
}

TEST_F(PositionLimitTableTest, LoadsEveryColumnOfTheStandardSizeRow) {
  const PositionLimit* cnh = table_.Find("CNH");
  ASSERT_NE(cnh, nullptr);
  EXPECT_EQ(cnh->spot_month_limit, 5000);
  ASSERT_TRUE(cnh->spot_month_start.has_value());
  EXPECT_EQ(cnh->spot_month_start->days_before_termination, 7);
  EXPECT_EQ(cnh->single_month_limit, std::nullopt);
  EXPECT_EQ(cnh->all_months_limit, 10000);
  EXPECT_EQ(cnh->single_month_accountability, std::nullopt);
  EXPECT_EQ(cnh->all_months_accountability, std::nullopt);
  EXPECT_EQ(cnh->aggregate_into, "");
  EXPECT_EQ(cnh->aggregate_ratio, std::nullopt);
  EXPECT_EQ(cnh->reportable_level, 25);
  EXPECT_EQ(cnh->source, "test fixture");
  EXPECT_EQ(cnh->line, 3u);
}

TEST_F(PositionLimitTableTest, MicroRowCountsItsOwnContractsAndAggregatesAtTheRatio) {
  const PositionLimit* mnh = table_.Find("MNH");
  ASSERT_NE(mnh, nullptr);
  EXPECT_EQ(mnh->spot_month_limit, 50000);  // 5,000 CNH equivalents
  EXPECT_EQ(mnh->all_months_limit, 100000);
  EXPECT_EQ(mnh->aggregate_into, "CNH");
  EXPECT_EQ(mnh->aggregate_ratio, D("0.1"));  // 10 MNH = 1 CNH
  EXPECT_EQ(mnh->reportable_level, 250);
  EXPECT_EQ(mnh->source, "test fixture, quoted field");
}

TEST_F(PositionLimitTableTest, AccountabilityOnlyRowsHaveNoLimits) {
  const PositionLimit* es = table_.Find("ES");
  ASSERT_NE(es, nullptr);
  EXPECT_EQ(es->single_month_accountability, 20000);
  EXPECT_EQ(es->all_months_accountability, 30000);
  EXPECT_EQ(es->spot_month_start, std::nullopt);
  for (LimitKind kind : {LimitKind::kSpotMonth, LimitKind::kSingleMonth, LimitKind::kAllMonths}) {
    EXPECT_EQ(es->Limit(kind), std::nullopt) << LimitKindName(kind);
  }
  EXPECT_EQ(es->line, 6u);  // a blank line still counts
}

TEST_F(PositionLimitTableTest, LimitPicksTheColumnOfTheKind) {
  const PositionLimit* ym = table_.Find("YM");
  ASSERT_NE(ym, nullptr);
  EXPECT_EQ(ym->Limit(LimitKind::kSpotMonth), std::nullopt);
  EXPECT_EQ(ym->Limit(LimitKind::kSingleMonth), 4000);
  EXPECT_EQ(ym->Limit(LimitKind::kAllMonths), 8000);
  EXPECT_EQ(table_.Find("CNH")->Limit(LimitKind::kSpotMonth), 5000);
}

TEST_F(PositionLimitTableTest, FindReturnsNullForProductsWithoutARow) {
  EXPECT_EQ(table_.Find("NQ"), nullptr);
  EXPECT_EQ(table_.Find("cnh"), nullptr);
  EXPECT_EQ(table_.Find(""), nullptr);
}

TEST_F(PositionLimitTableTest, LoadsWithACatalogThatHasEveryCode) {
  ProductCatalog catalog = Catalog();
  auto table = PositionLimitTable::Load(FixturePath(), &catalog);
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_EQ(table->limits().size(), 5u);
}

// ---------------------------------------------------------------------------------------------
// Spot-month start and limit kinds.

// CNHU23: trading terminates on Monday 2023-09-18 (the second Hong Kong business day before the
// third Wednesday); "one week prior" makes 2023-09-11 the first spot-month day.
struct SpotMonthCase {
  std::string_view business_date;
  bool in_spot_month;
};

class SpotMonthStartContainsTest : public ::testing::TestWithParam<SpotMonthCase> {};

TEST_P(SpotMonthStartContainsTest, OneWeekBeforeTerminationThroughTermination) {
  auto start = SpotMonthStart::Parse("termination-7d");
  ASSERT_TRUE(start.has_value()) << start.error().ToString();
  EXPECT_EQ(start->FirstDay(Day("2023-09-18")), Day("2023-09-11"));
  EXPECT_EQ(start->Contains(Day(GetParam().business_date), Day("2023-09-18")),
            GetParam().in_spot_month)
      << GetParam().business_date;
}

INSTANTIATE_TEST_SUITE_P(
    SpotMonthStartTest, SpotMonthStartContainsTest,
    ::testing::Values(SpotMonthCase{"2023-09-08", false}, SpotMonthCase{"2023-09-10", false},
                      SpotMonthCase{"2023-09-11", true}, SpotMonthCase{"2023-09-15", true},
                      SpotMonthCase{"2023-09-18", true}, SpotMonthCase{"2023-09-19", false}));

TEST(SpotMonthStartTest, ParsesAndWritesTheRuleText) {
  for (std::string_view text : {"termination-0d", "termination-7d", "termination-366d"}) {
    auto start = SpotMonthStart::Parse(text);
    ASSERT_TRUE(start.has_value()) << text << ": " << start.error().ToString();
    EXPECT_EQ(start->ToString(), text);
  }
  EXPECT_EQ(SpotMonthStart::Parse("termination-07d")->days_before_termination, 7);
}

TEST(SpotMonthStartTest, RejectsOtherTexts) {
  for (std::string_view text :
       {"", "termination", "termination-d", "termination-7", "termination-1w", "termination+7d",
        "termination--7d", "termination-367d", "termination-1000d", "Termination-7d",
        "termination-7d ", "ltd-7d", "7d"}) {
    auto start = SpotMonthStart::Parse(text);
    ASSERT_FALSE(start.has_value()) << "'" << text << "' parsed";
    EXPECT_EQ(start.error().code(), Status::Code::kInvalidArgument);
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "'" + std::string(text) + "'",
                        start.error().message());
  }
}

TEST(LimitKindTest, NamesRoundTrip) {
  for (LimitKind kind : {LimitKind::kSpotMonth, LimitKind::kSingleMonth, LimitKind::kAllMonths}) {
    auto parsed = ParseLimitKind(LimitKindName(kind));
    ASSERT_TRUE(parsed.has_value()) << LimitKindName(kind);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(LimitKindName(LimitKind::kSpotMonth), "spot_month");
  EXPECT_EQ(LimitKindName(LimitKind::kSingleMonth), "single_month");
  EXPECT_EQ(LimitKindName(LimitKind::kAllMonths), "all_months");
}

TEST(LimitKindTest, UnknownNamesAreInvalidArgument) {
  for (std::string_view text : {"", "spot", "all-months", "ALL_MONTHS", "spot_month "}) {
    auto parsed = ParseLimitKind(text);
    ASSERT_FALSE(parsed.has_value()) << "'" << text << "' parsed";
    EXPECT_EQ(parsed.error().code(), Status::Code::kInvalidArgument);
  }
}

// ---------------------------------------------------------------------------------------------
// Load errors, from files written into a fresh temporary folder.

class PositionLimitTableLoadErrorTest : public ::testing::Test {
 protected:
  std::string Write(std::string_view text) { return temp_.Write("position_limits.csv", text); }
  void ExpectError(std::string_view text, int line, std::string_view what,
                   const ProductCatalog* catalog = nullptr) {
    std::string path = Write(text);
    auto table = PositionLimitTable::Load(path, catalog);
    ASSERT_FALSE(table.has_value()) << "loaded " << table->limits().size() << " rows";
    ExpectLoadError(table.error(), path, line, what);
  }

  testing::TempDir temp_{"position_limit_table_test"};
  std::filesystem::path dir_ = temp_.path();
};

class PositionLimitTableBadRowTest : public PositionLimitTableLoadErrorTest,
                                     public ::testing::WithParamInterface<LoadErrorCase> {};

TEST_P(PositionLimitTableBadRowTest, StopsWithInvalidArgumentNamingFileAndLine) {
  const LoadErrorCase& c = GetParam();
  ExpectError(std::string(kHeader) + c.body, c.line, c.what);
}

constexpr std::string_view kCnh = "CNH,5000,termination-7d,,10000,,,,,25,s\n";
constexpr std::string_view kMnh = "MNH,50000,termination-7d,,100000,,,CNH,0.1,250,s\n";

INSTANTIATE_TEST_SUITE_P(
    PositionLimitTableTest, PositionLimitTableBadRowTest,
    ::testing::Values(
        LoadErrorCase{"DuplicateProduct", Rows({kCnh, kMnh, kCnh}), 4,
                      "product 'CNH' already has a row at line 2"},
        LoadErrorCase{"ZeroLimit", Rows({"CNH,0,termination-7d,,10000,,,,,25,s\n"}), 2,
                      "spot_month_limit '0' must be empty or a positive whole number of contracts"},
        LoadErrorCase{"NegativeLimit", Rows({"CNH,,,,-10000,,,,,25,s\n"}), 2,
                      "all_months_limit '-10000' must be empty or a positive whole number"},
        LoadErrorCase{"ThousandsSeparator", Rows({"CNH,,,,\"10,000\",,,,,25,s\n"}), 2,
                      "all_months_limit '10,000' must be empty or a positive whole number"},
        LoadErrorCase{"FractionalLimit", Rows({"YM,,,4000.5,,,,,,,s\n"}), 2,
                      "single_month_limit '4000.5' must be empty or a positive whole number"},
        LoadErrorCase{"ThirteenDigitLimit", Rows({"YM,,,1000000000000,,,,,,,s\n"}), 2,
                      "single_month_limit '1000000000000' must be empty or a positive whole"},
        LoadErrorCase{"BadAccountability", Rows({"ES,,,,,,30k,,,,s\n"}), 2,
                      "all_months_accountability '30k' must be empty"},
        LoadErrorCase{"BadReportableLevel", Rows({"ES,,,,,,,,,0,s\n"}), 2,
                      "reportable_level '0' must be empty"},
        LoadErrorCase{"SpotLimitWithoutStart", Rows({"CNH,5000,,,10000,,,,,25,s\n"}), 2,
                      "spot_month_limit needs a spot_month_start"},
        LoadErrorCase{"StartWithoutSpotLimit", Rows({"CNH,,termination-7d,,10000,,,,,25,s\n"}), 2,
                      "spot_month_start 'termination-7d' without a spot_month_limit"},
        LoadErrorCase{"StartInWeeks", Rows({"CNH,5000,termination-1w,,10000,,,,,25,s\n"}), 2,
                      "spot_month_start 'termination-1w' must be termination-<N>d"},
        LoadErrorCase{"StartAsProse",
                      Rows({"CNH,5000,one week prior to termination,,10000,,,,,25,s\n"}), 2,
                      "spot_month_start 'one week prior to termination' must be"},
        LoadErrorCase{"AggregateIntoWithoutRatio",
                      Rows({kCnh, "MNH,50000,termination-7d,,100000,,,CNH,,250,s\n"}), 3,
                      "aggregate_into and aggregate_ratio must both be set or both be empty"},
        LoadErrorCase{"RatioWithoutAggregateInto",
                      Rows({kCnh, "MNH,50000,termination-7d,,100000,,,,0.1,250,s\n"}), 3,
                      "aggregate_into and aggregate_ratio must both be set or both be empty"},
        LoadErrorCase{"ZeroRatio", Rows({kCnh, "MNH,,,,,,,CNH,0,250,s\n"}), 3,
                      "aggregate_ratio '0' must be a positive decimal"},
        LoadErrorCase{"RatioAsProportion", Rows({kCnh, "MNH,,,,,,,CNH,10:1,250,s\n"}), 3,
                      "aggregate_ratio '10:1' must be a positive decimal"},
        LoadErrorCase{"AggregatesIntoItself", Rows({"CNH,,,,,,,CNH,1,25,s\n"}), 2,
                      "product 'CNH' aggregates into itself"},
        LoadErrorCase{"AggregateTargetWithoutRow", Rows({kMnh}), 2,
                      "aggregate_into 'CNH' has no row of its own"},
        LoadErrorCase{
            "AggregationCycle",
            Rows({"AA,,,,,,,BB,0.1,,s\n", "BB,,,,,,,CC,0.1,,s\n", "CC,,,,,,,AA,0.1,,s\n"}), 2,
            "aggregation of 'AA' runs in a cycle"},
        // The usual slip: copying the table's net-futures-equivalent value into the micro row.
        LoadErrorCase{"MicroLimitInBigContractEquivalents",
                      Rows({kCnh, "MNH,5000,termination-7d,,100000,,,CNH,0.1,250,s\n"}), 3,
                      "spot_month_limit 5000 x aggregate_ratio 0.1 = 500 CNH, but CNH's "
                      "spot_month_limit is 5000 (quantities are in the row's own contracts)"},
        LoadErrorCase{"MicroAccountabilityDisagrees",
                      Rows({"ES,,,,,,30000,,,,s\n", "MES,,,,,,30000,ES,0.1,,s\n"}), 3,
                      "all_months_accountability 30000 x aggregate_ratio 0.1 = 3000 ES"},
        LoadErrorCase{"SpotMonthStartDiffersFromTarget",
                      Rows({kCnh, "MNH,50000,termination-5d,,100000,,,CNH,0.1,250,s\n"}), 3,
                      "spot_month_start termination-5d differs from CNH's termination-7d"},
        LoadErrorCase{"LowerCaseProduct", Rows({"cnh,,,,10000,,,,,,s\n"}), 2,
                      "product 'cnh' must be upper-case letters and digits"},
        LoadErrorCase{"BadAggregateInto", Rows({"MNH,,,,,,,C N H,0.1,,s\n"}), 2,
                      "aggregate_into 'C N H' must be upper-case letters and digits"},
        LoadErrorCase{"EmptySource", Rows({"CNH,,,,10000,,,,,25,\n"}), 2, "source is empty"},
        LoadErrorCase{"WrongFieldCount", Rows({kCnh, "MNH,50000,termination-7d\n"}), 3,
                      "3 fields, header has 11"}),
    testing::CaseName());

TEST_F(PositionLimitTableLoadErrorTest, AggregationChainLoads) {
  auto table = PositionLimitTable::Load(Write(std::string(kHeader) + "MES,,,,1400000,,,ES,0.1,,s\n"
                                                                     "ES,,,,140000,,,SP,0.2,,s\n"
                                                                     "SP,,,,28000,,,,,,s\n"));
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_EQ(table->Find("MES")->aggregate_into, "ES");
  EXPECT_EQ(table->Find("ES")->aggregate_into, "SP");
}

TEST_F(PositionLimitTableLoadErrorTest, UnknownProductWithACatalogIsRejected) {
  ProductCatalog catalog = Catalog();
  ExpectError(std::string(kHeader) + std::string(kCnh) + "NQ,,,,,,,,,,s\n", 3,
              "product 'NQ' is not in the catalog", &catalog);
  ExpectError(std::string(kHeader) + "MES,,,,,,,SP,0.2,,s\nSP,,,,,,,,,,s\n", 2,
              "aggregate_into 'SP' is not in the catalog", &catalog);
}

TEST_F(PositionLimitTableLoadErrorTest, AliasWithACatalogIsRejectedNamingTheCanonicalCode) {
  ProductCatalog catalog = Catalog();
  ExpectError(std::string(kHeader) + "EMD,,,,,,,,,,s\n", 2,
              "product 'EMD' is an alias; write the canonical code 'ME'", &catalog);
}

TEST_F(PositionLimitTableLoadErrorTest, WrongHeaderIsInvalidArgumentNamingFileAndLine) {
  // Every column present but one misnamed, so the rows split and only the header is wrong.
  ExpectError(
      "product,spot_month_limit,spot_month_start,single_month_limit,all_months_limit,"
      "single_month_accountability,all_months_accountability,aggregate_into,aggregate_ratio,"
      "reporting_level,source\n" +
          std::string(kCnh),
      1, "expected 'product,spot_month_limit,spot_month_start,");
}

TEST_F(PositionLimitTableLoadErrorTest, MissingFileIsNotFound) {
  std::string path = (dir_ / "absent.csv").string();
  auto table = PositionLimitTable::Load(path);
  ASSERT_FALSE(table.has_value());
  ExpectNotFound(table.error(), path);
}

TEST_F(PositionLimitTableLoadErrorTest, HeaderOnlyFileIsAnEmptyTable) {
  auto table = PositionLimitTable::Load(Write(kHeader));
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_TRUE(table->limits().empty());
}

}  // namespace
}  // namespace eodclear

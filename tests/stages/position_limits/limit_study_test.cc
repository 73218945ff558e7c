#include "stages/position_limits/limit_study.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/test_values.h"

namespace eodclear {

// Failure messages show decimals as text instead of raw bytes.
inline void PrintTo(const Decimal& d, std::ostream* os) { *os << d.ToString(); }

namespace {

// tests/testdata/limit_study: from the build's EODCLEAR_TESTDATA_DIR, or next to this file when
// the test is compiled by hand.
std::string Fixture(std::string_view name) {
#ifdef EODCLEAR_TESTDATA_DIR
  std::filesystem::path dir = std::filesystem::path(EODCLEAR_TESTDATA_DIR) / "limit_study";
#else
  std::filesystem::path dir =
      std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "testdata" / "limit_study";
#endif
  return (dir / name).string();
}

constexpr auto& D = testing::Dec;

SupplyMonth Month(int year, int month, std::string_view supply, std::string_view rate) {
  SupplyMonth m;
  m.year = year;
  m.month = month;
  m.deliverable_supply_cnh = D(supply);
  m.spot_rate_cnh_per_usd = D(rate);
  return m;
}

// ---------------------------------------------------------------------------------------------
// The seed's recommendation.

// Seed 002, Exhibit 2, the August 2013 row (printed rate 6.1219 misread; the contract-size
// column and the all-months value column both say 612,145 CNH, i.e. a median rate of 6.12145):
//   D = 709,463,000,000 CNH, S = 100,000 x 6.12145 = 612,145 CNH
//   D / S = 1,158,978.673... contracts (709,463,000,000 = 1,158,978 x 612,145 + 412,190)
//   1 % = 11,589.787 -> nearest 5,000: 10,000 (11,589.787 < 12,500); MNH 10 x 10,000 = 100,000
//   2 % = 23,179.573 -> nearest 5,000: 25,000 (23,179.573 > 22,500); MNH 10 x 25,000 = 250,000
// The seed: "the spot month limit for standard sized futures should be 10,000 contracts",
// "the all months limit for standard sized futures should be 25,000 contracts", and 100,000 and
// 250,000 for e-micro.
TEST(LimitStudyTest, August2013ReproducesTheSeedsRecommendation) {
  auto limits = LimitsForMonth(Month(2013, 8, "709463000000", "6.12145"));
  ASSERT_TRUE(limits.has_value()) << limits.error().ToString();
  EXPECT_EQ(limits->contract_size_cnh, D("612145"));
  EXPECT_EQ(limits->supply_contracts, D("1158978.67"));
  EXPECT_EQ(limits->one_percent_contracts, D("11589.79"));
  EXPECT_EQ(limits->two_percent_contracts, D("23179.57"));
  EXPECT_EQ(limits->spot_month_limit, 10'000);
  EXPECT_EQ(limits->all_months_limit, 25'000);
  EXPECT_EQ(limits->mnh_spot_month_limit, 100'000);
  EXPECT_EQ(limits->mnh_all_months_limit, 250'000);
}

// The printed rate 6.1219 instead: S = 612,190, D / S = 1,158,893.48; 1 % = 11,588.93 and
// 2 % = 23,177.87, the same limits. The recommendation does not hang on the misread rate.
TEST(LimitStudyTest, August2013WithThePrintedRateGivesTheSameLimits) {
  auto limits = LimitsForMonth(Month(2013, 8, "709463000000", "6.1219"));
  ASSERT_TRUE(limits.has_value()) << limits.error().ToString();
  EXPECT_EQ(limits->one_percent_contracts, D("11588.93"));
  EXPECT_EQ(limits->two_percent_contracts, D("23177.87"));
  EXPECT_EQ(limits->spot_month_limit, 10'000);
  EXPECT_EQ(limits->all_months_limit, 25'000);
}

// The whole cleaned series (a copy of ops/limit_study/cnh_deliverable_supply.csv): the
// recommendation is its latest month, August 2013; the summary matches the lines under the
// seed's table once their own misreadings are corrected (ops/limit_study/README.md):
//   Minimum 149,326,000,000 (September 2010) and Maximum 709,463,000,000 (August 2013), as printed;
//   growth 709,463 / 149,326 - 1 = 3.75110... -> 375.1 % (printed "376.1%"; the text says "more
//   than 375 percent");
//   average 19,613,919,883,000 / 36 = 544,831,107,861.1 -> 544,831,107,861 (printed
//   644,821,249,828: a misread leading 5, and digits below 0.1 bn that the cleaned series cannot
//   recover; 0.002 % apart).
TEST(LimitStudyTest, SeedSeriesRecommendsTheLatestMonth) {
  auto series = ReadSupplySeries(Fixture("seed_002_series.csv"));
  ASSERT_TRUE(series.has_value()) << series.error().ToString();
  auto study = StudyLimits(*series);
  ASSERT_TRUE(study.has_value()) << study.error().ToString();
  ASSERT_EQ(study->months.size(), 36u);
  const MonthlyLimits& r = study->Recommendation();
  EXPECT_EQ(r.supply.MonthString(), "2013-08");
  EXPECT_EQ(r.spot_month_limit, 10'000);
  EXPECT_EQ(r.all_months_limit, 25'000);
  EXPECT_EQ(r.mnh_spot_month_limit, 100'000);
  EXPECT_EQ(r.mnh_all_months_limit, 250'000);

  const SupplySummary& s = study->summary;
  EXPECT_EQ(s.months, 36u);
  EXPECT_EQ(s.first_month, "2010-09");
  EXPECT_EQ(s.last_month, "2013-08");
  EXPECT_EQ(s.min_supply_cnh, D("149326000000"));
  EXPECT_EQ(s.min_month, "2010-09");
  EXPECT_EQ(s.max_supply_cnh, D("709463000000"));
  EXPECT_EQ(s.max_month, "2013-08");
  EXPECT_EQ(s.average_supply_cnh, D("544831107861"));
  EXPECT_EQ(s.growth_percent, D("375.1"));
}

// Every month of the cleaned series reproduces the seed's own "Rounded to Nearest 5,000
// Contracts" columns. Six spot-month cells print "0,000" (October 2010 - March 2011) where 1 % is
// 3,248 to 6,739 contracts, which rounds to 5,000; September 2010 prints "0" and 1 % is 2,197.85,
// which does round to 0.
struct SeedRowCase {
  std::string_view month;
  int64_t spot_month;  // the seed's rounded 1 % column
  int64_t all_months;  // the seed's rounded 2 % column
};

void PrintTo(const SeedRowCase& c, std::ostream* os) { *os << c.month; }

class SeedRowTest : public ::testing::TestWithParam<SeedRowCase> {};

TEST_P(SeedRowTest, MatchesTheSeedsRoundedColumns) {
  auto series = ReadSupplySeries(Fixture("seed_002_series.csv"));
  ASSERT_TRUE(series.has_value()) << series.error().ToString();
  auto study = StudyLimits(*series);
  ASSERT_TRUE(study.has_value()) << study.error().ToString();
  const SeedRowCase& c = GetParam();
  for (const MonthlyLimits& m : study->months) {
    if (m.supply.MonthString() != c.month) continue;
    EXPECT_EQ(m.spot_month_limit, c.spot_month);
    EXPECT_EQ(m.all_months_limit, c.all_months);
    EXPECT_EQ(m.mnh_spot_month_limit, 10 * c.spot_month);
    EXPECT_EQ(m.mnh_all_months_limit, 10 * c.all_months);
    return;
  }
  FAIL() << "no month " << c.month << " in the series";
}

INSTANTIATE_TEST_SUITE_P(
    LimitStudyTest, SeedRowTest,
    ::testing::Values(
        // 149,326,000,000 / 679,420 = 219,784.52 contracts: 1 % 2,197.85 -> 0; 2 % 4,395.69 ->
        // 5,000.
        SeedRowCase{"2010-09", 0, 5'000},
        // 1 % 3,247.96 -> 5,000 (printed "0,000"); 2 % 6,495.92 -> 5,000.
        SeedRowCase{"2010-10", 5'000, 5'000}, SeedRowCase{"2010-11", 5'000, 10'000},
        SeedRowCase{"2010-12", 5'000, 10'000}, SeedRowCase{"2011-01", 5'000, 10'000},
        SeedRowCase{"2011-02", 5'000, 10'000},
        // 1 % 6,738.84 -> 5,000 (printed "0,000"); 2 % 13,477.69 -> 15,000.
        SeedRowCase{"2011-03", 5'000, 15'000}, SeedRowCase{"2011-04", 10'000, 15'000},
        SeedRowCase{"2011-05", 10'000, 15'000},
        // 553,602,000,000 / 647,880: 2 % 17,089.65 -> 15,000. The printed 613,302,000,000 would
        // give 18,932.61 -> 20,000, against the seed's own 15,000.
        SeedRowCase{"2011-06", 10'000, 15'000}, SeedRowCase{"2011-07", 10'000, 20'000},
        SeedRowCase{"2011-08", 10'000, 20'000}, SeedRowCase{"2011-09", 10'000, 20'000},
        SeedRowCase{"2011-10", 10'000, 20'000}, SeedRowCase{"2011-11", 10'000, 20'000},
        // 588,528,000,000 / 635,645: 1 % 9,258.75 -> 10,000. The printed 898,528,000,000 would
        // give 14,135.70 -> 15,000, against the seed's own 10,000.
        SeedRowCase{"2011-12", 10'000, 20'000}, SeedRowCase{"2012-01", 10'000, 20'000},
        SeedRowCase{"2012-02", 10'000, 20'000}, SeedRowCase{"2012-03", 10'000, 20'000},
        SeedRowCase{"2012-04", 10'000, 20'000}, SeedRowCase{"2012-05", 10'000, 20'000},
        SeedRowCase{"2012-06", 10'000, 20'000}, SeedRowCase{"2012-07", 10'000, 20'000},
        // 552,258,000,000 / 635,930: 2 % 17,368.52 -> 15,000 (below 17,500).
        SeedRowCase{"2012-08", 10'000, 15'000}, SeedRowCase{"2012-09", 10'000, 15'000},
        SeedRowCase{"2012-10", 10'000, 20'000}, SeedRowCase{"2012-11", 10'000, 20'000},
        SeedRowCase{"2012-12", 10'000, 20'000}, SeedRowCase{"2013-01", 10'000, 20'000},
        SeedRowCase{"2013-02", 10'000, 20'000}, SeedRowCase{"2013-03", 10'000, 20'000},
        SeedRowCase{"2013-04", 10'000, 20'000},
        // 698,481,000,000 / 614,025: 2 % 22,750.90 -> 25,000 (the seed prints 22,751).
        SeedRowCase{"2013-05", 10'000, 25'000}, SeedRowCase{"2013-06", 10'000, 25'000},
        SeedRowCase{"2013-07", 10'000, 25'000}, SeedRowCase{"2013-08", 10'000, 25'000}),
    [](const ::testing::TestParamInfo<SeedRowCase>& param_info) {
      std::string name = "Month" + std::string(param_info.param.month);
      name.erase(name.begin() + 9);  // "Month2013-08" -> "Month201308"
      return name;
    });

// ---------------------------------------------------------------------------------------------
// Rounding to the nearest 5,000: table-driven, exact quotient numerator / denominator.

struct RoundCase {
  std::string_view name;
  int64_t numerator;
  int64_t denominator;
  int64_t expected;
};

void PrintTo(const RoundCase& c, std::ostream* os) { *os << c.name; }

class RoundToNearestMultipleTest : public ::testing::TestWithParam<RoundCase> {};

TEST_P(RoundToNearestMultipleTest, RoundsToTheNearestMultipleTiesUp) {
  const RoundCase& c = GetParam();
  auto rounded = RoundToNearestMultiple(c.numerator, c.denominator, kLimitIncrement);
  ASSERT_TRUE(rounded.has_value()) << rounded.error().ToString();
  EXPECT_EQ(*rounded, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    LimitStudyTest, RoundToNearestMultipleTest,
    ::testing::Values(
        RoundCase{"Zero", 0, 1, 0},
        // 2,499 < 2,500: nearer 0.
        RoundCase{"JustBelowFirstHalf", 2'499, 1, 0},
        // 2,500 is halfway between 0 and 5,000: ties up.
        RoundCase{"FirstHalfTiesUp", 2'500, 1, 5'000},
        // 7,499,999 / 1,000 = 7,499.999: nearer 5,000.
        RoundCase{"ThousandthBelowTie", 7'499'999, 1'000, 5'000},
        // 7,500: halfway between 5,000 and 10,000: ties up to 10,000.
        RoundCase{"TieUpToTenThousand", 7'500, 1, 10'000},
        // 15,000 / 2 = 7,500 exactly, as a fraction: ties up.
        RoundCase{"FractionalTieUp", 15'000, 2, 10'000},
        // 7,500,001 / 1,000 = 7,500.001: above the tie.
        RoundCase{"ThousandthAboveTie", 7'500'001, 1'000, 10'000},
        // 12,500: halfway between 10,000 and 15,000: 15,000.
        RoundCase{"TieUpToFifteenThousand", 12'500, 1, 15'000},
        // 10,000 is a multiple: unchanged.
        RoundCase{"OnAMultiple", 10'000, 1, 10'000},
        // August 2013, 1 %: 709,463,000,000 / (612,145 x 100) = 11,589.79 -> 10,000.
        RoundCase{"August2013SpotMonth", 709'463'000'000, 61'214'500, 10'000},
        // August 2013, 2 %: 2 x 709,463,000,000 / (612,145 x 100) = 23,179.57 -> 25,000.
        RoundCase{"August2013AllMonths", 1'418'926'000'000, 61'214'500, 25'000}),
    testing::CaseName());

TEST(LimitStudyTest, RoundToNearestMultipleRejectsBadArguments) {
  EXPECT_FALSE(RoundToNearestMultiple(-1, 1, 5'000).has_value());
  EXPECT_FALSE(RoundToNearestMultiple(1, 0, 5'000).has_value());
  EXPECT_FALSE(RoundToNearestMultiple(1, 1, 0).has_value());
}

// A month whose 1 % is exactly 7,500 contracts: S = 100,000 x 6.5 = 650,000 CNH,
// D = 750,000 x 650,000 = 487,500,000,000 CNH, D / S = 750,000; 1 % = 7,500 -> 10,000 (tie up);
// 2 % = 15,000, a multiple. One CNH less: 1 % = 7,499.99999998... -> 5,000, although the
// 2-place display shows 7,500.00: the limit comes from the exact quotient, never the display.
TEST(LimitStudyTest, ExactTieRoundsUpAndTheLimitUsesTheExactQuotient) {
  auto tie = LimitsForMonth(Month(2020, 1, "487500000000", "6.5"));
  ASSERT_TRUE(tie.has_value()) << tie.error().ToString();
  EXPECT_EQ(tie->one_percent_contracts, D("7500"));
  EXPECT_EQ(tie->spot_month_limit, 10'000);
  EXPECT_EQ(tie->all_months_limit, 15'000);
  EXPECT_EQ(tie->mnh_spot_month_limit, 100'000);

  auto below = LimitsForMonth(Month(2020, 1, "487499999999", "6.5"));
  ASSERT_TRUE(below.has_value()) << below.error().ToString();
  EXPECT_EQ(below->one_percent_contracts, D("7500"));  // 7,499.999999998 to 2 places
  EXPECT_EQ(below->spot_month_limit, 5'000);
  EXPECT_EQ(below->all_months_limit, 15'000);  // 14,999.99999 -> 15,000
}

TEST(LimitStudyTest, DivideRoundedRoundsHalfAwayFromZero) {
  // 1 / 8 = 0.125 -> 0.13 (half up); -1 / 8 -> -0.13; 1 / 3 = 0.333... -> 0.33.
  EXPECT_EQ(DivideRounded(1, 8, 2).value(), D("0.13"));
  EXPECT_EQ(DivideRounded(-1, 8, 2).value(), D("-0.13"));
  EXPECT_EQ(DivideRounded(1, 3, 2).value(), D("0.33"));
  EXPECT_FALSE(DivideRounded(1, 0, 2).has_value());
  EXPECT_FALSE(DivideRounded(1, 3, 9).has_value());
  // A whole quotient of 10^33 needs 10^41 Decimal units: out of range, not wrapped.
  Int128 big = 1;
  for (int i = 0; i < 33; ++i) big *= 10;
  EXPECT_FALSE(DivideRounded(big, 1, 0).has_value());
}

// ---------------------------------------------------------------------------------------------
// Bad files: each names file:line and what is wrong; all are kInvalidArgument (exit code 2).

struct BadFileCase {
  std::string_view name;
  std::string_view file;
  std::string_view where;  // ":<line>" after the file name, or "" for the file as a whole
  std::string_view what;   // part of the message after "file:line: "
};

void PrintTo(const BadFileCase& c, std::ostream* os) { *os << c.name; }

class BadSupplyFileTest : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(BadSupplyFileTest, NamesFileLineAndProblem) {
  const BadFileCase& c = GetParam();
  std::string path = Fixture(c.file);
  auto series = ReadSupplySeries(path);
  ASSERT_FALSE(series.has_value());
  EXPECT_EQ(series.error().code(), Status::Code::kInvalidArgument) << series.error().ToString();
  const std::string& message = series.error().message();
  EXPECT_EQ(message.rfind(path + std::string(c.where) + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(c.what), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    LimitStudyTest, BadSupplyFileTest,
    ::testing::Values(
        BadFileCase{"MonthThirteen", "bad_month.csv", ":3", "month '2013-13' is not YYYY-MM"},
        BadFileCase{"ThousandsSeparators", "bad_supply.csv", ":3",
                    "deliverable_supply_cnh: '709,463,000,000' is not a decimal"},
        BadFileCase{"ZeroSupply", "zero_supply.csv", ":2",
                    "deliverable_supply_cnh 0 must be greater than 0"},
        BadFileCase{"NegativeRate", "bad_rate.csv", ":2",
                    "spot_rate_cnh_per_usd -6.12145 is outside 0.0001..10000"},
        BadFileCase{"MonthsNotIncreasing", "months_not_increasing.csv", ":3",
                    "month 2013-07 is not after 2013-08 (line 2); months must increase"},
        BadFileCase{"WrongHeader", "wrong_header.csv", ":1", "header is 'month,supply,rate,note'"},
        BadFileCase{"MissingField", "missing_field.csv", ":3", "3 fields, header has 4"},
        BadFileCase{"NoMonths", "no_months.csv", "", "no months"}),
    testing::CaseName());

TEST(LimitStudyTest, MissingFileIsNotFound) {
  auto series = ReadSupplySeries(Fixture("no_such_file.csv"));
  ASSERT_FALSE(series.has_value());
  EXPECT_EQ(series.error().code(), Status::Code::kNotFound);
}

TEST(LimitStudyTest, StudyRejectsEmptyAndUnorderedSeries) {
  EXPECT_FALSE(StudyLimits({}).has_value());
  auto unordered = StudyLimits(
      {Month(2013, 8, "709463000000", "6.12145"), Month(2013, 8, "709463000000", "6.12145")});
  ASSERT_FALSE(unordered.has_value());
  EXPECT_NE(unordered.error().message().find("months must increase"), std::string::npos);
}

TEST(LimitStudyTest, ParsesNotesAndSkipsComments) {
  auto series = ParseSupplySeries(
      "# comment\n"
      "month,deliverable_supply_cnh,spot_rate_cnh_per_usd,source_note\n"
      "2013-07,695042000000,6.1338,\"HKMA 695.0 bn, as printed\"\n",
      "inline.csv");
  ASSERT_TRUE(series.has_value()) << series.error().ToString();
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0].MonthString(), "2013-07");
  EXPECT_EQ((*series)[0].deliverable_supply_cnh, D("695042000000"));
  EXPECT_EQ((*series)[0].spot_rate_cnh_per_usd, D("6.1338"));
  EXPECT_EQ((*series)[0].source_note, "HKMA 695.0 bn, as printed");
}

}  // namespace
}  // namespace eodclear

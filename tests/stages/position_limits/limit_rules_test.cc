#include "stages/position_limits/limit_rules.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

// Reference data written into a fresh temporary folder; never the ops files.
//
// The limit rows are CME Submission 13-543 (seed 002): CNH spot-month limit 5,000 from
// termination-7d, all-months 10,000, no single-month limit, no accountability levels, reporting
// level 25; MNH the same limits in MNH (50,000 and 100,000), aggregating into CNH at 0.1
// (10 MNH : 1 CNH), reporting level 250.
constexpr std::string_view kLimitsHeader =
    "product,spot_month_limit,spot_month_start,single_month_limit,all_months_limit,"
    "single_month_accountability,all_months_accountability,aggregate_into,aggregate_ratio,"
    "reportable_level,source\n";
constexpr std::string_view kSeedLimits =
    "CNH,5000,termination-7d,,10000,,,,,25,CME Submission 13-543\n"
    "MNH,50000,termination-7d,,100000,,,CNH,0.1,250,CME Submission 13-543: 10 MNH : 1 CNH\n";
// The seed's limits plus accountability levels that the seed does not have (test-only):
// single-month 2,000 CNH (20,000 MNH) and all-months 6,000 CNH (60,000 MNH).
constexpr std::string_view kAccountabilityLimits =
    "CNH,5000,termination-7d,,10000,2000,6000,,,25,test-only accountability levels\n"
    "MNH,50000,termination-7d,,100000,20000,60000,CNH,0.1,250,test-only accountability levels\n";

constexpr std::string_view kAccounts =
    "account,firm,owner,origin,auto_offset\n"
    "CLR01-C100,CLR01,ACME-CAPITAL,customer,false\n"
    "CLR02-C200,CLR02,ACME-CAPITAL,customer,false\n"
    "CLR01-C101,CLR01,NORTHWIND-FUND,customer,false\n"
    "CLR01-C103,CLR01,BLUEHERON-LLC,customer,false\n";
// NORTHWIND's exemptions are in force all of 2023; BLUEHERON's spot-month exemption ends
// 2023-09-30; ACME's is recorded under MNH, which is never checked on its own.
constexpr std::string_view kExemptions =
    "owner,product,kind,quantity,valid_from,valid_to\n"
    "NORTHWIND-FUND,CNH,spot_month,7500,2023-01-01,2023-12-31\n"
    "NORTHWIND-FUND,CNH,all_months,15000,2023-01-01,2023-12-31\n"
    "BLUEHERON-LLC,CNH,spot_month,6000,2023-07-01,2023-09-30\n"
    "ACME-CAPITAL,MNH,spot_month,20000,2023-01-01,2023-12-31\n";

constexpr auto& D = testing::Day;

// Last trading days, worked by hand from the usd_cnh rule (second Hong Kong business day before
// the third Wednesday): Dec 2023: third Wednesday 20th, so Monday 2023-12-18, spot month from
// 2023-12-11; Mar 2024: Wednesday 20th, so 2024-03-18; Jun 2024: Wednesday 19th, so 2024-06-17.
const std::map<std::string, Date>& LastTradeDates() {
  static const auto* dates = new std::map<std::string, Date>{
      {"CNHZ23", D("2023-12-18")}, {"MNHZ23", D("2023-12-18")}, {"CNHH24", D("2024-03-18")},
      {"MNHH24", D("2024-03-18")}, {"CNHM24", D("2024-06-17")},
  };
  return *dates;
}

constexpr std::string_view kDecemberSpot = "2023-12-11";  // first day of the CNHZ23 spot month
constexpr std::string_view kNovember = "2023-11-15";      // no contract in its spot month

LimitPosition Acme(std::string_view contract, int64_t net) {
  return {"CLR01", "CLR01-C100", std::string(contract), net};
}
LimitPosition Acme2(std::string_view contract, int64_t net) {
  return {"CLR02", "CLR02-C200", std::string(contract), net};
}
LimitPosition Northwind(std::string_view contract, int64_t net) {
  return {"CLR01", "CLR01-C101", std::string(contract), net};
}
LimitPosition Blueheron(std::string_view contract, int64_t net) {
  return {"CLR01", "CLR01-C103", std::string(contract), net};
}

class LimitRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = LoadTable("seed_limits.csv", kSeedLimits);
    accountability_ = LoadTable("accountability_limits.csv", kAccountabilityLimits);
    auto directory = AccountDirectory::Load(temp_.Write("accounts.csv", kAccounts),
                                            temp_.Write("exemptions.csv", kExemptions));
    ASSERT_TRUE(directory.has_value()) << directory.error().ToString();
    directory_ = std::move(*directory);
  }

  std::optional<PositionLimitTable> LoadTable(std::string_view name, std::string_view rows) {
    auto table =
        PositionLimitTable::Load(temp_.Write(name, std::string(kLimitsHeader) + std::string(rows)));
    EXPECT_TRUE(table.has_value()) << table.error().ToString();
    if (!table) return std::nullopt;
    return std::move(*table);
  }

  std::vector<LimitFinding> Check(std::string_view date,
                                  const std::vector<LimitPosition>& positions,
                                  const std::optional<PositionLimitTable>& table) {
    EXPECT_TRUE(table.has_value());
    if (!table || !directory_) return {};
    auto findings = CheckLimits(D(date), positions, *table, *directory_, LastTradeDates());
    EXPECT_TRUE(findings.has_value()) << findings.error().ToString();
    return findings.value_or(std::vector<LimitFinding>{});
  }
  std::vector<LimitFinding> Check(std::string_view date,
                                  const std::vector<LimitPosition>& positions) {
    return Check(date, positions, seed_);
  }
  std::vector<ReportableRecord> Reportable(const std::vector<LimitPosition>& positions) {
    EXPECT_TRUE(seed_.has_value() && directory_.has_value());
    if (!seed_ || !directory_) return {};
    auto records = ReportablePositions(D(kDecemberSpot), positions, *seed_, *directory_);
    EXPECT_TRUE(records.has_value()) << records.error().ToString();
    return records.value_or(std::vector<ReportableRecord>{});
  }

  testing::TempDir temp_{"limit_rules_test"};
  std::optional<PositionLimitTable> seed_, accountability_;
  std::optional<AccountDirectory> directory_;
};

struct Expected {
  std::string_view owner;
  FindingKind kind;
  LimitKind period;
  std::string_view base_contract;
  std::string_view position;
  int64_t limit;
  int64_t exemption;
  std::string_view excess;
};

void ExpectFinding(const LimitFinding& f, std::string_view date, const Expected& e) {
  EXPECT_EQ(f.business_date, D(date));
  EXPECT_EQ(f.owner, e.owner);
  EXPECT_EQ(FindingKindName(f.kind), FindingKindName(e.kind));
  EXPECT_EQ(LimitKindName(f.period), LimitKindName(e.period));
  EXPECT_EQ(f.base_product, "CNH");
  EXPECT_EQ(f.base_contract, e.base_contract);
  EXPECT_EQ(f.position.ToString(), e.position);
  EXPECT_EQ(f.limit, e.limit);
  EXPECT_EQ(f.exemption, e.exemption);
  EXPECT_EQ(f.excess.ToString(), e.excess);
}

struct ExpectedContract {
  std::string_view contract, ratio;
  int64_t quantity;
  std::string_view equivalent;
};

void ExpectAggregated(const std::vector<AggregatedContract>& actual,
                      const std::vector<ExpectedContract>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(actual[i].contract, expected[i].contract) << i;
    EXPECT_EQ(actual[i].ratio.ToString(), expected[i].ratio) << i;
    EXPECT_EQ(actual[i].quantity, expected[i].quantity) << i;
    EXPECT_EQ(actual[i].equivalent.ToString(), expected[i].equivalent) << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Aggregation: one owner, all accounts, 10 MNH : 1 CNH.

TEST_F(LimitRulesTest, AggregatesCnhAndMnhOfOneOwnerAcrossAccountsAndFirms) {
  // ACME: 3,000 CNHZ23 (CLR01) + 25,010 MNHZ23 (CLR02) = 3,000 + 2,501 = 5,501 CNH > 5,000.
  // NORTHWIND's 3,000 and the unlisted account's 4,000 are other owners: under 5,000 each, and
  // not part of ACME's position. ACME's MNH exemption (20,000 MNH) is not applied: exemption 0.
  auto findings = Check(kDecemberSpot, {Acme("CNHZ23", 3000),
                                        Acme2("MNHZ23", 25010),
                                        Northwind("CNHZ23", 3000),
                                        {"CLR01", "CLR01-C999", "CNHZ23", 4000}});
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], kDecemberSpot,
                {"ACME-CAPITAL", FindingKind::kSpotMonth, LimitKind::kSpotMonth, "CNHZ23", "5501",
                 5000, 0, "501"});
  ExpectAggregated(findings[0].aggregated,
                   {{"CNHZ23", "1", 3000, "3000"}, {"MNHZ23", "0.1", 25010, "2501"}});
}

TEST_F(LimitRulesTest, CheckingAndReportingTogetherGiveWhatEachGivesAlone) {
  ASSERT_TRUE(seed_.has_value() && directory_.has_value());
  // ACME over the spot-month limit and reportable; NORTHWIND reportable only.
  const std::vector<LimitPosition> book = {Acme("CNHZ23", 3000), Acme2("MNHZ23", 25010),
                                           Northwind("CNHZ23", 30), Northwind("CNHH24", -5)};
  auto findings = CheckLimits(D(kDecemberSpot), book, *seed_, *directory_, LastTradeDates());
  auto reports = ReportablePositions(D(kDecemberSpot), book, *seed_, *directory_);
  auto both = CheckLimitsAndReport(D(kDecemberSpot), book, *seed_, *directory_, LastTradeDates());
  ASSERT_TRUE(findings.has_value() && reports.has_value() && both.has_value());
  auto finding_view = [](const std::vector<LimitFinding>& v) {
    std::vector<std::tuple<std::string, std::string, std::string, int64_t, int64_t>> out;
    for (const LimitFinding& f : v) {
      out.emplace_back(f.owner, f.base_contract, f.position.ToString() + "/" + f.excess.ToString(),
                       f.limit, f.exemption);
    }
    return out;
  };
  auto report_view = [](const std::vector<ReportableRecord>& v) {
    std::vector<std::tuple<std::string, std::string, std::string, int64_t, int64_t>> out;
    for (const ReportableRecord& r : v) {
      out.emplace_back(r.owner, r.account, r.contract, r.long_quantity, r.short_quantity);
    }
    return out;
  };
  ASSERT_EQ(findings->size(), 1u);
  ASSERT_EQ(reports->size(), 4u);
  EXPECT_EQ(finding_view(both->findings), finding_view(*findings));
  EXPECT_EQ(report_view(both->reports), report_view(*reports));

  // And the same errors: a position listed twice is refused.
  auto twice = CheckLimitsAndReport(D(kDecemberSpot), {Acme("CNHZ23", 1), Acme("CNHZ23", 2)},
                                    *seed_, *directory_, LastTradeDates());
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code(), Status::Code::kInvalidArgument);
}

struct NettingCase {
  std::string_view name;
  int64_t cnh;                               // CNHZ23, account CLR01-C100
  int64_t mnh;                               // MNHZ23, account CLR02-C200
  std::optional<std::string_view> position;  // of the one spot-month finding, if any
  std::string_view excess;
};

void PrintTo(const NettingCase& c, std::ostream* os) {
  *os << c.cnh << " CNH, " << c.mnh << " MNH";
}

class LimitRulesNettingTest : public LimitRulesTest,
                              public ::testing::WithParamInterface<NettingCase> {};

// On the first spot-month day, against the 5,000 CNH spot-month limit. The MNH row (50,000 MNH)
// is never a test of its own: every case has at most one finding, on CNHZ23, in CNH.
TEST_P(LimitRulesNettingTest, ChecksMnhOnlyAsPartOfCnhInCnhUnits) {
  const NettingCase& c = GetParam();
  std::vector<LimitPosition> positions;
  if (c.cnh != 0) positions.push_back(Acme("CNHZ23", c.cnh));
  if (c.mnh != 0) positions.push_back(Acme2("MNHZ23", c.mnh));
  auto findings = Check(kDecemberSpot, positions);
  if (!c.position) {
    EXPECT_TRUE(findings.empty()) << findings.size() << " findings, first on "
                                  << findings[0].base_contract << " at "
                                  << findings[0].position.ToString();
    return;
  }
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], kDecemberSpot,
                {"ACME-CAPITAL", FindingKind::kSpotMonth, LimitKind::kSpotMonth, "CNHZ23",
                 *c.position, 5000, 0, c.excess});
}

INSTANTIATE_TEST_SUITE_P(
    LimitRulesTest, LimitRulesNettingTest,
    ::testing::Values(
        // 50,001 × 0.1 = 5,000.1: over CNH by 0.1, though a separate MNH test (50,001 > 50,000)
        // would add a second finding.
        NettingCase{"MicroAloneJustOver", 0, 50001, "5000.1", "0.1"},
        // 1,001 + 40,000 × 0.1 = 5,001: each is under its own row, together over by 1.
        NettingCase{"EachUnderItsOwnRowOverTogether", 1001, 40000, "5001", "1"},
        // 1,000 + 4,000 = 5,000: at the limit is not over it.
        NettingCase{"TogetherExactlyAtTheLimit", 1000, 40000, std::nullopt, ""},
        // 4,999 + 15 × 0.1 = 5,000.5: fractional CNH kept exactly.
        NettingCase{"FifteenMicrosAreOneAndAHalfContracts", 4999, 15, "5000.5", "0.5"},
        // −8,000 + 20,000 × 0.1 = −6,000: short over by 1,000.
        NettingCase{"LongMicrosNetAgainstShortStandards", -8000, 20000, "-6000", "1000"},
        // −5,001: short side, over by 1.
        NettingCase{"ShortJustOver", -5001, 0, "-5001", "1"},
        // 5,003 − 30 × 0.1 = 5,000: the micro short brings the owner back to the limit.
        NettingCase{"MicroShortNetsStandardLong", 5003, -30, std::nullopt, ""}),
    testing::CaseName());

TEST_F(LimitRulesTest, NetsLongAndShortAcrossAccountsOfOneOwner) {
  // 6,000 long in CLR01-C100 and 2,000 short in CLR02-C200: net 4,000 < 5,000.
  EXPECT_TRUE(Check(kDecemberSpot, {Acme("CNHZ23", 6000), Acme2("CNHZ23", -2000)}).empty());
}

// ---------------------------------------------------------------------------------------------
// Spot month: from one week before the termination of trading day (2023-12-18 for CNHZ23).

struct SpotCase {
  std::string_view name;
  std::string_view date;
  bool in_spot_month;
};

void PrintTo(const SpotCase& c, std::ostream* os) { *os << c.date; }

class LimitRulesSpotMonthTest : public LimitRulesTest,
                                public ::testing::WithParamInterface<SpotCase> {};

// ACME holds 6,000 CNHZ23 (over 5,000 by 1,000 in its spot month) and 5,500 short CNHH24 (over
// 5,000 too, but its spot month starts only 2024-03-11). All months: 6,000 − 5,500 = 500.
TEST_P(LimitRulesSpotMonthTest, AppliesOnlyFromTheSpotMonthStartThroughTermination) {
  const SpotCase& c = GetParam();
  auto findings = Check(c.date, {Acme("CNHZ23", 6000), Acme2("CNHH24", -5500)});
  if (!c.in_spot_month) {
    EXPECT_TRUE(findings.empty()) << findings.size() << " findings";
    return;
  }
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], c.date,
                {"ACME-CAPITAL", FindingKind::kSpotMonth, LimitKind::kSpotMonth, "CNHZ23", "6000",
                 5000, 0, "1000"});
}

INSTANTIATE_TEST_SUITE_P(
    LimitRulesTest, LimitRulesSpotMonthTest,
    ::testing::Values(SpotCase{"FridayBeforeTheSpotMonth", "2023-12-08", false},
                      SpotCase{"EightDaysBeforeTermination", "2023-12-10", false},
                      SpotCase{"SevenDaysBeforeTermination", "2023-12-11", true},
                      SpotCase{"MidSpotMonth", "2023-12-14", true},
                      SpotCase{"TerminationDay", "2023-12-18", true},
                      SpotCase{"DayAfterTermination", "2023-12-19", false}),
    testing::CaseName());

// ---------------------------------------------------------------------------------------------
// Exemptions raise the limit by their quantity.

TEST_F(LimitRulesTest, SpotMonthExemptionRaisesTheLimitByItsQuantity) {
  // NORTHWIND: 5,000 + 7,500 = 12,500. Were the exemption to replace the limit (7,500), 12,500
  // would be over it.
  EXPECT_TRUE(Check(kDecemberSpot, {Northwind("CNHZ23", 12500)}).empty());

  auto findings = Check(kDecemberSpot, {Northwind("CNHZ23", 12501)});
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], kDecemberSpot,
                {"NORTHWIND-FUND", FindingKind::kSpotMonth, LimitKind::kSpotMonth, "CNHZ23",
                 "12501", 5000, 7500, "1"});
}

TEST_F(LimitRulesTest, AllMonthsExemptionRaisesTheAllMonthsLimit) {
  // NORTHWIND, no spot month: 50,010 MNHZ23 × 0.1 + 20,000 CNHH24 = 25,001 > 10,000 + 15,000.
  auto findings = Check(kNovember, {Northwind("CNHH24", 20000), Northwind("MNHZ23", 50010)});
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], kNovember,
                {"NORTHWIND-FUND", FindingKind::kAllMonths, LimitKind::kAllMonths, "CNH", "25001",
                 10000, 15000, "1"});
  ExpectAggregated(findings[0].aggregated,
                   {{"MNHZ23", "0.1", 50010, "5001"}, {"CNHH24", "1", 20000, "20000"}});
}

TEST_F(LimitRulesTest, ExemptionOutOfForceIsNotApplied) {
  // BLUEHERON's 6,000 spot-month exemption ended 2023-09-30.
  auto findings = Check(kDecemberSpot, {Blueheron("CNHZ23", 5001)});
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], kDecemberSpot,
                {"BLUEHERON-LLC", FindingKind::kSpotMonth, LimitKind::kSpotMonth, "CNHZ23", "5001",
                 5000, 0, "1"});
}

TEST_F(LimitRulesTest, ExemptionOfOneKindDoesNotRaiseAnother) {
  // 2023-08-15: BLUEHERON's spot-month exemption is in force, but 10,001 CNHZ23 is over the
  // all-months limit, which it has no exemption for.
  auto findings = Check("2023-08-15", {Blueheron("CNHZ23", 10001)});
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], "2023-08-15",
                {"BLUEHERON-LLC", FindingKind::kAllMonths, LimitKind::kAllMonths, "CNH", "10001",
                 10000, 0, "1"});
}

// ---------------------------------------------------------------------------------------------
// All months: every month of the base and its micro, long and short netted.

TEST_F(LimitRulesTest, AllMonthsAggregatesEveryMonthOfTheBase) {
  // 6,000 CNHZ23 + 3,000 CNHH24 + 15,010 MNHH24 × 0.1 = 10,501 > 10,000.
  std::vector<LimitPosition> positions = {Acme("CNHZ23", 6000), Acme("CNHH24", 3000),
                                          Acme2("MNHH24", 15010)};
  auto findings = Check(kNovember, positions);
  ASSERT_EQ(findings.size(), 1u);
  ExpectFinding(findings[0], kNovember,
                {"ACME-CAPITAL", FindingKind::kAllMonths, LimitKind::kAllMonths, "CNH", "10501",
                 10000, 0, "501"});
  ExpectAggregated(findings[0].aggregated, {{"CNHZ23", "1", 6000, "6000"},
                                            {"CNHH24", "1", 3000, "3000"},
                                            {"MNHH24", "0.1", 15010, "1501"}});

  // A 1,000 short in another month nets: 9,501.
  positions.push_back({"CLR02", "CLR02-C200", "CNHM24", -1000});
  EXPECT_TRUE(Check(kNovember, positions).empty());
}

// ---------------------------------------------------------------------------------------------
// Accountability levels: reported for review, not violations (test-only levels 2,000/6,000).

TEST_F(LimitRulesTest, ReportsAccountabilityLevelsExceededWithoutAViolation) {
  // Z23: 2,500 > 2,000. H24: 1,000 + 30,000 × 0.1 = 4,000 > 2,000. All: 6,500 > 6,000, but under
  // the 10,000 limit; no spot month in November.
  auto findings =
      Check(kNovember, {Acme("CNHZ23", 2500), Acme("CNHH24", 1000), Acme2("MNHH24", 30000)},
            accountability_);
  ASSERT_EQ(findings.size(), 3u);
  ExpectFinding(findings[0], kNovember,
                {"ACME-CAPITAL", FindingKind::kAccountability, LimitKind::kSingleMonth, "CNHZ23",
                 "2500", 2000, 0, "500"});
  ExpectFinding(findings[1], kNovember,
                {"ACME-CAPITAL", FindingKind::kAccountability, LimitKind::kSingleMonth, "CNHH24",
                 "4000", 2000, 0, "2000"});
  ExpectAggregated(findings[1].aggregated,
                   {{"CNHH24", "1", 1000, "1000"}, {"MNHH24", "0.1", 30000, "3000"}});
  ExpectFinding(findings[2], kNovember,
                {"ACME-CAPITAL", FindingKind::kAccountability, LimitKind::kAllMonths, "CNH", "6500",
                 6000, 0, "500"});
}

TEST_F(LimitRulesTest, ListsLimitFindingsBeforeAccountability) {
  // 6,500 CNHZ23 in its spot month: spot limit over by 1,500; single-month accountability over
  // by 4,500; all-months accountability over by 500.
  auto findings = Check(kDecemberSpot, {Acme("CNHZ23", 6500)}, accountability_);
  ASSERT_EQ(findings.size(), 3u);
  ExpectFinding(findings[0], kDecemberSpot,
                {"ACME-CAPITAL", FindingKind::kSpotMonth, LimitKind::kSpotMonth, "CNHZ23", "6500",
                 5000, 0, "1500"});
  ExpectFinding(findings[1], kDecemberSpot,
                {"ACME-CAPITAL", FindingKind::kAccountability, LimitKind::kSingleMonth, "CNHZ23",
                 "6500", 2000, 0, "4500"});
  ExpectFinding(findings[2], kDecemberSpot,
                {"ACME-CAPITAL", FindingKind::kAccountability, LimitKind::kAllMonths, "CNH", "6500",
                 6000, 0, "500"});
}

TEST_F(LimitRulesTest, ExemptionsDoNotRaiseAccountabilityLevels) {
  // NORTHWIND's all-months exemption (15,000) leaves the all-months level at 6,000.
  auto findings = Check(kNovember, {Northwind("CNHH24", 6001)}, accountability_);
  ASSERT_EQ(findings.size(), 2u);
  ExpectFinding(findings[0], kNovember,
                {"NORTHWIND-FUND", FindingKind::kAccountability, LimitKind::kSingleMonth, "CNHH24",
                 "6001", 2000, 0, "4001"});
  ExpectFinding(findings[1], kNovember,
                {"NORTHWIND-FUND", FindingKind::kAccountability, LimitKind::kAllMonths, "CNH",
                 "6001", 6000, 0, "1"});
}

// ---------------------------------------------------------------------------------------------
// Inputs the rule cannot use.

TEST_F(LimitRulesTest, ProductWithoutALimitRowIsNotChecked) {
  // No row for ES, so no last trading day is needed either.
  EXPECT_TRUE(Check(kDecemberSpot, {Acme("ESZ23", 999999)}).empty());
}

TEST_F(LimitRulesTest, MissingLastTradingDayIsAnError) {
  auto findings =
      CheckLimits(D(kDecemberSpot), {Acme("CNHU24", 1)}, *seed_, *directory_, LastTradeDates());
  ASSERT_FALSE(findings.has_value());
  EXPECT_EQ(findings.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "CNHU24", findings.error().message());
}

TEST_F(LimitRulesTest, MalformedContractSymbolIsADataError) {
  // 'A' is not a month code.
  auto findings =
      CheckLimits(D(kDecemberSpot), {Acme("CNHA23", 1)}, *seed_, *directory_, LastTradeDates());
  ASSERT_FALSE(findings.has_value());
  EXPECT_EQ(findings.error().code(), Status::Code::kDataError);
}

TEST_F(LimitRulesTest, PositionListedTwiceIsAnError) {
  auto findings = CheckLimits(D(kDecemberSpot), {Acme("CNHZ23", 1), Acme("CNHZ23", 2)}, *seed_,
                              *directory_, LastTradeDates());
  ASSERT_FALSE(findings.has_value());
  EXPECT_EQ(findings.error().code(), Status::Code::kInvalidArgument);
}

TEST_F(LimitRulesTest, ContractsOfOneBaseMonthMustTerminateTogether) {
  std::map<std::string, Date> dates = LastTradeDates();
  dates["MNHZ23"] = D("2023-12-15");
  auto findings = CheckLimits(D(kDecemberSpot), {Acme("CNHZ23", 1), Acme("MNHZ23", 1)}, *seed_,
                              *directory_, dates);
  ASSERT_FALSE(findings.has_value());
  EXPECT_EQ(findings.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "MNHZ23", findings.error().message());
}

TEST_F(LimitRulesTest, MicroLevelTheBaseLacksIsAnError) {
  // The loader accepts this table (it compares levels only where both rows have one), but MNH's
  // single-month limit would never be applied: MNH is checked only as part of CNH.
  auto table = LoadTable("micro_only_level.csv",
                         "CNH,5000,termination-7d,,10000,,,,,25,test\n"
                         "MNH,50000,termination-7d,1000,100000,,,CNH,0.1,250,test\n");
  ASSERT_TRUE(table.has_value());
  auto findings =
      CheckLimits(D(kNovember), {Acme("MNHZ23", 1)}, *table, *directory_, LastTradeDates());
  ASSERT_FALSE(findings.has_value());
  EXPECT_EQ(findings.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "MNH has single_month_limit 1000",
                      findings.error().message());
}

// ---------------------------------------------------------------------------------------------
// Reportable positions: CNH 25, MNH 250, per single contract month, product's own contracts.

struct ExpectedRecord {
  std::string_view owner, account, firm, contract;
  int64_t long_quantity, short_quantity;
};

void ExpectRecords(const std::vector<ReportableRecord>& actual,
                   const std::vector<ExpectedRecord>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(actual[i].business_date, D(kDecemberSpot)) << i;
    EXPECT_EQ(actual[i].owner, expected[i].owner) << i;
    EXPECT_EQ(actual[i].account, expected[i].account) << i;
    EXPECT_EQ(actual[i].firm, expected[i].firm) << i;
    EXPECT_EQ(actual[i].contract, expected[i].contract) << i;
    EXPECT_EQ(actual[i].long_quantity, expected[i].long_quantity) << i;
    EXPECT_EQ(actual[i].short_quantity, expected[i].short_quantity) << i;
  }
}

TEST_F(LimitRulesTest, ReachingTheLevelReportsEveryMonthAndAccountOfTheProduct) {
  // ACME: 20 + 5 = 25 CNHZ23 long reaches 25: all ACME CNH positions are reported, the CNHH24
  // short included. Its 100 MNHZ23 are under MNH's own 250. NORTHWIND's 24 and the unlisted
  // account's 30 CNHH24 are other owners.
  auto records = Reportable({Acme("CNHZ23", 20),
                             Acme2("CNHZ23", 5),
                             Acme("CNHH24", -3),
                             Acme2("MNHZ23", 100),
                             Northwind("CNHZ23", 24),
                             {"CLR01", "CLR01-C999", "CNHH24", 24}});
  ExpectRecords(records, {{"ACME-CAPITAL", "CLR01-C100", "CLR01", "CNHZ23", 20, 0},
                          {"ACME-CAPITAL", "CLR02-C200", "CLR02", "CNHZ23", 5, 0},
                          {"ACME-CAPITAL", "CLR01-C100", "CLR01", "CNHH24", 0, 3}});
}

TEST_F(LimitRulesTest, MicrosDoNotCountTowardTheStandardReportingLevel) {
  // 24 CNHZ23 + 10 MNHZ23: 25 CNH equivalents, but levels are per product in its own contracts.
  EXPECT_TRUE(Reportable({Acme("CNHZ23", 24), Acme("MNHZ23", 10)}).empty());
}

TEST_F(LimitRulesTest, MonthsAreNotSummedForTheReportingLevel) {
  EXPECT_TRUE(Reportable({Acme("CNHZ23", 13), Acme("CNHH24", 12)}).empty());
}

TEST_F(LimitRulesTest, MicroReachingItsOwnLevelReportsOnlyMicroPositions) {
  auto records = Reportable({Acme2("MNHH24", 250), Acme("MNHZ23", -40), Acme("CNHZ23", 3)});
  ExpectRecords(records, {{"ACME-CAPITAL", "CLR01-C100", "CLR01", "MNHZ23", 0, 40},
                          {"ACME-CAPITAL", "CLR02-C200", "CLR02", "MNHH24", 250, 0}});
}

TEST_F(LimitRulesTest, ShortPositionReachingTheLevelIsReportable) {
  ExpectRecords(Reportable({Acme("CNHH24", -25)}),
                {{"ACME-CAPITAL", "CLR01-C100", "CLR01", "CNHH24", 0, 25}});
}

TEST_F(LimitRulesTest, LongAndShortOfAnOwnerAreNotNettedForReporting) {
  // 25 long in one account and 25 short in another: each side reaches 25.
  ExpectRecords(Reportable({Acme("CNHZ23", 25), Acme2("CNHZ23", -25)}),
                {{"ACME-CAPITAL", "CLR01-C100", "CLR01", "CNHZ23", 25, 0},
                 {"ACME-CAPITAL", "CLR02-C200", "CLR02", "CNHZ23", 0, 25}});
}

}  // namespace
}  // namespace eodclear

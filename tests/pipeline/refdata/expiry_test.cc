#include "pipeline/refdata/expiry.h"

#include <gtest/gtest.h>

#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

// Expected values are worked from the seed rule texts and the fixture calendars
// (tests/testdata/calendar/engine): SER 9163 XXX02.G/XXX03.A, Chapter 379 37903.A, Submission
// 13-543 (USD/CNH), Chapter 447 44702.F.

constexpr auto& D = testing::Day;

Product MakeProduct(std::string code, ExpiryRule rule, std::vector<std::string> calendars,
                    std::string reference = "") {
  Product p;
  p.code = std::move(code);
  p.expiry_rule = rule;
  p.calendars = std::move(calendars);
  p.listed_months = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  p.final_reference = std::move(reference);
  return p;
}

class ExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = std::string(EODCLEAR_TESTDATA_DIR) + "/calendar/engine";
    auto set = CalendarSet::Load(dir + "/calendars.csv", dir + "/holidays.csv");
    ASSERT_TRUE(set.has_value()) << set.error().ToString();
    calendars_ = std::move(*set);
  }
  ContractExpiry Expiry(const Product& p, int year, int month) {
    auto e = ComputeExpiry(p, year, month, calendars_);
    EXPECT_TRUE(e.has_value()) << e.error().ToString();
    return e.value_or(ContractExpiry{});
  }
  CalendarSet calendars_;
  Product es_ = MakeProduct("ES", ExpiryRule::kEquityIndex, {"NYSE"}, "SPX");
};

TEST_F(ExpiryTest, EquityIndexTerminatesAtTheNyseOpenOnTheThirdFriday) {
  // March 2024 begins on a Friday: third Friday the 15th; New York is on EDT from 10 March.
  ContractExpiry e = Expiry(es_, 2024, 3);
  EXPECT_EQ(e.last_trade_date, D("2024-03-15"));
  EXPECT_EQ(e.trading_terminates.ToString(), "2024-03-15T09:30:00-04:00");
  EXPECT_EQ(e.final_settlement_date, D("2024-03-15"));
  EXPECT_FALSE(e.unscheduled_holiday);
  EXPECT_EQ(e.final_settlement_basis, "special opening quotation of SPX on 2024-03-15");
  // December 2024: third Friday the 20th, New York on EST.
  EXPECT_EQ(Expiry(es_, 2024, 12).trading_terminates.ToString(), "2024-12-20T09:30:00-05:00");
}

TEST_F(ExpiryTest, ThirdFridayThatIsAScheduledHolidayMovesToThePrecedingBusinessDay) {
  // April 2025: the third Friday, the 18th, is Good Friday; the index is not published, so final
  // settlement is the first preceding business day, Thursday the 17th (XXX03.A second paragraph).
  ContractExpiry e = Expiry(es_, 2025, 4);
  EXPECT_EQ(e.last_trade_date, D("2025-04-17"));
  EXPECT_EQ(e.trading_terminates.ToString(), "2025-04-17T09:30:00-04:00");
  EXPECT_EQ(e.final_settlement_date, D("2025-04-17"));
  EXPECT_FALSE(e.unscheduled_holiday);
}

TEST_F(ExpiryTest, UnscheduledHolidayOnTheFinalSettlementDayUsesThePrecedingClose) {
  // The fixture declares an unscheduled closure on Friday 2026-03-20, the third Friday: trading
  // terminates at the NYSE close of Thursday the 19th, whose official close is the final
  // settlement price (XXX02.G and XXX03.A last paragraphs).
  ContractExpiry e = Expiry(es_, 2026, 3);
  EXPECT_EQ(e.last_trade_date, D("2026-03-19"));
  EXPECT_EQ(e.trading_terminates.ToString(), "2026-03-19T16:00:00-04:00");
  EXPECT_EQ(e.final_settlement_date, D("2026-03-19"));
  EXPECT_TRUE(e.unscheduled_holiday);
  EXPECT_EQ(e.final_settlement_basis,
            "official closing value of SPX on 2026-03-19 (unscheduled holiday 2026-03-20: "
            "Synthetic unscheduled closure on a third Friday)");
}

TEST_F(ExpiryTest, VolqSettlesThirtyDaysBeforeTheNextMonthsThirdFriday) {
  Product vlq = MakeProduct("VLQ", ExpiryRule::kVolq, {"NYSE"});
  // May 2024 contract: June 2024's third Friday is the 21st; 30 days earlier is Wednesday 22 May.
  ContractExpiry e = Expiry(vlq, 2024, 5);
  EXPECT_EQ(e.final_settlement_date, D("2024-05-22"));
  EXPECT_EQ(e.last_trade_date, D("2024-05-22"));
  EXPECT_EQ(e.trading_terminates.ToString(), "2024-05-22T09:30:00-04:00");
  // March 2025 contract: April's third Friday (the 18th) is Good Friday, so options trade last on
  // Thursday the 17th; 30 days earlier is Tuesday 18 March.
  EXPECT_EQ(Expiry(vlq, 2025, 3).final_settlement_date, D("2025-03-18"));
}

TEST_F(ExpiryTest, UsdCnhTerminatesOnTheSecondHongKongBusinessDayBeforeTheThirdWednesday) {
  Product cnh = MakeProduct("CNH", ExpiryRule::kUsdCnh, {"HK", "US"});
  // January 2024: third Wednesday the 17th (a fixture Hong Kong holiday). The two Hong Kong
  // business days before it are Tuesday 16th and Monday 15th; trading ends 11:00 Hong Kong on the
  // 15th, which is 21:00 on the 14th in Chicago. Delivery moves from the 17th (closed in Hong
  // Kong) to Thursday the 18th.
  ContractExpiry jan = Expiry(cnh, 2024, 1);
  EXPECT_EQ(jan.last_trade_date, D("2024-01-15"));
  EXPECT_EQ(jan.trading_terminates.ToString(), "2024-01-15T11:00:00+08:00");
  EXPECT_EQ(jan.trading_terminates.unix_nanos,
            ZonedTime::Parse("2024-01-14T21:00:00-06:00")->unix_nanos);
  EXPECT_EQ(jan.final_settlement_date, D("2024-01-18"));
  // February 2024: third Wednesday the 21st; Tuesday the 20th is a fixture Hong Kong holiday, so
  // the two business days before are Monday 19th and Friday 16th.
  ContractExpiry feb = Expiry(cnh, 2024, 2);
  EXPECT_EQ(feb.last_trade_date, D("2024-02-16"));
  EXPECT_EQ(feb.final_settlement_date, D("2024-02-21"));
}

TEST_F(ExpiryTest, MicroEtherEuroUsesTheLastFridayThatIsABusinessDayInTheUkOrTheUs) {
  Product mee = MakeProduct("MEE", ExpiryRule::kMicroEtherEuro, {"UK", "US"}, "ETHEUR_RR");
  // March 2024: the last Friday, the 29th, is Good Friday in both countries: the preceding day
  // that is a business day in either is Thursday the 28th; London is still on GMT.
  ContractExpiry mar = Expiry(mee, 2024, 3);
  EXPECT_EQ(mar.last_trade_date, D("2024-03-28"));
  EXPECT_EQ(mar.trading_terminates.ToString(), "2024-03-28T16:00:00Z");
  EXPECT_EQ(mar.final_settlement_date, D("2024-03-28"));
  // December 2025: the last Friday, the 26th, is Boxing Day in England only: a US business day,
  // so it stands.
  EXPECT_EQ(Expiry(mee, 2025, 12).last_trade_date, D("2025-12-26"));
  // June 2024: London on BST.
  EXPECT_EQ(Expiry(mee, 2024, 6).trading_terminates.ToString(), "2024-06-28T16:00:00+01:00");
}

TEST_F(ExpiryTest, ErrorsSayWhatIsMissing) {
  Product quarterly = es_;
  quarterly.listed_months = {3, 6, 9, 12};
  auto unlisted = ComputeExpiry(quarterly, 2024, 4, calendars_);
  ASSERT_FALSE(unlisted.has_value());
  EXPECT_EQ(unlisted.error().code(), Status::Code::kInvalidArgument);
  // Outside the NYSE fixture's coverage (2021-2026).
  auto uncovered = ComputeExpiry(es_, 2027, 3, calendars_);
  ASSERT_FALSE(uncovered.has_value());
  EXPECT_EQ(uncovered.error().code(), Status::Code::kFailedPrecondition);
  Product lonely = MakeProduct("XX", ExpiryRule::kEquityIndex, {"NYSE"});
  CalendarSet empty;
  auto missing = ComputeExpiry(lonely, 2024, 3, empty);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace eodclear

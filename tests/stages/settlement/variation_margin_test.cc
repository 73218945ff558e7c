#include "stages/settlement/variation_margin.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/test_values.h"

namespace eodclear {
namespace {

constexpr auto& D = testing::Dec;

constexpr std::string_view kHouseFirm = "CCP";
constexpr std::string_view kHouseAccount = "ROUNDING";

VmInputs Inputs(std::string_view contract, std::string_view currency, std::string_view multiplier,
                std::optional<std::string_view> prior, std::string_view settlement,
                std::string_view minor_unit = "0.01") {
  VmInputs in;
  in.contract = contract;
  in.currency = currency;
  in.multiplier = D(multiplier);
  in.settlement = D(settlement);
  if (prior) in.prior_settlement = D(*prior);
  in.minor_unit = D(minor_unit);
  return in;
}

VmPosition Pos(std::string_view firm, std::string_view account, std::string_view contract,
               int64_t start_of_day, int64_t bought = 0, std::string_view buy_value = "0",
               int64_t sold = 0, std::string_view sell_value = "0") {
  VmPosition p;
  p.firm = firm;
  p.account = account;
  p.contract = contract;
  p.start_of_day = start_of_day;
  p.bought = bought;
  p.sold = sold;
  p.buy_value = D(buy_value);
  p.sell_value = D(sell_value);
  return p;
}

ContractVm MustCompute(const VmInputs& in, const std::vector<VmPosition>& positions) {
  auto vm = ComputeContractVm(in, positions, kHouseFirm, kHouseAccount);
  EXPECT_TRUE(vm.has_value()) << vm.error().ToString();
  return vm.value_or(ContractVm());
}

void ExpectAmount(const VmAmount& a, std::string_view firm, std::string_view account,
                  std::string_view exact, std::string_view amount) {
  EXPECT_EQ(a.firm, firm);
  EXPECT_EQ(a.account, account);
  EXPECT_EQ(a.exact.ToString(), D(exact).ToString()) << firm << "/" << account;
  EXPECT_EQ(a.amount.ToString(), D(amount).ToString()) << firm << "/" << account;
}

// --- RoundToMinorUnit ------------------------------------------------------------------------

struct RoundCase {
  std::string_view exact;
  std::string_view minor_unit;
  std::string_view rounded;
};

void PrintTo(const RoundCase& c, std::ostream* os) {
  *os << c.exact << " to " << c.minor_unit << " -> " << c.rounded;
}

class RoundToMinorUnitTest : public ::testing::TestWithParam<RoundCase> {};

TEST_P(RoundToMinorUnitTest, RoundsHalfAwayFromZero) {
  const RoundCase& c = GetParam();
  EXPECT_EQ(RoundToMinorUnit(D(c.exact), D(c.minor_unit)).ToString(), D(c.rounded).ToString())
      << c.exact << " to " << c.minor_unit;
}

INSTANTIATE_TEST_SUITE_P(
    VariationMarginTest, RoundToMinorUnitTest,
    ::testing::Values(RoundCase{"0", "0.01", "0"}, RoundCase{"5362.5", "0.01", "5362.5"},
                      RoundCase{"0.015", "0.01", "0.02"},    // tie: away from zero
                      RoundCase{"-0.015", "0.01", "-0.02"},  // tie: away from zero
                      RoundCase{"0.005", "0.01", "0.01"}, RoundCase{"-0.005", "0.01", "-0.01"},
                      RoundCase{"0.0149", "0.01", "0.01"}, RoundCase{"-0.0149", "0.01", "-0.01"},
                      RoundCase{"0.00499999", "0.01", "0"}, RoundCase{"-0.00499999", "0.01", "0"},
                      RoundCase{"-0.00999999", "0.01", "-0.01"},
                      RoundCase{"12.345", "0.01", "12.35"}, RoundCase{"-12.344", "0.01", "-12.34"},
                      // A currency with whole minor units (JPY).
                      RoundCase{"100.5", "1", "101"}, RoundCase{"-100.5", "1", "-101"},
                      RoundCase{"100.49999999", "1", "100"}));

// --- ES: multiplier 50, every amount whole cents -------------------------------------------

// ESM3, prior settlement 4400.00, settlement 4410.25 (change +10.25). Today's trades:
//   T1 A1 buys 3 @ 4405.50 from B1      T4 D1 buys 2 @ 4409.00 from B1
//   T2 A1 buys 2 @ 4412.00 from C1      T5 D1 sells 2 @ 4411.50 to C1
//   T3 A1 sells 4 @ 4408.75 to C1
// Start of day: A1 long 10, B1 short 10.
std::vector<VmPosition> EsPositions() {
  return {
      // bought 5: 3×4405.50 + 2×4412.00 = 13216.50 + 8824.00 = 22040.50; sold 4×4408.75 = 17635
      Pos("F1", "A1", "ESM3", 10, 5, "22040.50", 4, "17635.00"),
      // sold 5: 3×4405.50 + 2×4409.00 = 13216.50 + 8818.00 = 22034.50
      Pos("F2", "B1", "ESM3", -10, 0, "0", 5, "22034.50"),
      // bought 6: 4×4408.75 + 2×4411.50 = 17635.00 + 8823.00 = 26458; sold 2×4412.00 = 8824
      Pos("F2", "C1", "ESM3", 0, 6, "26458.00", 2, "8824.00"),
      // bought 2×4409.00 = 8818, sold 2×4411.50 = 8823: opened and closed within the day
      Pos("F3", "D1", "ESM3", 0, 2, "8818.00", 2, "8823.00"),
  };
}

TEST(VariationMarginTest, EsLongAccountMarksStartOfDayAndEachTrade) {
  ContractVm vm = MustCompute(Inputs("ESM3", "USD", "50", "4400.00", "4410.25"), EsPositions());
  ASSERT_EQ(vm.amounts.size(), 4u);  // no rounding row: every amount is whole cents
  // A1: SOD 10 × (4410.25 − 4400.00) = 102.50
  //     trades 4410.25 × (5 − 4) − (22040.50 − 17635.00) = 4410.25 − 4405.50 = 4.75
  //       (per trade: 3×4.75 + 2×(−1.75) − 4×1.50 = 14.25 − 3.50 − 6.00 = 4.75)
  //     50 × (102.50 + 4.75) = 50 × 107.25 = 5362.50
  ExpectAmount(vm.amounts[0], "F1", "A1", "5362.50", "5362.50");
  EXPECT_EQ(vm.amounts[0].contract, "ESM3");
  EXPECT_EQ(vm.amounts[0].currency, "USD");
}

TEST(VariationMarginTest, EsShortAccountPaysOnRisingSettlement) {
  ContractVm vm = MustCompute(Inputs("ESM3", "USD", "50", "4400.00", "4410.25"), EsPositions());
  ASSERT_EQ(vm.amounts.size(), 4u);
  // B1: SOD −10 × 10.25 = −102.50
  //     trades 4410.25 × (0 − 5) − (0 − 22034.50) = −22051.25 + 22034.50 = −16.75
  //       (per trade: −3×4.75 − 2×1.25 = −14.25 − 2.50)
  //     50 × (−102.50 − 16.75) = 50 × −119.25 = −5962.50
  ExpectAmount(vm.amounts[1], "F2", "B1", "-5962.50", "-5962.50");
  // C1: 4410.25 × (6 − 2) − (26458.00 − 8824.00) = 17641.00 − 17634.00 = 7.00 → 50 × 7 = 350
  //       (per trade: +2×1.75 + 4×1.50 − 2×1.25 = 3.50 + 6.00 − 2.50)
  ExpectAmount(vm.amounts[2], "F2", "C1", "350", "350");
}

TEST(VariationMarginTest, EsAccountFlatAtStartAndEndGetsItsRealisedGain) {
  ContractVm vm = MustCompute(Inputs("ESM3", "USD", "50", "4400.00", "4410.25"), EsPositions());
  ASSERT_EQ(vm.amounts.size(), 4u);
  // D1: 4410.25 × 0 − (8818.00 − 8823.00) = 5.00 → 50 × 5 = 250 = (4411.50 − 4409.00) × 2 × 50
  ExpectAmount(vm.amounts[3], "F3", "D1", "250", "250");
}

TEST(VariationMarginTest, EsAmountsSumToZeroAndOpenInterestBalances) {
  ContractVm vm = MustCompute(Inputs("ESM3", "USD", "50", "4400.00", "4410.25"), EsPositions());
  // 5362.50 − 5962.50 + 350 + 250 = 0
  Decimal sum;
  for (const VmAmount& a : vm.amounts) sum += a.amount;
  EXPECT_TRUE(sum.is_zero()) << sum.ToString();
  EXPECT_TRUE(vm.rounding_residual.is_zero());
  // End positions: A1 10 + 5 − 4 = 11, B1 −10 − 5 = −15, C1 6 − 2 = 4, D1 0.
  EXPECT_EQ(vm.open_long, 15);  // 11 + 4
  EXPECT_EQ(vm.open_short, 15);
  EXPECT_TRUE(CheckVmInvariants(vm, "ESM3", "USD").ok());
}

// --- A product whose amounts are not whole cents ---------------------------------------------

// Multiplier 0.1, prices and settlements on a 0.01 tick: 0.001 USD per contract per tick.
// First day of MCLN3 (no prior), settlement 100.03. Trades:
//   A1 buys 5 @ 100.00 from B1; C1 buys 3 @ 100.01 from B1.
std::vector<VmPosition> MicroDayOnePositions() {
  return {
      Pos("F1", "A1", "MCLN3", 0, 5, "500.00"),
      Pos("F2", "B1", "MCLN3", 0, 0, "0", 8, "800.03"),  // 500.00 + 300.03
      Pos("F3", "C1", "MCLN3", 0, 3, "300.03"),
  };
}

TEST(VariationMarginTest, SubCentAmountsRoundPerAccountAndResidualGoesToRoundingAccount) {
  ContractVm vm =
      MustCompute(Inputs("MCLN3", "USD", "0.1", std::nullopt, "100.03"), MicroDayOnePositions());
  ASSERT_EQ(vm.amounts.size(), 4u);
  // A1: 0.1 × (100.03 × 5 − 500.00) = 0.1 × 0.15 = 0.015 → 0.02 (tie, away from zero)
  ExpectAmount(vm.amounts[0], "F1", "A1", "0.015", "0.02");
  // B1: 0.1 × (100.03 × −8 + 800.03) = 0.1 × (−800.24 + 800.03) = 0.1 × −0.21 = −0.021 → −0.02
  ExpectAmount(vm.amounts[1], "F2", "B1", "-0.021", "-0.02");
  // C1: 0.1 × (100.03 × 3 − 300.03) = 0.1 × 0.06 = 0.006 → 0.01
  ExpectAmount(vm.amounts[2], "F3", "C1", "0.006", "0.01");
  // Exact: 0.015 − 0.021 + 0.006 = 0. Rounded: 0.02 − 0.02 + 0.01 = 0.01 → house books −0.01.
  ExpectAmount(vm.amounts[3], kHouseFirm, kHouseAccount, "0", "-0.01");
  EXPECT_EQ(vm.amounts[3].contract, "MCLN3");
  EXPECT_EQ(vm.amounts[3].currency, "USD");
  EXPECT_EQ(vm.rounding_residual.ToString(), "-0.01");
  EXPECT_EQ(vm.open_long, 8);
  EXPECT_EQ(vm.open_short, 8);
  EXPECT_TRUE(CheckVmInvariants(vm, "MCLN3", "USD").ok());
}

TEST(VariationMarginTest, SubCentAmountsWhoseRoundingsCancelBookNoRoundingRow) {
  // Day two of the book above: prior 100.03, settlement 99.98 (change −0.05). SOD A1 5, B1 −8,
  // C1 3. Trade: A1 buys 3 @ 99.99 from C1.
  ContractVm vm =
      MustCompute(Inputs("MCLN3", "USD", "0.1", "100.03", "99.98"),
                  {Pos("F1", "A1", "MCLN3", 5, 3, "299.97"), Pos("F2", "B1", "MCLN3", -8),
                   Pos("F3", "C1", "MCLN3", 3, 0, "0", 3, "299.97")});
  ASSERT_EQ(vm.amounts.size(), 3u);
  // A1: −0.05 × 5 + (99.98 × 3 − 299.97) = −0.25 − 0.03 = −0.28 → 0.1 × = −0.028 → −0.03
  ExpectAmount(vm.amounts[0], "F1", "A1", "-0.028", "-0.03");
  // B1: −0.05 × −8 = 0.40 → 0.04
  ExpectAmount(vm.amounts[1], "F2", "B1", "0.04", "0.04");
  // C1: −0.05 × 3 + (99.98 × −3 + 299.97) = −0.15 + 0.03 = −0.12 → −0.012 → −0.01
  ExpectAmount(vm.amounts[2], "F3", "C1", "-0.012", "-0.01");
  // −0.03 + 0.04 − 0.01 = 0
  EXPECT_TRUE(vm.rounding_residual.is_zero());
  EXPECT_EQ(vm.open_long, 8);  // A1 8, C1 0
  EXPECT_EQ(vm.open_short, 8);
  EXPECT_TRUE(CheckVmInvariants(vm, "MCLN3", "USD").ok());
}

TEST(VariationMarginTest, MirrorPositionsAtHalfCentRoundToOppositeAmounts) {
  // A1 buys 5 @ 100.00 from B1, settlement 100.01: ±0.1 × 0.05 = ±0.005, both ties.
  ContractVm vm = MustCompute(
      Inputs("MCLN3", "USD", "0.1", std::nullopt, "100.01"),
      {Pos("F1", "A1", "MCLN3", 0, 5, "500.00"), Pos("F2", "B1", "MCLN3", 0, 0, "0", 5, "500.00")});
  ASSERT_EQ(vm.amounts.size(), 2u);
  ExpectAmount(vm.amounts[0], "F1", "A1", "0.005", "0.01");
  ExpectAmount(vm.amounts[1], "F2", "B1", "-0.005", "-0.01");
  EXPECT_TRUE(vm.rounding_residual.is_zero());
}

// --- Negative prices ---------------------------------------------------------------------------

TEST(VariationMarginTest, NegativePricesMarkLikeAnyOther) {
  // CLK0-like: multiplier 1000, prior 5.00, settlement −37.63 (change −42.63).
  // SOD A1 long 1, B1 short 1; A1 buys 1 @ −20.00 from B1 (buy/sell values −20.00).
  ContractVm vm = MustCompute(
      Inputs("CLK0", "USD", "1000", "5.00", "-37.63"),
      {Pos("F1", "A1", "CLK0", 1, 1, "-20.00"), Pos("F2", "B1", "CLK0", -1, 0, "0", 1, "-20.00")});
  ASSERT_EQ(vm.amounts.size(), 2u);
  // A1: −42.63 × 1 + (−37.63 × 1 − (−20.00)) = −42.63 − 17.63 = −60.26 → × 1000 = −60260
  ExpectAmount(vm.amounts[0], "F1", "A1", "-60260", "-60260");
  // B1: −42.63 × −1 + (−37.63 × −1 − (0 − (−20.00))) = 42.63 + 37.63 − 20.00 = 60.26 → 60260
  ExpectAmount(vm.amounts[1], "F2", "B1", "60260", "60260");
  EXPECT_EQ(vm.open_long, 2);
  EXPECT_EQ(vm.open_short, 2);
  EXPECT_TRUE(CheckVmInvariants(vm, "CLK0", "USD").ok());
}

// --- First day and input errors -------------------------------------------------------------

TEST(VariationMarginTest, FirstDayMarksOnlyTodaysTrades) {
  // No prior settlement; A1 buys 2 @ 4400.00 from B1; settlement 4401.25.
  ContractVm vm = MustCompute(
      Inputs("ESU3", "USD", "50", std::nullopt, "4401.25"),
      {Pos("F1", "A1", "ESU3", 0, 2, "8800.00"), Pos("F2", "B1", "ESU3", 0, 0, "0", 2, "8800.00")});
  ASSERT_EQ(vm.amounts.size(), 2u);
  // 50 × (4401.25 × 2 − 8800.00) = 50 × 2.50 = 125
  ExpectAmount(vm.amounts[0], "F1", "A1", "125", "125");
  ExpectAmount(vm.amounts[1], "F2", "B1", "-125", "-125");
}

TEST(VariationMarginTest, FirstDayWithStartOfDayPositionIsInvalidArgument) {
  auto vm = ComputeContractVm(Inputs("ESU3", "USD", "50", std::nullopt, "4401.25"),
                              {Pos("F1", "A1", "ESU3", 0), Pos("F2", "B1", "ESU3", -3)}, kHouseFirm,
                              kHouseAccount);
  ASSERT_FALSE(vm.has_value());
  EXPECT_EQ(vm.error().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(vm.error().message().find("F2/B1"), std::string::npos) << vm.error().message();
  EXPECT_NE(vm.error().message().find("ESU3"), std::string::npos) << vm.error().message();
  EXPECT_NE(vm.error().message().find("without a prior settlement"), std::string::npos)
      << vm.error().message();
}

struct BadInputCase {
  std::string_view name;
  VmInputs in;
  std::vector<VmPosition> positions;
  std::string_view message_part;
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class VmBadInputTest : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(VmBadInputTest, IsInvalidArgument) {
  const BadInputCase& c = GetParam();
  auto vm = ComputeContractVm(c.in, c.positions, kHouseFirm, kHouseAccount);
  ASSERT_FALSE(vm.has_value());
  EXPECT_EQ(vm.error().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(vm.error().message().find(c.message_part), std::string::npos) << vm.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    VariationMarginTest, VmBadInputTest,
    ::testing::Values(
        BadInputCase{"OtherContract",
                     Inputs("ESU3", "USD", "50", "4400", "4401"),
                     {Pos("F1", "A1", "ESZ3", 1)},
                     "for ESZ3"},
        BadInputCase{"ListedTwice",
                     Inputs("ESU3", "USD", "50", "4400", "4401"),
                     {Pos("F1", "A1", "ESU3", 1), Pos("F1", "A1", "ESU3", -1)},
                     "listed twice"},
        BadInputCase{"RoundingAccountHoldsPosition",
                     Inputs("ESU3", "USD", "50", "4400", "4401"),
                     {Pos("CCP", "ROUNDING", "ESU3", 1)},
                     "rounding account"},
        BadInputCase{"NegativeBought",
                     Inputs("ESU3", "USD", "50", "4400", "4401"),
                     {Pos("F1", "A1", "ESU3", 0, -1, "-4400")},
                     "negative"},
        BadInputCase{
            "ZeroMultiplier", Inputs("ESU3", "USD", "0", "4400", "4401"), {}, "multiplier"},
        BadInputCase{
            "ZeroMinorUnit", Inputs("ESU3", "USD", "50", "4400", "4401", "0"), {}, "minor unit"},
        // 0.1 × (100.00000001 − 100.00) = 0.000000001: a ninth fraction digit.
        BadInputCase{"ExactNeedsNineFractionDigits",
                     Inputs("MCLN3", "USD", "0.1", std::nullopt, "100.00000001"),
                     {Pos("F1", "A1", "MCLN3", 0, 1, "100.00")},
                     "more than 8 fraction digits"}),
    testing::CaseName());

// --- Invariants --------------------------------------------------------------------------------

TEST(VariationMarginTest, TamperedAmountIsInvariantViolation) {
  ContractVm vm = MustCompute(Inputs("ESM3", "USD", "50", "4400.00", "4410.25"), EsPositions());
  ASSERT_TRUE(CheckVmInvariants(vm, "ESM3", "USD").ok());
  vm.amounts[2].amount += D("0.01");  // 350 → 350.01: the published sum becomes 0.01
  Status s = CheckVmInvariants(vm, "ESM3", "USD");
  EXPECT_EQ(s.code(), Status::Code::kInvariantViolation);
  EXPECT_NE(s.message().find("ESM3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("USD"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("published amounts sum to 0.01"), std::string::npos) << s.message();
}

TEST(VariationMarginTest, UnbalancedOpenInterestIsInvariantViolation) {
  // End positions long 5, short 4; the amounts (none) sum to zero, so only open interest fails.
  ContractVm vm;
  vm.open_long = 5;
  vm.open_short = 4;
  Status s = CheckVmInvariants(vm, "ESM3", "USD");
  EXPECT_EQ(s.code(), Status::Code::kInvariantViolation);
  EXPECT_NE(s.message().find("long open interest 5 != short open interest 4"), std::string::npos)
      << s.message();
}

TEST(VariationMarginTest, OneSidedTradeBreaksOpenInterestAndExactSum) {
  // A1 bought 1 @ 4400.00 but no seller's side reached the book.
  ContractVm vm = MustCompute(Inputs("ESU3", "USD", "50", std::nullopt, "4401.00"),
                              {Pos("F1", "A1", "ESU3", 0, 1, "4400.00")});
  // A1: 50 × 1.00 = 50; the house books −50 so the published sum is 0, but the book is broken.
  EXPECT_EQ(vm.rounding_residual.ToString(), "-50");
  Status s = CheckVmInvariants(vm, "ESU3", "USD");
  EXPECT_EQ(s.code(), Status::Code::kInvariantViolation);
  EXPECT_NE(s.message().find("exact amounts sum to 50"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("long open interest 1 != short open interest 0"), std::string::npos)
      << s.message();
}

TEST(VariationMarginTest, ResidualNeverHidesMismatchedTradeValues) {
  // Open interest balances, but the seller's side recorded 4400.25 for the buyer's 4400.00.
  ContractVm vm = MustCompute(
      Inputs("ESU3", "USD", "50", std::nullopt, "4401.00"),
      {Pos("F1", "A1", "ESU3", 0, 1, "4400.00"), Pos("F2", "B1", "ESU3", 0, 0, "0", 1, "4400.25")});
  // A1 50 × 1.00 = 50, B1 50 × −0.75 = −37.50; residual −12.50 makes the published sum 0.
  Status s = CheckVmInvariants(vm, "ESU3", "USD");
  EXPECT_EQ(s.code(), Status::Code::kInvariantViolation);
  EXPECT_NE(s.message().find("exact amounts sum to 12.5"), std::string::npos) << s.message();
}

// --- Firm totals -------------------------------------------------------------------------------

TEST(VariationMarginTest, FirmTotalsSumPerFirmAndCurrencySorted) {
  ContractVm es = MustCompute(Inputs("ESM3", "USD", "50", "4400.00", "4410.25"), EsPositions());
  // FESX-like in EUR: multiplier 10, prior 5000, settlement 5012; F2/B1 long 2, F1/A1 short 2.
  // B1: 10 × 12 × 2 = 240; A1: −240.
  ContractVm fesx = MustCompute(Inputs("FESXM3", "EUR", "10", "5000", "5012"),
                                {Pos("F2", "B1", "FESXM3", 2), Pos("F1", "A1", "FESXM3", -2)});
  ContractVm micro =
      MustCompute(Inputs("MCLN3", "USD", "0.1", std::nullopt, "100.03"), MicroDayOnePositions());
  std::vector<FirmTotal> totals = FirmTotals({es, fesx, micro});
  // USD: F1 5362.50 + 0.02 = 5362.52; F2 −5962.50 + 350 − 0.02 = −5612.52; F3 250 + 0.01 = 250.01;
  //      CCP −0.01. Sum: 5362.52 − 5612.52 + 250.01 − 0.01 = 0. EUR: F1 −240, F2 240.
  struct Expected {
    std::string_view firm, currency, amount;
  };
  const std::vector<Expected> expected = {{"CCP", "USD", "-0.01"},   {"F1", "EUR", "-240"},
                                          {"F1", "USD", "5362.52"},  {"F2", "EUR", "240"},
                                          {"F2", "USD", "-5612.52"}, {"F3", "USD", "250.01"}};
  ASSERT_EQ(totals.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(totals[i].firm, expected[i].firm) << i;
    EXPECT_EQ(totals[i].currency, expected[i].currency) << i;
    EXPECT_EQ(totals[i].amount.ToString(), D(expected[i].amount).ToString()) << i;
  }
}

TEST(VariationMarginTest, FirmTotalsOfNothingIsEmpty) { EXPECT_TRUE(FirmTotals({}).empty()); }

// --- Property: random books stay zero-sum ----------------------------------------------------

struct RandomProduct {
  std::string_view contract;
  std::string_view multiplier;
  int64_t tick_units;  // price tick in Decimal units (trading and settlement)
  bool whole_cents;    // multiplier × tick is a whole cent: nothing to round
};

void PrintTo(const RandomProduct& p, std::ostream* os) { *os << p.contract; }

class VmRandomBookTest : public ::testing::TestWithParam<RandomProduct> {};

// 200 accounts in 10 firms, 5 business days, 600 random trades a day; positions carry over.
// Each day: the invariants hold, every exact amount equals an independent trade-by-trade oracle,
// every amount is whole cents within half a cent of its exact value, and the residual is bounded.
TEST_P(VmRandomBookTest, EveryDayIsZeroSum) {
  const RandomProduct& product = GetParam();
  constexpr int kAccounts = 200;
  constexpr int kDays = 5;
  constexpr int kTradesPerDay = 600;
  const Decimal multiplier = D(product.multiplier);
  const Decimal cent = D("0.01");
  const Decimal half_cent = D("0.005");
  std::mt19937_64 rng(20230616);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };

  std::vector<int64_t> sod(kAccounts, 0);
  std::optional<Decimal> prior;
  Decimal reference = D("100.00");
  int days_with_residual = 0;
  for (int day = 0; day < kDays; ++day) {
    std::vector<VmPosition> positions(kAccounts);
    std::vector<Decimal> oracle_trade_term(
        kAccounts);  // Σ (S − price) × signed qty, trade by trade
    const Decimal settlement =
        reference + Decimal::FromUnits(Int128{uniform(-30, 30)} * product.tick_units);
    for (int i = 0; i < kAccounts; ++i) {
      positions[i].firm = "F" + std::to_string(i % 10);
      positions[i].account = "A" + std::to_string(i);
      positions[i].contract = product.contract;
      positions[i].start_of_day = sod[i];
    }
    for (int t = 0; t < kTradesPerDay; ++t) {
      const auto buyer = static_cast<size_t>(uniform(0, kAccounts - 1));
      auto seller = static_cast<size_t>(uniform(0, kAccounts - 2));
      if (seller >= buyer) ++seller;
      const int64_t qty = uniform(1, 50);
      const Decimal price =
          reference + Decimal::FromUnits(Int128{uniform(-50, 50)} * product.tick_units);
      positions[buyer].bought += qty;
      positions[buyer].buy_value += price * qty;
      positions[seller].sold += qty;
      positions[seller].sell_value += price * qty;
      oracle_trade_term[buyer] += (settlement - price) * qty;
      oracle_trade_term[seller] -= (settlement - price) * qty;
    }

    VmInputs in;
    in.contract = product.contract;
    in.currency = "USD";
    in.multiplier = multiplier;
    in.settlement = settlement;
    in.prior_settlement = prior;
    in.minor_unit = cent;
    ContractVm vm = MustCompute(in, positions);
    ASSERT_TRUE(CheckVmInvariants(vm, in.contract, in.currency).ok())
        << "day " << day << ": " << CheckVmInvariants(vm, in.contract, in.currency).ToString();

    ASSERT_GE(vm.amounts.size(), static_cast<size_t>(kAccounts));
    for (int i = 0; i < kAccounts; ++i) {
      const VmAmount& a = vm.amounts[i];
      Decimal bracket = oracle_trade_term[i];
      if (prior) bracket += (settlement - *prior) * sod[i];
      auto oracle = multiplier.MultiplyExact(bracket);
      ASSERT_TRUE(oracle.has_value());
      EXPECT_EQ(a.exact, *oracle) << "day " << day << " " << a.account;
      EXPECT_TRUE(a.amount.IsMultipleOf(cent)) << a.amount.ToString();
      Decimal error = a.amount - a.exact;
      EXPECT_LE(error < Decimal() ? -error : error, half_cent) << a.exact.ToString();
      if (product.whole_cents) {
        EXPECT_EQ(a.amount, a.exact);
      }
    }
    const Decimal residual_bound = half_cent * kAccounts;
    EXPECT_LE(vm.rounding_residual, residual_bound);
    EXPECT_GE(vm.rounding_residual, -residual_bound);
    if (product.whole_cents) {
      EXPECT_TRUE(vm.rounding_residual.is_zero());
    }
    if (!vm.rounding_residual.is_zero()) {
      ++days_with_residual;
      ASSERT_EQ(vm.amounts.size(), static_cast<size_t>(kAccounts) + 1);
      EXPECT_EQ(vm.amounts.back().account, kHouseAccount);
      EXPECT_EQ(vm.amounts.back().amount, vm.rounding_residual);
    } else {
      EXPECT_EQ(vm.amounts.size(), static_cast<size_t>(kAccounts));
    }

    int64_t open_long = 0;
    for (int i = 0; i < kAccounts; ++i) {
      sod[i] += positions[i].bought - positions[i].sold;
      if (sod[i] > 0) open_long += sod[i];
    }
    EXPECT_EQ(vm.open_long, open_long);
    prior = settlement;
    reference = settlement;
  }
  // The sub-cent product must actually exercise the residual, or the test proves nothing.
  if (!product.whole_cents) {
    EXPECT_GT(days_with_residual, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    VariationMarginTest, VmRandomBookTest,
    ::testing::Values(RandomProduct{"MCLN3", "0.1", 1'000'000, false},  // 0.1 × 0.01 = 0.001
                      RandomProduct{"ESM3", "50", 25'000'000, true}),   // 50 × 0.25 = 12.50
    [](const ::testing::TestParamInfo<RandomProduct>& param_info) {
      return std::string(param_info.param.contract);
    });

}  // namespace
}  // namespace eodclear

namespace eodclear {
namespace {

// --- The streaming accumulator gives the batch computation's amounts and sums -----------------

TEST(ContractVmAccumulatorTest, StreamsTheSameAmountsAndResidualAsComputeContractVm) {
  // The sub-cent book above: A1 0.015 → 0.02, B1 −0.021 → −0.02, C1 0.006 → 0.01; residual −0.01.
  VmInputs in = Inputs("MCLN3", "USD", "0.1", std::nullopt, "100.03");
  auto acc = ContractVmAccumulator::Create(in, std::string(kHouseFirm), std::string(kHouseAccount));
  ASSERT_TRUE(acc.has_value()) << acc.error().ToString();
  const char* expected[] = {"0.02", "-0.02", "0.01"};
  size_t i = 0;
  for (const VmPosition& p : MicroDayOnePositions()) {
    auto a = acc->Add(p);
    ASSERT_TRUE(a.has_value()) << a.error().ToString();
    EXPECT_EQ(a->amount.ToString(), expected[i++]);
  }
  VmTotals t = acc->Totals();
  EXPECT_TRUE(t.exact_sum.is_zero()) << t.exact_sum.ToString();
  EXPECT_EQ(t.rounded_sum.ToString(), "0.01");
  EXPECT_EQ(t.residual.ToString(), "-0.01");
  EXPECT_EQ(t.open_long, 8);
  EXPECT_EQ(t.open_short, 8);
  EXPECT_EQ(t.positions, 3);
  EXPECT_TRUE(CheckVmTotals(t, "MCLN3", "USD").ok());
}

TEST(ContractVmAccumulatorTest, OneSidedBookIsInvariantViolationNamingTheSums) {
  // Only the buyer of a trade: A1 buys 5 @ 100.00, settlement 100.03 → exact 0.015, long 5, short
  // 0.
  VmInputs in = Inputs("MCLN3", "USD", "0.1", std::nullopt, "100.03");
  auto acc = ContractVmAccumulator::Create(in, std::string(kHouseFirm), std::string(kHouseAccount));
  ASSERT_TRUE(acc.has_value());
  ASSERT_TRUE(acc->Add(Pos("F1", "A1", "MCLN3", 0, 5, "500.00")).has_value());
  Status s = CheckVmTotals(acc->Totals(), "MCLN3", "USD");
  EXPECT_EQ(s.code(), Status::Code::kInvariantViolation);
  EXPECT_NE(s.message().find("exact amounts sum to 0.015"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("long open interest 5 != short open interest 0"), std::string::npos)
      << s.message();
}

TEST(ContractVmAccumulatorTest, RejectsAPositionOfTheRoundingAccount) {
  VmInputs in = Inputs("MCLN3", "USD", "0.1", std::nullopt, "100.03");
  auto acc = ContractVmAccumulator::Create(in, std::string(kHouseFirm), std::string(kHouseAccount));
  ASSERT_TRUE(acc.has_value());
  auto a = acc->Add(Pos(std::string(kHouseFirm), std::string(kHouseAccount), "MCLN3", 0, 1, "100"));
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace eodclear

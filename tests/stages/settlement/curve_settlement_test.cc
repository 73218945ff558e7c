#include "stages/settlement/curve_settlement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/test_values.h"

namespace eodclear {

// Failure messages show decimals and tiers as text instead of raw bytes.
inline void PrintTo(const Decimal& d, std::ostream* os) { *os << d.ToString(); }
inline void PrintTo(SettlementTier tier, std::ostream* os) { *os << SettlementTierName(tier); }

namespace {

constexpr auto& D = testing::Dec;

// Eris Swap Futures settle to 4 decimals (ops/refdata/products.csv settlement_tick 0.0001).
constexpr Decimal kErisTick = Decimal::FromUnits(10'000);  // 0.0001

// The March 2021 contract of the Eris tenor `years` (CBOT Submission 21-101's table).
std::string ContractFor(int years) {
  switch (years) {
    case 2:
      return "LITH21";
    case 3:
      return "LICH21";
    case 4:
      return "LIDH21";
    case 5:
      return "LIWH21";
    case 7:
      return "LIBH21";
    case 10:
      return "LIYH21";
    case 12:
      return "LIIH21";
    case 15:
      return "LILH21";
    case 20:
      return "LIOH21";
    case 30:
      return "LIEH21";
  }
  ADD_FAILURE() << "no Eris tenor of " << years << " years";
  return "";
}

// A tenor with one trade of `quantity` in the window and no market at its end (tier 1).
TenorInputs Traded(int years, std::string_view price, std::optional<std::string_view> prior,
                   int64_t quantity = 1) {
  TenorInputs t{ContractFor(years), years, {}};
  t.inputs.window_trades.push_back(WindowTrade{D(price), quantity});
  if (prior) t.inputs.prior_settlement = D(*prior);
  return t;
}

// A tenor with no trade but a two-sided market at the window's end (tier 2).
TenorInputs Quoted(int years, std::string_view bid, std::string_view ask,
                   std::optional<std::string_view> prior) {
  TenorInputs t{ContractFor(years), years, {}};
  t.inputs.market_at_window_end = BidAsk{D(bid), D(ask)};
  if (prior) t.inputs.prior_settlement = D(*prior);
  return t;
}

// A tenor with no trade and no market, only its prior (tier 3, else 4).
TenorInputs Bare(int years, std::string_view prior) {
  TenorInputs t{ContractFor(years), years, {}};
  t.inputs.prior_settlement = D(prior);
  return t;
}

std::vector<std::string> Names(std::initializer_list<int> years) {
  std::vector<std::string> names;
  for (int y : years) names.push_back(ContractFor(y));
  return names;
}

// The decision for `years`, which the test requires to be present exactly once.
const TenorDecision& For(const std::vector<TenorDecision>& curve, int years) {
  const auto it = std::find_if(curve.begin(), curve.end(),
                               [&](const TenorDecision& d) { return d.tenor_years == years; });
  EXPECT_NE(it, curve.end()) << "no decision for " << years << "Y";
  static const TenorDecision kMissing;
  return it == curve.end() ? kMissing : *it;
}

// ---------------------------------------------------------------------------------------------
// One tenor settled from tier-1 anchors: table-driven. Each anchor has prior 100 and one trade
// at 100 + its daily change, so its daily change is exactly the one given. Worked by hand:
// change at T between (lo, c_lo) and (hi, c_hi) = (c_lo x (hi - T) + c_hi x (T - lo)) / (hi - lo).

struct AnchorSpec {
  int years;
  std::string_view change;
};

struct TargetCase {
  std::string_view name;
  std::vector<AnchorSpec> anchors;
  int target_years;
  std::optional<std::pair<std::string_view, std::string_view>> market;  // bid, ask
  std::string_view prior;
  SettlementTier tier;
  std::string_view expected;
  std::vector<int> neighbours;  // tenors, below first
};

class SettleCurveTargetTest : public ::testing::TestWithParam<TargetCase> {};

TEST_P(SettleCurveTargetTest, SettlesTheTargetTenor) {
  const TargetCase& c = GetParam();
  std::vector<TenorInputs> tenors;
  for (const AnchorSpec& a : c.anchors) {
    tenors.push_back(Traded(a.years, (D("100") + D(a.change)).ToString(), "100"));
  }
  tenors.push_back(c.market ? Quoted(c.target_years, c.market->first, c.market->second, c.prior)
                            : Bare(c.target_years, c.prior));

  auto curve = SettleCurve(tenors, kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  ASSERT_EQ(curve->size(), tenors.size());
  for (std::size_t i = 0; i + 1 < tenors.size(); ++i) {
    EXPECT_EQ((*curve)[i].decision.tier, SettlementTier::kVwap);
  }
  const TenorDecision& d = curve->back();
  EXPECT_EQ(d.contract, ContractFor(c.target_years));
  EXPECT_EQ(d.tenor_years, c.target_years);
  EXPECT_EQ(d.decision.tier, c.tier) << d.decision.explanation;
  EXPECT_EQ(d.decision.price, D(c.expected)) << d.decision.explanation;
  EXPECT_EQ(d.decision.stale, c.tier == SettlementTier::kCarried);
  EXPECT_EQ(d.decision.prior, D(c.prior));
  std::vector<std::string> expected_neighbours;
  for (int y : c.neighbours) expected_neighbours.push_back(ContractFor(y));
  EXPECT_EQ(d.neighbours, expected_neighbours);
  if (c.market) {
    EXPECT_EQ(d.decision.bid, D(c.market->first));
    EXPECT_EQ(d.decision.ask, D(c.market->second));
  }
}

INSTANTIATE_TEST_SUITE_P(
    SettleCurveTest, SettleCurveTargetTest,
    ::testing::Values(
        // --- Tier 3: no trade, no market.
        // Seed 004's example: 5Y from 4Y +0.020 and 7Y +0.050:
        // (0.020 x 2 + 0.050 x 1) / 3 = 0.090 / 3 = +0.030; 97 + 0.030 = 97.03.
        TargetCase{"SeedExampleFiveYearFromFourAndSevenYear",
                   {{4, "0.020"}, {7, "0.050"}},
                   5,
                   std::nullopt,
                   "97",
                   SettlementTier::kInterpolated,
                   "97.03",
                   {4, 7}},
        // (0.0010 x 2 + 0.0021 x 1) / 3 = 0.0041 / 3 = 0.0013666...; 97.0013666... is 0.0000333
        // from 97.0014 and 0.0000666 from 97.0013: 97.0014.
        TargetCase{"ThirdOfAStepKeptExactUntilTheOneRounding",
                   {{4, "0.0010"}, {7, "0.0021"}},
                   5,
                   std::nullopt,
                   "97",
                   SettlementTier::kInterpolated,
                   "97.0014",
                   {4, 7}},
        // 10Y between 7Y and 12Y weighs 12Y by 3/5: (0.0010 x 2 + 0.0020 x 3) / 5 = +0.0016.
        // (Weights swapped would give 0.0014.)
        TargetCase{"WeightsByDistanceInTenorYears",
                   {{7, "0.0010"}, {12, "0.0020"}},
                   10,
                   std::nullopt,
                   "94",
                   SettlementTier::kInterpolated,
                   "94.0016",
                   {7, 12}},
        // 3Y midway: (0.0001 + 0.0002) / 2 = 0.00015; 99.00015 is halfway between 99.0001 and
        // 99.0002; the prior 99 is below: Rule 813 gives 99.0001 (no prior would give 99.0002).
        TargetCase{"HalfTickRiseRoundsDownTowardPrior",
                   {{2, "0.0001"}, {4, "0.0002"}},
                   3,
                   std::nullopt,
                   "99",
                   SettlementTier::kInterpolated,
                   "99.0001",
                   {2, 4}},
        // -0.00015: 98.99985 is halfway between 98.9998 and 98.9999; prior 99 above: 98.9999.
        TargetCase{"HalfTickFallRoundsUpTowardPrior",
                   {{2, "-0.0001"}, {4, "-0.0002"}},
                   3,
                   std::nullopt,
                   "99",
                   SettlementTier::kInterpolated,
                   "98.9999",
                   {2, 4}},
        // (-0.010 x 2 + 0.020 x 1) / 3 = 0: the prior.
        TargetCase{"OppositeChangesCancel",
                   {{4, "-0.010"}, {7, "0.020"}},
                   5,
                   std::nullopt,
                   "97",
                   SettlementTier::kInterpolated,
                   "97",
                   {4, 7}},
        // Nearest anchors only: 2Y and 10Y are farther than 4Y and 7Y and do not count.
        // (0.020 x 2 + 0.050 x 1) / 3 = +0.030.
        TargetCase{"UsesOnlyTheNearestAnchorOnEachSide",
                   {{2, "0.500"}, {4, "0.020"}, {7, "0.050"}, {10, "-0.500"}},
                   5,
                   std::nullopt,
                   "97",
                   SettlementTier::kInterpolated,
                   "97.03",
                   {4, 7}},
        // 20Y between 15Y and 30Y: (0.03 x 10 + 0.0001 x 5) / 15 = 0.3005 / 15 = 0.0200333...
        // -> 88.0200333... -> 88.02.
        TargetCase{"LongEndTwentyYearFromFifteenAndThirty",
                   {{15, "0.03"}, {30, "0.0001"}},
                   20,
                   std::nullopt,
                   "88",
                   SettlementTier::kInterpolated,
                   "88.02",
                   {15, 30}},
        // One side missing is 21-101 tier 3b (equivalent swap valuation): carried, stale.
        TargetCase{"OnlyAnchorBelowCarriesPriorStale",
                   {{15, "0.03"}},
                   30,
                   std::nullopt,
                   "85",
                   SettlementTier::kCarried,
                   "85",
                   {}},
        TargetCase{"OnlyAnchorAboveCarriesPriorStale",
                   {{3, "0.01"}},
                   2,
                   std::nullopt,
                   "99.5",
                   SettlementTier::kCarried,
                   "99.5",
                   {}},
        TargetCase{"NoAnchorCarriesPriorStale",
                   {},
                   5,
                   std::nullopt,
                   "97",
                   SettlementTier::kCarried,
                   "97",
                   {}},

        // --- Tier 2: no trade, a two-sided market.
        // Fit +0.030 (as above): 97.03 within [97.02, 97.04].
        TargetCase{"FitInsideTheMarketStands",
                   {{4, "0.020"}, {7, "0.050"}},
                   5,
                   std::pair{"97.02", "97.04"},
                   "97",
                   SettlementTier::kCurveFit,
                   "97.03",
                   {4, 7}},
        // Fit 97.03 below the bid 97.035: moved into the market, to the bid.
        TargetCase{"FitBelowTheBidMovesToTheBid",
                   {{4, "0.020"}, {7, "0.050"}},
                   5,
                   std::pair{"97.035", "97.05"},
                   "97",
                   SettlementTier::kCurveFit,
                   "97.035",
                   {4, 7}},
        // Fit 97.03 above the ask 97.025: to the ask.
        TargetCase{"FitAboveTheAskMovesToTheAsk",
                   {{4, "0.020"}, {7, "0.050"}},
                   5,
                   std::pair{"97.00", "97.025"},
                   "97",
                   SettlementTier::kCurveFit,
                   "97.025",
                   {4, 7}},
        // 97.0013666... within [97.000, 97.005], rounded once: 97.0014.
        TargetCase{"FitIsRoundedOnce",
                   {{4, "0.0010"}, {7, "0.0021"}},
                   5,
                   std::pair{"97.000", "97.005"},
                   "97",
                   SettlementTier::kCurveFit,
                   "97.0014",
                   {4, 7}},
        // 99.00015 within [98.99, 99.01], a half tick: toward the prior 99, 99.0001.
        TargetCase{"FitOnAHalfTickRoundsTowardPrior",
                   {{2, "0.0001"}, {4, "0.0002"}},
                   3,
                   std::pair{"98.99", "99.01"},
                   "99",
                   SettlementTier::kCurveFit,
                   "99.0001",
                   {2, 4}},
        // Only 12Y below 15Y: its +0.08 flat, 90.08 within [90.05, 90.10].
        TargetCase{"FitFlatFromTheOnlyAnchorBelow",
                   {{12, "0.08"}},
                   15,
                   std::pair{"90.05", "90.10"},
                   "90",
                   SettlementTier::kCurveFit,
                   "90.08",
                   {12}},
        // Only 7Y above 5Y: its +0.06 flat, 97.06 within [97.00, 97.10].
        TargetCase{"FitFlatFromTheOnlyAnchorAbove",
                   {{7, "0.06"}},
                   5,
                   std::pair{"97.00", "97.10"},
                   "97",
                   SettlementTier::kCurveFit,
                   "97.06",
                   {7}},
        // No anchor: no change; the prior 97 lies within [96.99, 97.01].
        TargetCase{"FitWithoutAnchorKeepsPriorInsideTheMarket",
                   {},
                   5,
                   std::pair{"96.99", "97.01"},
                   "97",
                   SettlementTier::kCurveFit,
                   "97",
                   {}},
        // No anchor: the prior 97 is below the bid 97.01: the bid.
        TargetCase{"FitWithoutAnchorMovesPriorToTheBid",
                   {},
                   5,
                   std::pair{"97.01", "97.02"},
                   "97",
                   SettlementTier::kCurveFit,
                   "97.01",
                   {}}),
    testing::CaseName());

// ---------------------------------------------------------------------------------------------
// A whole curve: every tier at once.

// The March 2021 curve, worked by hand:
//   2Y  LIT  trade 99.500 x 10, market 99.49/99.51, prior 99.48   tier 1: 99.5 (+0.02)
//   3Y  LIC  nothing, prior 99                                    tier 3: 2Y/4Y
//   4Y  LID  trades 98.020 x 1, 98.030 x 1, market 98.00/98.05,
//            prior 98                                             tier 1: 98.025 (+0.025)
//   5Y  LIW  nothing, prior 97.5                                  tier 3: 4Y/7Y
//   7Y  LIB  trade 96.060 x 3, market 96.05/96.07, prior 96       tier 1: 96.06 (+0.06)
//   10Y LIY  market 94.03/94.05, prior 94                         tier 2: 7Y/12Y
//   12Y LII  trade 92.08 x 5, market 92.07/92.09, prior 92        tier 1: 92.08 (+0.08)
//   15Y LIL  market 90.05/90.10, prior 90                         tier 2: flat from 12Y
//   20Y LIO  nothing, prior 88                                    tier 3 -> carried
//   30Y LIE  nothing, prior 85                                    tier 4: carried
std::vector<TenorInputs> MarchCurve() {
  std::vector<TenorInputs> curve;
  TenorInputs t2 = Traded(2, "99.500", "99.48", 10);
  t2.inputs.market_at_window_end = BidAsk{D("99.49"), D("99.51")};
  curve.push_back(t2);
  curve.push_back(Bare(3, "99"));
  TenorInputs t4 = Traded(4, "98.020", "98");
  t4.inputs.window_trades.push_back(WindowTrade{D("98.030"), 1});
  t4.inputs.market_at_window_end = BidAsk{D("98.00"), D("98.05")};
  curve.push_back(t4);
  curve.push_back(Bare(5, "97.5"));
  TenorInputs t7 = Traded(7, "96.060", "96", 3);
  t7.inputs.market_at_window_end = BidAsk{D("96.05"), D("96.07")};
  curve.push_back(t7);
  curve.push_back(Quoted(10, "94.03", "94.05", "94"));
  TenorInputs t12 = Traded(12, "92.08", "92", 5);
  t12.inputs.market_at_window_end = BidAsk{D("92.07"), D("92.09")};
  curve.push_back(t12);
  curve.push_back(Quoted(15, "90.05", "90.10", "90"));
  curve.push_back(Bare(20, "88"));
  curve.push_back(Bare(30, "85"));
  return curve;
}

struct Expected {
  int years;
  SettlementTier tier;
  std::string_view price;
  std::vector<int> neighbours;
};

// 3Y: (0.02 + 0.025) / 2 = 0.0225 -> 99.0225.
// 5Y: (0.025 x 2 + 0.06 x 1) / 3 = 0.11 / 3 = 0.0366... -> 97.5366... -> 97.5367.
// 10Y: (0.06 x 2 + 0.08 x 3) / 5 = 0.36 / 5 = 0.072 -> 94.072, above the ask 94.05 -> 94.05.
// 15Y: no tier-1 tenor above: 12Y's +0.08 flat -> 90.08, within [90.05, 90.10].
// 20Y: anchors for tier 3 include the tier-2 15Y (+0.08), but none above: carried, stale.
// 30Y: nothing above or at 30Y: carried, stale.
const std::vector<Expected>& MarchExpected() {
  static const std::vector<Expected> kExpected = {
      {2, SettlementTier::kVwap, "99.5", {}},
      {3, SettlementTier::kInterpolated, "99.0225", {2, 4}},
      {4, SettlementTier::kVwap, "98.025", {}},
      {5, SettlementTier::kInterpolated, "97.5367", {4, 7}},
      {7, SettlementTier::kVwap, "96.06", {}},
      {10, SettlementTier::kCurveFit, "94.05", {7, 12}},
      {12, SettlementTier::kVwap, "92.08", {}},
      {15, SettlementTier::kCurveFit, "90.08", {12}},
      {20, SettlementTier::kCarried, "88", {}},
      {30, SettlementTier::kCarried, "85", {}},
  };
  return kExpected;
}

void ExpectMarchCurve(const std::vector<TenorDecision>& curve) {
  ASSERT_EQ(curve.size(), MarchExpected().size());
  for (const Expected& e : MarchExpected()) {
    SCOPED_TRACE(std::to_string(e.years) + "Y");
    const TenorDecision& d = For(curve, e.years);
    EXPECT_EQ(d.contract, ContractFor(e.years));
    EXPECT_EQ(d.decision.tier, e.tier) << d.decision.explanation;
    EXPECT_EQ(d.decision.price, D(e.price)) << d.decision.explanation;
    EXPECT_EQ(d.decision.stale, e.tier == SettlementTier::kCarried);
    std::vector<std::string> neighbours;
    for (int y : e.neighbours) neighbours.push_back(ContractFor(y));
    EXPECT_EQ(d.neighbours, neighbours);
    EXPECT_FALSE(d.decision.explanation.empty());
  }
}

TEST(SettleCurveTest, WholeCurveSettlesEveryTierTogether) {
  auto curve = SettleCurve(MarchCurve(), kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  // Decisions come back in input order.
  for (std::size_t i = 0; i < curve->size(); ++i) {
    EXPECT_EQ((*curve)[i].tenor_years, MarchExpected()[i].years);
  }
  ExpectMarchCurve(*curve);
}

TEST(SettleCurveTest, InputOrderDoesNotChangeTheResult) {
  std::vector<TenorInputs> reversed = MarchCurve();
  std::reverse(reversed.begin(), reversed.end());
  auto curve = SettleCurve(reversed, kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_EQ(curve->front().tenor_years, 30);
  ExpectMarchCurve(*curve);
}

TEST(SettleCurveTest, ExplanationsNameNeighboursAndDailyChanges) {
  auto curve = SettleCurve(MarchCurve(), kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  const std::string& five = For(*curve, 5).decision.explanation;
  EXPECT_NE(five.find("interpolated"), std::string::npos) << five;
  EXPECT_NE(five.find("LIDH21 (4Y, vwap, daily change +0.025)"), std::string::npos) << five;
  EXPECT_NE(five.find("LIBH21 (7Y, vwap, daily change +0.06)"), std::string::npos) << five;
  // The exact change 0.11 / 3, reduced, and the exact price before rounding.
  EXPECT_NE(five.find("+0.11/3"), std::string::npos) << five;
  EXPECT_NE(five.find("292.61/3"), std::string::npos) << five;  // 97.5 + 0.11/3 = 292.61/3
  EXPECT_NE(five.find("97.5367"), std::string::npos) << five;

  const std::string& ten = For(*curve, 10).decision.explanation;
  EXPECT_NE(ten.find("curve_fit"), std::string::npos) << ten;
  EXPECT_NE(ten.find("daily change +0.072"), std::string::npos) << ten;
  EXPECT_NE(ten.find("above the best ask 94.05"), std::string::npos) << ten;

  const std::string& fifteen = For(*curve, 15).decision.explanation;
  EXPECT_NE(fifteen.find("LIIH21 (12Y, vwap, daily change +0.08)"), std::string::npos) << fifteen;
  EXPECT_NE(fifteen.find("flat"), std::string::npos) << fifteen;

  const std::string& twenty = For(*curve, 20).decision.explanation;
  EXPECT_NE(twenty.find("no settled tenor above 20Y"), std::string::npos) << twenty;
  EXPECT_NE(twenty.find("3b"), std::string::npos) << twenty;
  EXPECT_NE(twenty.find("stale"), std::string::npos) << twenty;
}

// ---------------------------------------------------------------------------------------------
// Which tenors anchor which.

// 4Y trades at 98.06 above the ask 98.05: settles 98.05, daily change +0.05 (not the VWAP's
// +0.06). 7Y +0.08. 5Y: (0.05 x 2 + 0.08) / 3 = 0.06 -> 97.06 (the VWAP's change would give
// (0.12 + 0.08) / 3 = 0.0666... -> 97.0667).
TEST(SettleCurveTest, ClampedTierOnePriceIsTheAnchorsDailyChange) {
  TenorInputs four = Traded(4, "98.06", "98");
  four.inputs.market_at_window_end = BidAsk{D("98.00"), D("98.05")};
  auto curve = SettleCurve({four, Bare(5, "97"), Traded(7, "96.08", "96")}, kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_EQ(For(*curve, 4).decision.price, D("98.05"));
  EXPECT_EQ(For(*curve, 5).decision.price, D("97.06")) << For(*curve, 5).decision.explanation;
}

// 7Y +0.06 and 15Y +0.10 (tier 1). 10Y tier 2: (0.06 x 5 + 0.10 x 3) / 8 = 0.075 -> 94.075,
// above the ask 94.05 -> 94.05, daily change +0.05. 12Y tier 3 from the nearest settled tenors,
// 10Y (+0.05) and 15Y: (0.05 x 3 + 0.10 x 2) / 5 = 0.07 -> 92.07. (Skipping the fit, from 7Y
// and 15Y: (0.06 x 3 + 0.10 x 5) / 8 = 0.085 -> 92.085.)
TEST(SettleCurveTest, CurveFitTenorAnchorsInterpolation) {
  auto curve = SettleCurve({Traded(7, "96.06", "96"), Quoted(10, "94.03", "94.05", "94"),
                            Bare(12, "92"), Traded(15, "90.10", "90")},
                           kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_EQ(For(*curve, 10).decision.price, D("94.05"));
  const TenorDecision& twelve = For(*curve, 12);
  EXPECT_EQ(twelve.decision.tier, SettlementTier::kInterpolated);
  EXPECT_EQ(twelve.decision.price, D("92.07")) << twelve.decision.explanation;
  EXPECT_EQ(twelve.neighbours, Names({10, 15}));
  EXPECT_NE(twelve.decision.explanation.find("LIYH21 (10Y, curve_fit, daily change +0.05)"),
            std::string::npos)
      << twelve.decision.explanation;
}

// 4Y +0.02 and 10Y +0.08 (tier 1). 5Y tier 2: (0.02 x 5 + 0.08 x 1) / 6 = 0.03 -> 97.03, above
// the ask 97.01 -> 97.01. 7Y tier 2 fits from tier 1 only: (0.02 x 3 + 0.08 x 3) / 6 = 0.05 ->
// 96.05. (Fitted from 5Y's +0.01 it would be (0.01 x 3 + 0.08 x 2) / 5 = 0.038.)
TEST(SettleCurveTest, CurveFitTenorsDoNotAnchorEachOther) {
  auto curve = SettleCurve({Traded(4, "98.02", "98"), Quoted(5, "97.00", "97.01", "97"),
                            Quoted(7, "96.00", "96.10", "96"), Traded(10, "94.08", "94")},
                           kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_EQ(For(*curve, 5).decision.price, D("97.01"));
  EXPECT_EQ(For(*curve, 7).decision.price, D("96.05")) << For(*curve, 7).decision.explanation;
  EXPECT_EQ(For(*curve, 7).neighbours, Names({4, 10}));
}

// 3Y +0.04 and 7Y +0.08; 4Y and 5Y have nothing. Each is interpolated between 3Y and 7Y, the
// nearest settled tenors (an interpolated tenor never anchors another):
// 4Y: (0.04 x 3 + 0.08 x 1) / 4 = 0.05 -> 98.05; 5Y: (0.04 x 2 + 0.08 x 2) / 4 = 0.06 -> 97.06.
TEST(SettleCurveTest, SkipsUnsettledTenorsToTheNearestSettled) {
  auto curve = SettleCurve(
      {Traded(3, "99.04", "99"), Bare(4, "98"), Bare(5, "97"), Traded(7, "96.08", "96")},
      kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_EQ(For(*curve, 4).decision.price, D("98.05"));
  EXPECT_EQ(For(*curve, 4).neighbours, Names({3, 7}));
  EXPECT_EQ(For(*curve, 5).decision.price, D("97.06"));
  EXPECT_EQ(For(*curve, 5).neighbours, Names({3, 7}));
}

// 4Y trades on its first day (no prior): it settles by tier 1 at 98.02 but has no daily change,
// so 5Y has no anchor below and is carried, stale.
TEST(SettleCurveTest, TenorWithoutPriorIsNoAnchor) {
  auto curve = SettleCurve(
      {Traded(4, "98.02", std::nullopt), Bare(5, "97"), Traded(7, "96.05", "96")}, kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_EQ(For(*curve, 4).decision.tier, SettlementTier::kVwap);
  EXPECT_EQ(For(*curve, 4).decision.price, D("98.02"));
  EXPECT_EQ(For(*curve, 5).decision.tier, SettlementTier::kCarried);
  EXPECT_TRUE(For(*curve, 5).decision.stale);
  EXPECT_EQ(For(*curve, 5).decision.price, D("97"));
}

// ---------------------------------------------------------------------------------------------
// Overrides.

TEST(SettleCurveTest, OverrideWinsOverTradesAndMarket) {
  TenorInputs five = Traded(5, "97.03", "97");
  five.inputs.market_at_window_end = BidAsk{D("97.02"), D("97.04")};
  five.inputs.override_price = D("97.1234");
  auto curve = SettleCurve({Traded(4, "98.02", "98"), five, Traded(7, "96.05", "96")}, kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  const TenorDecision& d = For(*curve, 5);
  EXPECT_EQ(d.decision.tier, SettlementTier::kOverride);
  EXPECT_EQ(d.decision.price, D("97.1234"));
  EXPECT_FALSE(d.decision.stale);
  EXPECT_TRUE(d.neighbours.empty());
}

// A tenor with nothing else, not even a prior, settles by its override.
TEST(SettleCurveTest, OverrideSettlesTenorWithNothingElse) {
  TenorInputs five{ContractFor(5), 5, {}};
  five.inputs.override_price = D("97");
  auto curve = SettleCurve({five}, kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_EQ(For(*curve, 5).decision.tier, SettlementTier::kOverride);
  EXPECT_EQ(For(*curve, 5).decision.price, D("97"));
}

// 7Y overridden at 96.05 over prior 96 (+0.05), 4Y +0.02: 5Y (0.02 x 2 + 0.05) / 3 = 0.03 ->
// 97.03 (tier 3), and 10Y tier 2 flat from the override's +0.05 -> 94.05 in [94.00, 94.10].
TEST(SettleCurveTest, OverriddenTenorAnchorsItsNeighbours) {
  TenorInputs seven = Bare(7, "96");
  seven.inputs.override_price = D("96.05");
  auto curve = SettleCurve(
      {Traded(4, "98.02", "98"), Bare(5, "97"), seven, Quoted(10, "94.00", "94.10", "94")},
      kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  const TenorDecision& five = For(*curve, 5);
  EXPECT_EQ(five.decision.tier, SettlementTier::kInterpolated);
  EXPECT_EQ(five.decision.price, D("97.03")) << five.decision.explanation;
  EXPECT_EQ(five.neighbours, Names({4, 7}));
  EXPECT_NE(five.decision.explanation.find("LIBH21 (7Y, override, daily change +0.05)"),
            std::string::npos)
      << five.decision.explanation;
  EXPECT_EQ(For(*curve, 10).decision.price, D("94.05"));
  EXPECT_EQ(For(*curve, 10).neighbours, Names({7}));
}

// ---------------------------------------------------------------------------------------------
// Edges and errors.

TEST(SettleCurveTest, EmptyCurveSettlesNothing) {
  auto curve = SettleCurve({}, kErisTick);
  ASSERT_TRUE(curve.has_value()) << curve.error().ToString();
  EXPECT_TRUE(curve->empty());
}

struct ErrorCase {
  std::string_view name;
  std::vector<TenorInputs> tenors;
  std::string_view tick;
  Status::Code code;
  std::vector<std::string_view> message_names;  // text the message must contain
};

class SettleCurveErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SettleCurveErrorTest, RejectsAndNamesTheCause) {
  const ErrorCase& c = GetParam();
  auto curve = SettleCurve(c.tenors, D(c.tick));
  ASSERT_FALSE(curve.has_value());
  EXPECT_EQ(curve.error().code(), c.code) << curve.error().ToString();
  for (std::string_view text : c.message_names) {
    EXPECT_NE(curve.error().message().find(text), std::string::npos)
        << "'" << text << "' not in: " << curve.error().message();
  }
}

TenorInputs WithTenor(TenorInputs t, int years) {
  t.tenor_years = years;
  return t;
}

TenorInputs WithContract(TenorInputs t, std::string contract) {
  t.contract = std::move(contract);
  return t;
}

TenorInputs WithOverride(TenorInputs t, std::string_view price) {
  t.inputs.override_price = D(price);
  return t;
}

std::vector<ErrorCase> ErrorCases() {
  TenorInputs nothing{ContractFor(5), 5, {}};
  TenorInputs crossed = Quoted(7, "96.05", "96.05", "96");  // bid == ask
  return {
      ErrorCase{"ZeroTick", {Bare(5, "97")}, "0", Status::Code::kInvalidArgument, {"tick"}},
      ErrorCase{
          "NegativeTick", {Bare(5, "97")}, "-0.0001", Status::Code::kInvalidArgument, {"tick"}},
      ErrorCase{"SameTenorTwice",
                {Bare(5, "97"), WithContract(Bare(5, "97"), "LIWM21")},
                "0.0001",
                Status::Code::kInvalidArgument,
                {"5Y", "LIWH21", "LIWM21"}},
      ErrorCase{"SameContractTwice",
                {Bare(5, "97"), WithTenor(Bare(5, "97"), 7)},
                "0.0001",
                Status::Code::kInvalidArgument,
                {"LIWH21"}},
      ErrorCase{"TenorNotPositive",
                {WithTenor(Bare(5, "97"), 0)},
                "0.0001",
                Status::Code::kInvalidArgument,
                {"LIWH21"}},
      ErrorCase{"EmptyContract",
                {WithContract(Bare(5, "97"), "")},
                "0.0001",
                Status::Code::kInvalidArgument,
                {"contract"}},
      ErrorCase{"CrossedMarketOnOneTenor",
                {Traded(4, "98.02", "98"), crossed},
                "0.0001",
                Status::Code::kInvalidArgument,
                {"LIBH21 (7Y)", "bid"}},
      ErrorCase{"OverrideOffTheTick",
                {WithOverride(Bare(5, "97"), "97.00005")},
                "0.0001",
                Status::Code::kInvalidArgument,
                {"LIWH21 (5Y)", "override"}},
      // Nothing at all, not even a prior: the whole curve fails, naming the tenor.
      ErrorCase{"TenorWithNothingNeedsOverride",
                {Traded(4, "98.02", "98"), nothing, Traded(7, "96.05", "96")},
                "0.0001",
                Status::Code::kFailedPrecondition,
                {"LIWH21 (5Y)", "override"}},
      // A market but no prior: no daily change to fit, and no midpoint under 21-101.
      ErrorCase{"CurveFitWithoutPriorNeedsOverride",
                {Traded(4, "98.02", "98"), Quoted(5, "97.00", "97.10", std::nullopt)},
                "0.0001",
                Status::Code::kFailedPrecondition,
                {"LIWH21 (5Y)", "override"}},
  };
}

INSTANTIATE_TEST_SUITE_P(SettleCurveTest, SettleCurveErrorTest, ::testing::ValuesIn(ErrorCases()),
                         testing::CaseName());

}  // namespace
}  // namespace eodclear

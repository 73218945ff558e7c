#include "stages/settlement/settlement_price.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/civil_time.h"
#include "tests/testing/case_name.h"
#include "tests/testing/test_values.h"

namespace eodclear {

// Failure messages show decimals as text instead of raw bytes.
inline void PrintTo(const Decimal& d, std::ostream* os) { *os << d.ToString(); }

namespace {

constexpr auto& D = testing::Dec;

std::optional<Decimal> Prior(std::string_view text) { return D(text); }

using testing::CaseName;

// ES settles on a 0.25 tick (ops/refdata/products.csv); the tests use hand-picked values.
constexpr Decimal kEsTick = Decimal::FromUnits(25'000'000);  // 0.25

// ---------------------------------------------------------------------------------------------
// RoundToTick: table-driven. value = numerator / denominator, worked by hand in each comment.

struct RoundCase {
  std::string_view name;
  std::string_view numerator;
  int64_t denominator;
  std::string_view tick;
  std::optional<std::string_view> prior;
  std::string_view expected;
};

class RoundToTickTest : public ::testing::TestWithParam<RoundCase> {};

TEST_P(RoundToTickTest, RoundsToNearestTickWithTiesTowardPrior) {
  const RoundCase& c = GetParam();
  std::optional<Decimal> prior;
  if (c.prior) prior = D(*c.prior);
  auto rounded = RoundToTick(D(c.numerator), c.denominator, D(c.tick), prior);
  ASSERT_TRUE(rounded.has_value()) << rounded.error().ToString();
  EXPECT_EQ(*rounded, D(c.expected)) << c.numerator << " / " << c.denominator << " on tick "
                                     << c.tick << " gave " << rounded->ToString();
}

INSTANTIATE_TEST_SUITE_P(
    RoundToTickTest, RoundToTickTest,
    ::testing::Values(
        // On a tick already: unchanged.
        RoundCase{"OnTick", "4187.25", 1, "0.25", std::nullopt, "4187.25"},
        // 12563.25 / 3 = 4187.75, exactly on the tick.
        RoundCase{"FractionOnTick", "12563.25", 3, "0.25", std::nullopt, "4187.75"},
        // 4187.3: 0.05 above 4187.25, 0.20 below 4187.50 -> 4187.25.
        RoundCase{"BelowHalfRoundsDown", "4187.3", 1, "0.25", std::nullopt, "4187.25"},
        // 4187.4: 0.15 above 4187.25, 0.10 below 4187.50 -> 4187.50.
        RoundCase{"AboveHalfRoundsUp", "4187.4", 1, "0.25", std::nullopt, "4187.5"},
        // 4187.375 is exactly halfway between 4187.25 and 4187.50.
        RoundCase{"TieNoPriorRoundsUp", "4187.375", 1, "0.25", std::nullopt, "4187.5"},
        RoundCase{"TiePriorAboveRoundsUp", "4187.375", 1, "0.25", "4190", "4187.5"},
        RoundCase{"TiePriorBelowRoundsDown", "4187.375", 1, "0.25", "4180", "4187.25"},
        RoundCase{"TiePriorOnLowerTick", "4187.375", 1, "0.25", "4187.25", "4187.25"},
        RoundCase{"TiePriorOnUpperTick", "4187.375", 1, "0.25", "4187.5", "4187.5"},
        // Prior 4187.375 equals the halfway value: no direction, rounds up as with no prior.
        RoundCase{"TiePriorEqualsHalfRoundsUp", "4187.375", 1, "0.25", "4187.375", "4187.5"},
        // Prior 4187.3 lies between the lower tick and the half: nearer 4187.25.
        RoundCase{"TiePriorInsideNearerLower", "4187.375", 1, "0.25", "4187.3", "4187.25"},
        // Prior 4187.45 lies between the half and the upper tick: nearer 4187.50.
        RoundCase{"TiePriorInsideNearerUpper", "4187.375", 1, "0.25", "4187.45", "4187.5"},
        // 8374.75 / 2 = 4187.375, a tie reached through the denominator; prior below -> down.
        RoundCase{"TieFromDenominator", "8374.75", 2, "0.25", "4100", "4187.25"},
        // A prior far from the value still only breaks ties: 4187.3 rounds to 4187.25.
        RoundCase{"PriorIgnoredWhenNotATie", "4187.3", 1, "0.25", "5000", "4187.25"},
        // 1 / 3 = 0.333... -> 0.33 on a 0.01 tick; 2 / 3 = 0.666... -> 0.67.
        RoundCase{"OneThird", "1", 3, "0.01", std::nullopt, "0.33"},
        RoundCase{"TwoThirds", "2", 3, "0.01", std::nullopt, "0.67"},
        // Whole-point tick (YM): 101 / 2 = 50.5, a tie; prior 50 -> 50.
        RoundCase{"WholePointTieTowardPrior", "101", 2, "1", "50", "50"},
        // Negative: -0.1 is 0.10 from 0 and 0.15 from -0.25 -> 0.
        RoundCase{"NegativeNearerZero", "-0.1", 1, "0.25", std::nullopt, "0"},
        // -0.2 is 0.20 from 0 and 0.05 from -0.25 -> -0.25.
        RoundCase{"NegativeNearerMinusTick", "-0.2", 1, "0.25", std::nullopt, "-0.25"},
        // -0.125 is halfway between -0.25 and 0: up (toward +infinity) with no prior.
        RoundCase{"NegativeTieNoPriorRoundsUp", "-0.125", 1, "0.25", std::nullopt, "0"},
        RoundCase{"NegativeTiePriorBelow", "-0.125", 1, "0.25", "-1", "-0.25"},
        // WTI-like: -75.27 / 2 = -37.635, halfway between -37.64 and -37.63.
        RoundCase{"NegativeTieFromDenominatorPriorAbove", "-75.27", 2, "0.01", "-10", "-37.63"},
        RoundCase{"NegativeTieFromDenominatorPriorBelow", "-75.27", 2, "0.01", "-40", "-37.64"},
        RoundCase{"NegativeOnTick", "-37.63", 1, "0.01", std::nullopt, "-37.63"},
        // Large: 10^20 + 0.125 is a tie between 10^20 and 10^20 + 0.25; up with no prior.
        RoundCase{"LargeTieNoPrior", "100000000000000000000.125", 1, "0.25", std::nullopt,
                  "100000000000000000000.25"},
        RoundCase{"LargeTiePriorBelow", "100000000000000000000.125", 1, "0.25", "1",
                  "100000000000000000000"},
        // Large negative: -(10^20 - 0.1) is 0.10 from -10^20 and 0.15 from -(10^20 - 0.25).
        RoundCase{"LargeNegative", "-99999999999999999999.9", 1, "0.25", std::nullopt,
                  "-100000000000000000000"},
        // 4187.375 x 10^12 / 10^12 = 4187.375, a tie; prior 4187 -> 4187.25.
        RoundCase{"LargeDenominatorTie", "4187375000000000", 1'000'000'000'000, "0.25", "4187",
                  "4187.25"},
        // 4187.25 x 9 x 10^18 / (9 x 10^18) = 4187.25 exactly (denominator near int64's max).
        RoundCase{"HugeDenominatorExact", "37685250000000000000000", 9'000'000'000'000'000'000,
                  "0.25", std::nullopt, "4187.25"},
        // (4187.25 x 9 x 10^18 + 1) / (9 x 10^18) is 4187.25 plus a hair -> 4187.25.
        RoundCase{"HugeDenominatorJustAboveTick", "37685250000000000000001",
                  9'000'000'000'000'000'000, "0.25", std::nullopt, "4187.25"}),
    CaseName());

struct RoundErrorCase {
  std::string_view name;
  std::string_view numerator;
  int64_t denominator;
  std::string_view tick;
};

class RoundToTickErrorTest : public ::testing::TestWithParam<RoundErrorCase> {};

TEST_P(RoundToTickErrorTest, RejectsWithInvalidArgument) {
  const RoundErrorCase& c = GetParam();
  auto rounded = RoundToTick(D(c.numerator), c.denominator, D(c.tick), std::nullopt);
  ASSERT_FALSE(rounded.has_value()) << "gave " << rounded->ToString();
  EXPECT_EQ(rounded.error().code(), Status::Code::kInvalidArgument) << rounded.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    RoundToTickTest, RoundToTickErrorTest,
    ::testing::Values(RoundErrorCase{"ZeroDenominator", "1", 0, "0.25"},
                      RoundErrorCase{"NegativeDenominator", "1", -2, "0.25"},
                      RoundErrorCase{"ZeroTick", "1", 1, "0"},
                      RoundErrorCase{"NegativeTick", "1", 1, "-0.25"},
                      // 9.2 x 10^18 x 10^28 units overflows Int128 (about 1.7 x 10^38).
                      RoundErrorCase{"DenominatorTimesTickOutOfRange", "1",
                                     std::numeric_limits<int64_t>::max(), "100000000000000000000"}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// SettleOutright, tier 1: VWAP in the window, clamped to the bid/ask.

OutrightSettlementInputs Inputs(std::vector<WindowTrade> trades, std::optional<BidAsk> market,
                                std::optional<Decimal> prior) {
  OutrightSettlementInputs in;
  in.window_trades = std::move(trades);
  in.market_at_window_end = market;
  in.prior_settlement = prior;
  return in;
}

TEST(SettleOutrightTest, VwapOnTickWithinMarket) {
  // (4187.00 x 2 + 4187.50 x 2) / 4 = 16749 / 4 = 4187.25, on the tick, inside 4187.00/4187.50.
  auto d = SettleOutright(
      Inputs({{D("4187"), 2}, {D("4187.5"), 2}}, BidAsk{D("4187"), D("4187.5")}, Prior("4180")),
      kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.25"));
  EXPECT_EQ(d->tier, SettlementTier::kVwap);
  EXPECT_FALSE(d->stale);
  EXPECT_EQ(d->vwap, D("4187.25"));
  EXPECT_EQ(d->window_volume, 4);
  EXPECT_EQ(d->window_trades, 2);
  EXPECT_EQ(d->bid, D("4187"));
  EXPECT_EQ(d->ask, D("4187.5"));
  EXPECT_EQ(d->prior, D("4180"));
  EXPECT_EQ(d->explanation,
            "vwap: VWAP of 2 trades (4 contracts) in the window rounds to 4187.25 on the 0.25 "
            "tick, within bid 4187 / ask 4187.5; prior settlement 4180");
}

TEST(SettleOutrightTest, VwapBetweenTicksRoundsDownToNearest) {
  // (4187.00 x 3 + 4187.25 x 1) / 4 = 16748.25 / 4 = 4187.0625: 0.0625 from 4187.00 -> 4187.00.
  auto d = SettleOutright(
      Inputs({{D("4187"), 3}, {D("4187.25"), 1}}, BidAsk{D("4186.75"), D("4187.5")}, Prior("4190")),
      kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187"));
  EXPECT_EQ(d->vwap, D("4187"));
  EXPECT_EQ(d->window_volume, 4);
}

TEST(SettleOutrightTest, VwapBetweenTicksRoundsUpToNearest) {
  // (4187.25 x 1 + 4187.50 x 2) / 3 = 12562.25 / 3 = 4187.41666...: 0.0833 from 4187.50,
  // 0.1667 from 4187.25 -> 4187.50 (prior below does not matter: not a tie).
  auto d = SettleOutright(Inputs({{D("4187.25"), 1}, {D("4187.5"), 2}},
                                 BidAsk{D("4187.25"), D("4187.75")}, Prior("4100")),
                          kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.5"));
  EXPECT_EQ(d->window_trades, 2);
  EXPECT_EQ(d->window_volume, 3);
}

// (4187.00 x 1 + 4187.25 x 2 + 4188.00 x 1) / 4 = 16749.5 / 4 = 4187.375: exactly halfway
// between 4187.25 and 4187.50. The market 4187.00 / 4188.00 does not bind.
struct VwapTieCase {
  std::string_view name;
  std::optional<std::string_view> prior;
  std::string_view expected;
};

class SettleOutrightVwapTieTest : public ::testing::TestWithParam<VwapTieCase> {};

TEST_P(SettleOutrightVwapTieTest, HalfTickVwapRoundsTowardPrior) {
  const VwapTieCase& c = GetParam();
  std::optional<Decimal> prior;
  if (c.prior) prior = D(*c.prior);
  auto d = SettleOutright(Inputs({{D("4187"), 1}, {D("4187.25"), 2}, {D("4188"), 1}},
                                 BidAsk{D("4187"), D("4188")}, prior),
                          kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D(c.expected));
  EXPECT_EQ(d->vwap, D(c.expected));
  EXPECT_EQ(d->tier, SettlementTier::kVwap);
  EXPECT_EQ(d->window_volume, 4);
  EXPECT_EQ(d->window_trades, 3);
}

INSTANTIATE_TEST_SUITE_P(SettleOutrightTest, SettleOutrightVwapTieTest,
                         ::testing::Values(VwapTieCase{"PriorAbove", "4190", "4187.5"},
                                           VwapTieCase{"PriorBelow", "4180", "4187.25"},
                                           VwapTieCase{"PriorOnLowerTick", "4187.25", "4187.25"},
                                           // Prior = the halfway value: up, as with no prior.
                                           VwapTieCase{"PriorEqualsHalf", "4187.375", "4187.5"},
                                           VwapTieCase{"NoPriorRoundsUp", std::nullopt, "4187.5"}),
                         CaseName());

TEST(SettleOutrightTest, VwapBelowBestBidSettlesAtBid) {
  // (4186.00 x 2 + 4186.50 x 2) / 4 = 4186.25 < bid 4187.00 -> 4187.00.
  auto d = SettleOutright(
      Inputs({{D("4186"), 2}, {D("4186.5"), 2}}, BidAsk{D("4187"), D("4187.5")}, Prior("4185")),
      kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187"));
  EXPECT_EQ(d->tier, SettlementTier::kVwap);
  EXPECT_EQ(d->vwap, D("4186.25"));
  EXPECT_EQ(d->bid, D("4187"));
  EXPECT_EQ(d->ask, D("4187.5"));
  EXPECT_EQ(d->explanation,
            "vwap: VWAP of 2 trades (4 contracts) in the window rounds to 4186.25 on the 0.25 "
            "tick, below the best bid 4187: settles at the bid 4187; prior settlement 4185");
}

TEST(SettleOutrightTest, VwapAboveBestAskSettlesAtAsk) {
  // 4189.00 x 1 / 1 = 4189.00 > ask 4187.50 -> 4187.50.
  auto d = SettleOutright(Inputs({{D("4189"), 1}}, BidAsk{D("4187"), D("4187.5")}, Prior("4185")),
                          kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.5"));
  EXPECT_EQ(d->vwap, D("4189"));
  EXPECT_NE(d->explanation.find("above the best ask 4187.5"), std::string::npos) << d->explanation;
}

TEST(SettleOutrightTest, ExactVwapJustBelowBidRoundsOntoBid) {
  // (4186.75 x 2 + 4187.00 x 3) / 5 = 20934.5 / 5 = 4186.9: below the bid 4187.00 exactly, but it
  // rounds to 4187.00 (0.10 away vs 0.15), which is the bid: the same price either way.
  auto d = SettleOutright(
      Inputs({{D("4186.75"), 2}, {D("4187"), 3}}, BidAsk{D("4187"), D("4187.5")}, Prior("4185")),
      kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187"));
  EXPECT_EQ(d->vwap, D("4187"));
}

TEST(SettleOutrightTest, VwapWithoutTwoSidedMarketStands) {
  // 4189.00 with no market to clamp it.
  auto d = SettleOutright(Inputs({{D("4189"), 5}}, std::nullopt, Prior("4185")), kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4189"));
  EXPECT_EQ(d->tier, SettlementTier::kVwap);
  EXPECT_FALSE(d->bid.has_value());
  EXPECT_FALSE(d->ask.has_value());
  EXPECT_EQ(d->window_volume, 5);
}

TEST(SettleOutrightTest, BidOffSettlementTickIsRoundedToTheTick) {
  // Settlement tick 0.5; VWAP 100.0 < bid 100.3 -> the bid, rounded: 100.3 is 0.2 from 100.5 and
  // 0.3 from 100.0 -> 100.5 (still inside bid 100.3 / ask 101).
  auto d =
      SettleOutright(Inputs({{D("100"), 1}}, BidAsk{D("100.3"), D("101")}, Prior("99")), D("0.5"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("100.5"));
  EXPECT_EQ(d->bid, D("100.3"));
}

// ---------------------------------------------------------------------------------------------
// Tier 2: no trade in the window, two-sided market at its end.

TEST(SettleOutrightTest, BidAskMidpointOnTick) {
  // (4187.00 + 4187.50) / 2 = 4187.25.
  auto d = SettleOutright(Inputs({}, BidAsk{D("4187"), D("4187.5")}, Prior("4180")), kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.25"));
  EXPECT_EQ(d->tier, SettlementTier::kBidAsk);
  EXPECT_FALSE(d->stale);
  EXPECT_FALSE(d->vwap.has_value());
  EXPECT_EQ(d->window_volume, 0);
  EXPECT_EQ(d->window_trades, 0);
  EXPECT_EQ(d->bid, D("4187"));
  EXPECT_EQ(d->ask, D("4187.5"));
  EXPECT_EQ(d->explanation,
            "bid_ask: no trade in the window; the midpoint of bid 4187 and ask 4187.5 rounds to "
            "4187.25 on the 0.25 tick; prior settlement 4180");
}

// (4187.00 + 4187.25) / 2 = 4187.125: halfway between 4187.00 and 4187.25.
struct MidpointTieCase {
  std::string_view name;
  std::optional<std::string_view> prior;
  std::string_view expected;
};

class SettleOutrightMidpointTieTest : public ::testing::TestWithParam<MidpointTieCase> {};

TEST_P(SettleOutrightMidpointTieTest, HalfTickMidpointRoundsTowardPrior) {
  const MidpointTieCase& c = GetParam();
  std::optional<Decimal> prior;
  if (c.prior) prior = D(*c.prior);
  auto d = SettleOutright(Inputs({}, BidAsk{D("4187"), D("4187.25")}, prior), kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D(c.expected));
  EXPECT_EQ(d->tier, SettlementTier::kBidAsk);
}

INSTANTIATE_TEST_SUITE_P(
    SettleOutrightTest, SettleOutrightMidpointTieTest,
    ::testing::Values(MidpointTieCase{"PriorAbove", "4190", "4187.25"},
                      MidpointTieCase{"PriorBelow", "4180", "4187"},
                      MidpointTieCase{"PriorEqualsHalf", "4187.125", "4187.25"},
                      MidpointTieCase{"NoPriorRoundsUp", std::nullopt, "4187.25"}),
    CaseName());

// ---------------------------------------------------------------------------------------------
// Tier 4: nothing to go on.

TEST(SettleOutrightTest, NothingToGoOnCarriesPriorStale) {
  auto d = SettleOutright(Inputs({}, std::nullopt, Prior("4187.25")), kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.25"));
  EXPECT_EQ(d->tier, SettlementTier::kCarried);
  EXPECT_TRUE(d->stale);
  EXPECT_EQ(d->prior, D("4187.25"));
  EXPECT_FALSE(d->vwap.has_value());
  EXPECT_FALSE(d->bid.has_value());
  EXPECT_EQ(d->explanation,
            "carried: no trade in the window and no two-sided market at its end; prior "
            "settlement 4187.25 carried, stale");
}

TEST(SettleOutrightTest, CarriedPriorOffTickIsRoundedToTheTick) {
  // A prior of 4187.30 (settlement tick since changed to 0.25): 0.05 from 4187.25 -> 4187.25.
  auto d = SettleOutright(Inputs({}, std::nullopt, Prior("4187.3")), kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.25"));
  EXPECT_TRUE(d->stale);
  EXPECT_EQ(d->prior, D("4187.3"));
  EXPECT_NE(d->explanation.find("carried as 4187.25"), std::string::npos) << d->explanation;
}

TEST(SettleOutrightTest, FirstDayWithNothingNeedsOverride) {
  auto d = SettleOutright(Inputs({}, std::nullopt, std::nullopt), kEsTick);
  ASSERT_FALSE(d.has_value()) << "settled at " << d->price.ToString();
  EXPECT_EQ(d.error().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(d.error().message().find("no settlement possible"), std::string::npos);
  EXPECT_NE(d.error().message().find("an operator override is needed"), std::string::npos);
}

TEST(SettleOutrightTest, FirstDayWithTradesSettlesWithoutPrior) {
  // 4187.375 (tie, see the VWAP tie cases) with no prior rounds up to 4187.50; nothing to record.
  auto d = SettleOutright(
      Inputs({{D("4187"), 1}, {D("4187.25"), 2}, {D("4188"), 1}}, std::nullopt, std::nullopt),
      kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.5"));
  EXPECT_FALSE(d->prior.has_value());
  EXPECT_NE(d->explanation.find("no prior settlement"), std::string::npos) << d->explanation;
}

// ---------------------------------------------------------------------------------------------
// Operator override.

TEST(SettleOutrightTest, OverrideWinsOverTrades) {
  // The VWAP would give 4187.25 (see VwapOnTickWithinMarket); the override 4200 wins.
  OutrightSettlementInputs in =
      Inputs({{D("4187"), 2}, {D("4187.5"), 2}}, BidAsk{D("4187"), D("4187.5")}, Prior("4180"));
  in.override_price = D("4200");
  auto d = SettleOutright(in, kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4200"));
  EXPECT_EQ(d->tier, SettlementTier::kOverride);
  EXPECT_FALSE(d->stale);
  EXPECT_FALSE(d->vwap.has_value());
  EXPECT_EQ(d->prior, D("4180"));
  EXPECT_EQ(d->explanation, "override: operator override 4200 (prior settlement 4180)");
}

TEST(SettleOutrightTest, OverrideWinsOnFirstDayWithNothing) {
  OutrightSettlementInputs in = Inputs({}, std::nullopt, std::nullopt);
  in.override_price = D("-1.5");
  auto d = SettleOutright(in, kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("-1.5"));
  EXPECT_EQ(d->tier, SettlementTier::kOverride);
}

TEST(SettleOutrightTest, OverrideWinsOverUnusableInputs) {
  // A zero-quantity trade and a crossed market would be errors; the override does not read them.
  OutrightSettlementInputs in =
      Inputs({{D("4187"), 0}}, BidAsk{D("4188"), D("4187")}, Prior("4180"));
  in.override_price = D("4187.75");
  auto d = SettleOutright(in, kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.75"));
}

TEST(SettleOutrightTest, OverrideOffTickIsRejected) {
  OutrightSettlementInputs in = Inputs({{D("4187"), 2}}, std::nullopt, Prior("4180"));
  in.override_price = D("4200.1");
  auto d = SettleOutright(in, kEsTick);
  ASSERT_FALSE(d.has_value()) << "settled at " << d->price.ToString();
  EXPECT_EQ(d.error().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(d.error().message().find("4200.1"), std::string::npos) << d.error().message();
}

// ---------------------------------------------------------------------------------------------
// Invalid inputs.

TEST(SettleOutrightTest, NonPositiveSettlementTickIsRejected) {
  auto d = SettleOutright(Inputs({}, std::nullopt, Prior("1")), D("0"));
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), Status::Code::kInvalidArgument);
}

TEST(SettleOutrightTest, NonPositiveTradeQuantityIsRejected) {
  auto d = SettleOutright(Inputs({{D("4187"), 1}, {D("4187.25"), 0}}, std::nullopt, Prior("1")),
                          kEsTick);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), Status::Code::kInvalidArgument);
}

TEST(SettleOutrightTest, CrossedOrLockedMarketIsRejected) {
  auto crossed = SettleOutright(Inputs({}, BidAsk{D("4188"), D("4187")}, Prior("1")), kEsTick);
  ASSERT_FALSE(crossed.has_value());
  EXPECT_EQ(crossed.error().code(), Status::Code::kInvalidArgument);
  auto locked = SettleOutright(Inputs({}, BidAsk{D("4187"), D("4187")}, Prior("1")), kEsTick);
  ASSERT_FALSE(locked.has_value());
  EXPECT_EQ(locked.error().code(), Status::Code::kInvalidArgument);
}

TEST(SettleOutrightTest, WindowNotionalOutOfRangeIsRejected) {
  // 10^29 x (2^63 - 1) is far beyond Int128's 1.7 x 10^38 units.
  auto d = SettleOutright(
      Inputs({{D("100000000000000000000000000000"), std::numeric_limits<int64_t>::max()}},
             std::nullopt, Prior("1")),
      kEsTick);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code(), Status::Code::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Negative prices (0.01 tick, WTI-like).

TEST(SettleOutrightTest, NegativeVwapTieRoundsTowardPrior) {
  // (-37.63 - 37.64) / 2 = -37.635, halfway between -37.64 and -37.63; inside -37.70 / -37.60.
  const std::vector<WindowTrade> trades = {{D("-37.63"), 1}, {D("-37.64"), 1}};
  const BidAsk market{D("-37.7"), D("-37.6")};
  auto above = SettleOutright(Inputs(trades, market, Prior("-10")), D("0.01"));
  ASSERT_TRUE(above.has_value()) << above.error().ToString();
  EXPECT_EQ(above->price, D("-37.63"));
  auto below = SettleOutright(Inputs(trades, market, Prior("-40")), D("0.01"));
  ASSERT_TRUE(below.has_value()) << below.error().ToString();
  EXPECT_EQ(below->price, D("-37.64"));
  auto none = SettleOutright(Inputs(trades, market, std::nullopt), D("0.01"));
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_EQ(none->price, D("-37.63"));  // up, toward +infinity
}

TEST(SettleOutrightTest, NegativeVwapBelowBidSettlesAtBid) {
  // -38.00 < bid -37.70 -> -37.70.
  auto d = SettleOutright(Inputs({{D("-38"), 3}}, BidAsk{D("-37.7"), D("-37.6")}, Prior("-37")),
                          D("0.01"));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("-37.7"));
  EXPECT_EQ(d->vwap, D("-38"));
}

TEST(SettleOutrightTest, NegativeMidpointTie) {
  // (-0.25 + 0) / 2 = -0.125, halfway between -0.25 and 0 on a 0.25 tick.
  auto none = SettleOutright(Inputs({}, BidAsk{D("-0.25"), D("0")}, std::nullopt), kEsTick);
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_EQ(none->price, D("0"));
  auto below = SettleOutright(Inputs({}, BidAsk{D("-0.25"), D("0")}, Prior("-1")), kEsTick);
  ASSERT_TRUE(below.has_value()) << below.error().ToString();
  EXPECT_EQ(below->price, D("-0.25"));
}

// ---------------------------------------------------------------------------------------------
// Micro contracts settle at the parent.

TEST(SettleFromParentTest, MicroTakesParentPriceAndInputs) {
  auto es = SettleOutright(
      Inputs({{D("4187"), 2}, {D("4187.5"), 2}}, BidAsk{D("4187"), D("4187.5")}, Prior("4180")),
      kEsTick);
  ASSERT_TRUE(es.has_value()) << es.error().ToString();
  SettlementDecision mes = SettleFromParent(*es, "ESM23");
  EXPECT_EQ(mes.price, D("4187.25"));
  EXPECT_EQ(mes.tier, SettlementTier::kParent);
  EXPECT_FALSE(mes.stale);
  EXPECT_EQ(mes.vwap, D("4187.25"));
  EXPECT_EQ(mes.window_volume, 4);
  EXPECT_EQ(mes.window_trades, 2);
  EXPECT_EQ(mes.bid, D("4187"));
  EXPECT_EQ(mes.ask, D("4187.5"));
  EXPECT_EQ(mes.prior, D("4180"));
  EXPECT_EQ(mes.explanation,
            "parent: settles at ESM23's settlement 4187.25, decided by tier vwap (" +
                es->explanation + ")");
}

TEST(SettleFromParentTest, MicroOfCarriedParentIsStale) {
  auto es = SettleOutright(Inputs({}, std::nullopt, Prior("4187.25")), kEsTick);
  ASSERT_TRUE(es.has_value()) << es.error().ToString();
  SettlementDecision mes = SettleFromParent(*es, "ESU23");
  EXPECT_EQ(mes.price, D("4187.25"));
  EXPECT_EQ(mes.tier, SettlementTier::kParent);
  EXPECT_TRUE(mes.stale);
  EXPECT_NE(mes.explanation.find("decided by tier carried"), std::string::npos) << mes.explanation;
}

// ---------------------------------------------------------------------------------------------
// Tier names are persisted.

TEST(SettlementTierNameTest, NamesAreTheWireNames) {
  EXPECT_EQ(SettlementTierName(SettlementTier::kOverride), "override");
  EXPECT_EQ(SettlementTierName(SettlementTier::kVwap), "vwap");
  EXPECT_EQ(SettlementTierName(SettlementTier::kBidAsk), "bid_ask");
  EXPECT_EQ(SettlementTierName(SettlementTier::kCurveFit), "curve_fit");
  EXPECT_EQ(SettlementTierName(SettlementTier::kInterpolated), "interpolated");
  EXPECT_EQ(SettlementTierName(SettlementTier::kCarried), "carried");
  EXPECT_EQ(SettlementTierName(SettlementTier::kParent), "parent");
}

// ---------------------------------------------------------------------------------------------
// TradesInWindow: [start, end], both inclusive.

int64_t Nanos(std::string_view iso) {
  auto t = ZonedTime::Parse(iso);
  EXPECT_TRUE(t.has_value()) << "test time '" << iso << "' does not parse";
  return t ? t->unix_nanos : 0;
}

TEST(TradesInWindowTest, KeepsPrintsWithinInclusiveBoundsInOrder) {
  // CME equity window 14:59:30-15:00:00 CT (CDT, -05:00) on 2023-06-16.
  const int64_t start = Nanos("2023-06-16T14:59:30-05:00");
  const int64_t end = Nanos("2023-06-16T15:00:00-05:00");
  const std::vector<TimedPrint> prints = {
      {start - 1, D("4186"), 1},                               // 1 ns before: out
      {start, D("4187"), 2},                                   // at the start: in
      {Nanos("2023-06-16T14:59:45.5-05:00"), D("4187.5"), 3},  // inside: in
      {end, D("4187.25"), 4},                                  // at the end: in
      {end + 1, D("4190"), 5},                                 // 1 ns after: out
  };
  auto in_window = TradesInWindow(prints, start, end);
  ASSERT_TRUE(in_window.has_value()) << in_window.error().ToString();
  ASSERT_EQ(in_window->size(), 3u);
  EXPECT_EQ((*in_window)[0].price, D("4187"));
  EXPECT_EQ((*in_window)[0].quantity, 2);
  EXPECT_EQ((*in_window)[1].price, D("4187.5"));
  EXPECT_EQ((*in_window)[1].quantity, 3);
  EXPECT_EQ((*in_window)[2].price, D("4187.25"));
  EXPECT_EQ((*in_window)[2].quantity, 4);

  // Through tier 1: (4187 x 2 + 4187.5 x 3 + 4187.25 x 4) / 9 = 37685.5 / 9 = 4187.2777...:
  // 0.0278 from 4187.25 -> 4187.25.
  auto d =
      SettleOutright(Inputs(*in_window, BidAsk{D("4187"), D("4187.5")}, Prior("4180")), kEsTick);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->price, D("4187.25"));
  EXPECT_EQ(d->window_volume, 9);
  EXPECT_EQ(d->window_trades, 3);
}

TEST(TradesInWindowTest, InstantWindowKeepsOnlyThatInstant) {
  const std::vector<TimedPrint> prints = {{99, D("1"), 1}, {100, D("2"), 1}, {101, D("3"), 1}};
  auto in_window = TradesInWindow(prints, 100, 100);
  ASSERT_TRUE(in_window.has_value()) << in_window.error().ToString();
  ASSERT_EQ(in_window->size(), 1u);
  EXPECT_EQ((*in_window)[0].price, D("2"));
}

TEST(TradesInWindowTest, NoPrintsInWindowIsEmpty) {
  const std::vector<TimedPrint> prints = {{10, D("1"), 1}};
  auto in_window = TradesInWindow(prints, 100, 200);
  ASSERT_TRUE(in_window.has_value()) << in_window.error().ToString();
  EXPECT_TRUE(in_window->empty());
}

TEST(TradesInWindowTest, StartAfterEndIsRejected) {
  auto in_window = TradesInWindow({}, 200, 100);
  ASSERT_FALSE(in_window.has_value());
  EXPECT_EQ(in_window.error().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace eodclear

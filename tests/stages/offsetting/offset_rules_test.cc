#include "stages/offsetting/offset_rules.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/case_name.h"
#include "tests/testing/temp_dir.h"

namespace eodclear {

inline namespace {

using Legs = std::vector<OffsetLeg>;
using Positions = std::vector<AccountPosition>;

constexpr std::string_view kHeader = "code,ratio,offset_to,reciprocal_ratio,source\n";

// The Rule 855 rows of CME Submission 23-157 (seed 000): 10 MMC = 1 ME, 10 MSC = 1 SMC.
constexpr std::string_view kSeedRows =
    "MMC,10,ME,0.1,test: Submission 23-157\n"
    "ME,0.1,MMC,10,test: Submission 23-157\n"
    "MSC,10,SMC,0.1,test: Submission 23-157\n"
    "SMC,0.1,MSC,10,test: Submission 23-157\n";

// ES in two pairs: with MES (10 MES = 1 ES) and with SP (5 ES = 1 SP), MES/ES listed first.
constexpr std::string_view kMesFirstRows =
    "MES,10,ES,0.1,test\n"
    "ES,0.1,MES,10,test\n"
    "ES,5,SP,0.2,test\n"
    "SP,0.2,ES,5,test\n";

// The same pairs with ES/SP listed first.
constexpr std::string_view kSpFirstRows =
    "SP,0.2,ES,5,test\n"
    "ES,5,SP,0.2,test\n"
    "MES,10,ES,0.1,test\n"
    "ES,0.1,MES,10,test\n";

// A ratio that is not a whole number: 2.5 AAA = 1 BBB, so the block is 5 AAA : 2 BBB.
constexpr std::string_view kFractionalRows =
    "AAA,2.5,BBB,0.4,test\n"
    "BBB,0.4,AAA,2.5,test\n";

AccountPosition Pos(std::string_view account, std::string_view contract, int64_t quantity,
                    std::string_view firm = "CLR01") {
  return AccountPosition{std::string(firm), std::string(account), std::string(contract), quantity};
}

// Tables are written into a fresh temporary folder, never read from ops/.
class OffsetRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { seed_ = Table(kSeedRows); }

  OffsetTable Table(std::string_view rows) {
    std::string path = temp_.Write("offsets" + std::to_string(files_++) + ".csv",
                                   std::string(kHeader) + std::string(rows));
    auto table = OffsetTable::Load(path);
    EXPECT_TRUE(table.has_value()) << table.error().ToString();
    return table.value_or(OffsetTable());
  }

  static std::vector<Offset> MustAuto(const Positions& positions, const OffsetTable& table) {
    auto offsets = AutoOffsets(positions, table);
    EXPECT_TRUE(offsets.has_value()) << offsets.error().ToString();
    return offsets.value_or(std::vector<Offset>());
  }

  // Quantity of (account, contract) in `positions`; 0 when absent.
  static int64_t Held(const Positions& positions, std::string_view account,
                      std::string_view contract) {
    int64_t q = 0;
    for (const AccountPosition& p : positions) {
      if (p.account == account && p.contract == contract) q += p.quantity;
    }
    return q;
  }

  testing::TempDir temp_{"offset_rules_test"};
  int files_ = 0;
  OffsetTable seed_;
};

void ExpectOffset(const Offset& o, std::string_view account, std::string_view pair,
                  const Legs& legs) {
  EXPECT_EQ(o.firm, "CLR01");
  EXPECT_EQ(o.account, account);
  EXPECT_EQ(o.pair, pair);
  EXPECT_EQ(o.legs, legs);
}

// ---------------------------------------------------------------------------------------------
// AutoOffsets

// The example: 25 MMC long against 2 ME short offsets 20 MMC and 2 ME; 5 MMC stay.
TEST_F(OffsetRulesTest, SeedExampleOffsetsTwentyMicrosAgainstTwoEminisAndKeepsFive) {
  Positions positions = {Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", -2)};
  std::vector<Offset> offsets = MustAuto(positions, seed_);
  ASSERT_EQ(offsets.size(), 1u);
  ExpectOffset(offsets[0], "A1", "MMC/ME", {{"MMCZ23", -20}, {"MEZ23", 2}});

  Positions after = PositionsAfterOffsets(positions, offsets);
  EXPECT_EQ(Held(after, "A1", "MMCZ23"), 5);
  EXPECT_EQ(Held(after, "A1", "MEZ23"), 0);
  // What is left cannot offset again.
  EXPECT_TRUE(MustAuto(after, seed_).empty());
}

// Short the micro, long the E-mini: 30 MMC short = 3 ME long, both sides go flat.
TEST_F(OffsetRulesTest, ShortMicroLongEminiOffsetsTheOtherWay) {
  Positions positions = {Pos("A1", "MEZ23", 3), Pos("A1", "MMCZ23", -30)};
  std::vector<Offset> offsets = MustAuto(positions, seed_);
  ASSERT_EQ(offsets.size(), 1u);
  ExpectOffset(offsets[0], "A1", "MMC/ME", {{"MMCZ23", 30}, {"MEZ23", -3}});
  Positions after = PositionsAfterOffsets(positions, offsets);
  EXPECT_EQ(Held(after, "A1", "MMCZ23"), 0);
  EXPECT_EQ(Held(after, "A1", "MEZ23"), 0);
}

// 37 MMC long, 5 ME short: min(37 / 10, 5 / 1) = 3 blocks; 7 MMC and -2 ME remain.
TEST_F(OffsetRulesTest, PartialOffsetLeavesRemaindersOnBothSides) {
  Positions positions = {Pos("A1", "MMCZ23", 37), Pos("A1", "MEZ23", -5)};
  std::vector<Offset> offsets = MustAuto(positions, seed_);
  ASSERT_EQ(offsets.size(), 1u);
  ExpectOffset(offsets[0], "A1", "MMC/ME", {{"MMCZ23", -30}, {"MEZ23", 3}});
  Positions after = PositionsAfterOffsets(positions, offsets);
  EXPECT_EQ(Held(after, "A1", "MMCZ23"), 7);
  EXPECT_EQ(Held(after, "A1", "MEZ23"), -2);
}

// Fewer than one block of micros: 9 MMC long against 4 ME short offsets nothing.
TEST_F(OffsetRulesTest, LessThanOneBlockOffsetsNothing) {
  EXPECT_TRUE(MustAuto({Pos("A1", "MMCZ23", 9), Pos("A1", "MEZ23", -4)}, seed_).empty());
}

TEST_F(OffsetRulesTest, BothLongOrBothShortOffsetsNothing) {
  EXPECT_TRUE(MustAuto({Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", 2)}, seed_).empty());
  EXPECT_TRUE(MustAuto({Pos("A1", "MMCZ23", -25), Pos("A1", "MEZ23", -2)}, seed_).empty());
  EXPECT_TRUE(MustAuto({Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", 0)}, seed_).empty());
}

TEST_F(OffsetRulesTest, DifferentMonthsNeverOffset) {
  EXPECT_TRUE(MustAuto({Pos("A1", "MMCZ23", 20), Pos("A1", "MEH24", -2)}, seed_).empty());
  EXPECT_TRUE(MustAuto({Pos("A1", "MMCZ23", 20), Pos("A1", "MEZ24", -2)}, seed_).empty());
}

// Each month is offset on its own, in date order: Z23 (Dec 2023) before H24 (Mar 2024).
TEST_F(OffsetRulesTest, EachContractMonthOffsetsSeparately) {
  Positions positions = {Pos("A1", "MMCH24", -20), Pos("A1", "MEH24", 3), Pos("A1", "MMCZ23", 10),
                         Pos("A1", "MEZ23", -1)};
  std::vector<Offset> offsets = MustAuto(positions, seed_);
  ASSERT_EQ(offsets.size(), 2u);
  ExpectOffset(offsets[0], "A1", "MMC/ME", {{"MMCZ23", -10}, {"MEZ23", 1}});
  ExpectOffset(offsets[1], "A1", "MMC/ME", {{"MMCH24", 20}, {"MEH24", -2}});
}

// Two accounts of one firm (and, as far as these rules know, one owner) never offset each other.
TEST_F(OffsetRulesTest, NeverOffsetsAcrossAccounts) {
  EXPECT_TRUE(MustAuto({Pos("A1", "MMCZ23", 20), Pos("A2", "MEZ23", -2)}, seed_).empty());
  // Same account id under two firms: two accounts.
  EXPECT_TRUE(
      MustAuto({Pos("A1", "MMCZ23", 20, "CLR01"), Pos("A1", "MEZ23", -2, "CLR02")}, seed_).empty());
}

// Several accounts and pairs: accounts sorted by firm then account, pairs in table order.
TEST_F(OffsetRulesTest, OffsetsEveryAccountAndPairIndependently) {
  Positions positions = {Pos("B2", "MEZ23", 1),   Pos("B2", "MMCZ23", -15), Pos("A1", "SMCZ23", -4),
                         Pos("A1", "MSCZ23", 40), Pos("A1", "MMCZ23", 10),  Pos("A1", "MEZ23", -3),
                         Pos("A1", "ESZ23", 7)};
  std::vector<Offset> offsets = MustAuto(positions, seed_);
  ASSERT_EQ(offsets.size(), 3u);
  ExpectOffset(offsets[0], "A1", "MMC/ME", {{"MMCZ23", -10}, {"MEZ23", 1}});
  ExpectOffset(offsets[1], "A1", "MSC/SMC", {{"MSCZ23", -40}, {"SMCZ23", 4}});
  ExpectOffset(offsets[2], "B2", "MMC/ME", {{"MMCZ23", 10}, {"MEZ23", -1}});
}

// ES pairs with MES and with SP. Long 30 MES, short 5 ES, long 1 SP (all Z23).
// MES/ES first: min(30/10, 5/1) = 3 blocks -> MES -30, ES +3; ES left -2 < the 5 ES block of SP.
TEST_F(OffsetRulesTest, OverlappingPairsApplyInTableOrderOnRemainingQuantities) {
  Positions positions = {Pos("A1", "MESZ23", 30), Pos("A1", "ESZ23", -5), Pos("A1", "SPZ23", 1)};
  std::vector<Offset> offsets = MustAuto(positions, Table(kMesFirstRows));
  ASSERT_EQ(offsets.size(), 1u);
  ExpectOffset(offsets[0], "A1", "MES/ES", {{"MESZ23", -30}, {"ESZ23", 3}});
  Positions after = PositionsAfterOffsets(positions, offsets);
  EXPECT_EQ(Held(after, "A1", "ESZ23"), -2);
  EXPECT_EQ(Held(after, "A1", "SPZ23"), 1);
}

// Same positions, ES/SP listed first: 5 ES : 1 SP -> ES +5, SP -1; ES is then flat and the
// 30 MES stay.
TEST_F(OffsetRulesTest, OverlappingPairsTableOrderDecides) {
  Positions positions = {Pos("A1", "MESZ23", 30), Pos("A1", "ESZ23", -5), Pos("A1", "SPZ23", 1)};
  std::vector<Offset> offsets = MustAuto(positions, Table(kSpFirstRows));
  ASSERT_EQ(offsets.size(), 1u);
  ExpectOffset(offsets[0], "A1", "SP/ES", {{"SPZ23", -1}, {"ESZ23", 5}});
  Positions after = PositionsAfterOffsets(positions, offsets);
  EXPECT_EQ(Held(after, "A1", "MESZ23"), 30);
  EXPECT_EQ(Held(after, "A1", "ESZ23"), 0);
}

// When the first pair leaves enough, the second pair offsets the remainder.
// Long 20 MES, short 7 ES, long 1 SP: MES/ES 2 blocks -> MES -20, ES +2; ES -5 vs SP +1 -> 1
// block -> ES +5, SP -1.
TEST_F(OffsetRulesTest, SecondPairOffsetsWhatTheFirstLeft) {
  Positions positions = {Pos("A1", "MESZ23", 20), Pos("A1", "ESZ23", -7), Pos("A1", "SPZ23", 1)};
  std::vector<Offset> offsets = MustAuto(positions, Table(kMesFirstRows));
  ASSERT_EQ(offsets.size(), 2u);
  ExpectOffset(offsets[0], "A1", "MES/ES", {{"MESZ23", -20}, {"ESZ23", 2}});
  ExpectOffset(offsets[1], "A1", "ES/SP", {{"ESZ23", 5}, {"SPZ23", -1}});
}

// Ratio 2.5: block 5 AAA : 2 BBB. Long 12 AAA, short 5 BBB: min(12/5, 5/2) = 2 blocks ->
// AAA -10, BBB +4; 2 AAA and -1 BBB remain.
TEST_F(OffsetRulesTest, FractionalRatioOffsetsWholeBlocks) {
  std::vector<Offset> offsets =
      MustAuto({Pos("A1", "AAAZ23", 12), Pos("A1", "BBBZ23", -5)}, Table(kFractionalRows));
  ASSERT_EQ(offsets.size(), 1u);
  ExpectOffset(offsets[0], "A1", "AAA/BBB", {{"AAAZ23", -10}, {"BBBZ23", 4}});
}

TEST_F(OffsetRulesTest, MalformedPositionsAreRejected) {
  auto bad_symbol = AutoOffsets({Pos("A1", "MMC", 25)}, seed_);
  ASSERT_FALSE(bad_symbol.has_value());
  EXPECT_EQ(bad_symbol.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "'MMC'", bad_symbol.error().message());

  auto twice = AutoOffsets({Pos("A1", "MMCZ23", 25), Pos("A1", "MMCZ23", 5)}, seed_);
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "listed twice", twice.error().message());
}

// ---------------------------------------------------------------------------------------------
// ApplyInstruction

OffsetInstruction Instruction(std::string_view code, std::string_view offset_to, int64_t quantity,
                              int month = 12, int year = 2023, std::string_view account = "A1") {
  return OffsetInstruction{
      std::string(account), std::string(code), std::string(offset_to), quantity, month, year};
}

// One block of the seed example: 10 MMC against 1 ME; 15 MMC and -1 ME stay.
TEST_F(OffsetRulesTest, InstructionOffsetsTheRequestedQuantity) {
  Positions positions = {Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", -2)};
  auto offset = ApplyInstruction(positions, Instruction("MMC", "ME", 10), seed_);
  ASSERT_TRUE(offset.has_value()) << offset.error().ToString();
  ExpectOffset(*offset, "A1", "MMC/ME", {{"MMCZ23", -10}, {"MEZ23", 1}});
  Positions after = PositionsAfterOffsets(positions, {*offset});
  EXPECT_EQ(Held(after, "A1", "MMCZ23"), 15);
  EXPECT_EQ(Held(after, "A1", "MEZ23"), -1);
}

// Written from the E-mini side: 2 ME = 20 MMC; the offset is oriented as the table's first row.
TEST_F(OffsetRulesTest, InstructionFromTheOtherSideOfThePair) {
  Positions positions = {Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", -2)};
  auto offset = ApplyInstruction(positions, Instruction("ME", "MMC", 2), seed_);
  ASSERT_TRUE(offset.has_value()) << offset.error().ToString();
  ExpectOffset(*offset, "A1", "MMC/ME", {{"MMCZ23", -20}, {"MEZ23", 2}});
}

// Only the instructed account's positions count, and the instruction's month.
TEST_F(OffsetRulesTest, InstructionUsesOnlyItsAccountAndMonth) {
  Positions positions = {Pos("A1", "MMCZ23", 20), Pos("A2", "MEZ23", -2), Pos("A1", "MEH24", -2),
                         Pos("A2", "MMCZ23", -50), Pos("A2", "MEH24", 9)};
  auto offset = ApplyInstruction(positions, Instruction("MMC", "ME", 20), seed_);
  ASSERT_FALSE(offset.has_value());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring,
                      "not long one and short the other (MMCZ23 +20, MEZ23 0)",
                      offset.error().message());
}

// An account id is one account; positions naming it under two firms are malformed.
TEST_F(OffsetRulesTest, InstructionRejectsAnAccountUnderTwoFirms) {
  Positions positions = {Pos("A1", "MMCZ23", 20, "CLR01"), Pos("A1", "MEZ23", -2, "CLR02")};
  auto offset = ApplyInstruction(positions, Instruction("MMC", "ME", 20), seed_);
  ASSERT_FALSE(offset.has_value());
  EXPECT_EQ(offset.error().code(), Status::Code::kInvalidArgument);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "name two firms, CLR01 and CLR02",
                      offset.error().message());
}

struct BadInstructionCase {
  std::string_view name;
  OffsetInstruction instruction;
  std::string_view reason;  // must appear in the kInvalidArgument message
};

void PrintTo(const BadInstructionCase& c, std::ostream* os) { *os << c.name; }

class OffsetInstructionRejectTest : public OffsetRulesTest,
                                    public ::testing::WithParamInterface<BadInstructionCase> {};

// Positions for every case: A1 long 25 MMCZ23, short 2 MEZ23, long 4 MSCZ23, long 1 SMCZ23.
TEST_P(OffsetInstructionRejectTest, IsRejectedWithTheReason) {
  const BadInstructionCase& c = GetParam();
  Positions positions = {Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", -2), Pos("A1", "MSCZ23", 40),
                         Pos("A1", "SMCZ23", 1)};
  auto offset = ApplyInstruction(positions, c.instruction, seed_);
  ASSERT_FALSE(offset.has_value()) << "offset made: " << offset->pair;
  EXPECT_EQ(offset.error().code(), Status::Code::kInvalidArgument) << offset.error().ToString();
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, std::string(c.reason), offset.error().message());
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "account 'A1'", offset.error().message());
}

INSTANTIATE_TEST_SUITE_P(
    Reasons, OffsetInstructionRejectTest,
    ::testing::Values(
        BadInstructionCase{"UnknownPair", Instruction("MMC", "ES", 10),
                           "pair MMC/ES is not in the offset table"},
        BadInstructionCase{"PairOfUnrelatedProducts", Instruction("MMC", "SMC", 10),
                           "pair MMC/SMC is not in the offset table"},
        BadInstructionCase{"BothLong", Instruction("MSC", "SMC", 10),
                           "not long one and short the other (MSCZ23 +40, SMCZ23 +1)"},
        BadInstructionCase{"NoPositionInThatMonth", Instruction("MMC", "ME", 10, 3, 2024),
                           "not long one and short the other (MMCH24 0, MEH24 0)"},
        BadInstructionCase{"NotAWholeRatioMultiple", Instruction("MMC", "ME", 15),
                           "quantity is not a whole multiple of 10 MMC (10 MMC offset 1 ME)"},
        BadInstructionCase{"MoreThanThePositionsAllow", Instruction("MMC", "ME", 30),
                           "more than the positions allow: at most 20 MMC (MMCZ23 +25, MEZ23 -2)"},
        BadInstructionCase{"MoreEminisThanHeld", Instruction("ME", "MMC", 3),
                           "more than the positions allow: at most 2 ME"},
        BadInstructionCase{"ZeroQuantity", Instruction("MMC", "ME", 0), "quantity must be > 0"},
        BadInstructionCase{"NegativeQuantity", Instruction("MMC", "ME", -10),
                           "quantity must be > 0"},
        BadInstructionCase{"BadMonth", Instruction("MMC", "ME", 10, 13), "month 13 is not 1..12"},
        BadInstructionCase{"BadYear", Instruction("MMC", "ME", 10, 12, 1999),
                           "year 1999 is not 2000..2099"}),
    testing::CaseName());

// ---------------------------------------------------------------------------------------------
// Offset account

TEST_F(OffsetRulesTest, OffsetAccountTransfersMirrorEveryLeg) {
  std::vector<Offset> offsets = MustAuto({Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", -2)}, seed_);
  EXPECT_EQ(OffsetAccountTransfers(offsets), (Legs{{"MMCZ23", 20}, {"MEZ23", -2}}));
}

// Per contract, the account legs and the offset account's transfers sum to zero, so the total
// of all positions (open interest long minus short) is unchanged.
TEST_F(OffsetRulesTest, TransfersKeepEveryContractsPositionsBalanced) {
  Positions positions = {Pos("A1", "MMCZ23", 25),  Pos("A1", "MEZ23", -2),
                         Pos("B2", "MMCZ23", -15), Pos("B2", "MEZ23", 1),
                         Pos("C3", "MMCH24", -40), Pos("C3", "MEH24", 4)};
  std::vector<Offset> offsets = MustAuto(positions, seed_);
  ASSERT_EQ(offsets.size(), 3u);
  std::map<std::string, int64_t> net;
  for (const Offset& o : offsets) {
    for (const OffsetLeg& leg : o.legs) net[leg.contract] += leg.quantity;
  }
  // Account side, hand-worked: MMCZ23 -20 + 10, MEZ23 +2 - 1, MMCH24 +40, MEH24 -4.
  EXPECT_EQ(net, (std::map<std::string, int64_t>{
                     {"MMCZ23", -10}, {"MEZ23", 1}, {"MMCH24", 40}, {"MEH24", -4}}));
  for (const OffsetLeg& t : OffsetAccountTransfers(offsets)) net[t.contract] += t.quantity;
  for (const auto& [contract, q] : net) EXPECT_EQ(q, 0) << contract;
  EXPECT_TRUE(CheckOffsetAccountFlat(offsets, seed_).ok());
}

TEST_F(OffsetRulesTest, OffsetAccountIsFlatForEveryOffsetMade) {
  Positions positions = {Pos("A1", "MMCZ23", 37), Pos("A1", "MEZ23", -5), Pos("A1", "MSCZ23", -40),
                         Pos("A1", "SMCZ23", 4)};
  std::vector<Offset> offsets = MustAuto(positions, seed_);
  ASSERT_EQ(offsets.size(), 2u);
  Status status = CheckOffsetAccountFlat(offsets, seed_);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(CheckOffsetAccountFlat({}, seed_).ok());
}

// A tampered leg (ME +3 for the seed example's +2): transfers MMCZ23 +20, MEZ23 -3 ->
// 20 - 3 x 10 = -10 MMC equivalents.
TEST_F(OffsetRulesTest, FlatCheckCatchesATamperedLeg) {
  std::vector<Offset> offsets = MustAuto({Pos("A1", "MMCZ23", 25), Pos("A1", "MEZ23", -2)}, seed_);
  ASSERT_EQ(offsets.size(), 1u);
  ASSERT_EQ(offsets[0].legs.size(), 2u);
  offsets[0].legs[1].quantity = 3;
  Status status = CheckOffsetAccountFlat(offsets, seed_);
  EXPECT_EQ(status.code(), Status::Code::kInvariantViolation) << status.ToString();
  EXPECT_EQ(status.message(),
            "offset account is not flat in pair MMC/ME, month Z23: net -10 MMC equivalents "
            "(transfers MMCZ23 +20, MEZ23 -3)");
}

// The check is on the offset account's totals per pair and month. Two offsets of MMC/ME Z23 that
// are each off but cancel out leave it flat: transfers (MMCZ23 +10, MEZ23 -2) = 10 - 20 = -10 and
// (MMCZ23 +10, MEZ23 0) = +10.
TEST_F(OffsetRulesTest, FlatCheckSumsPerPairAndMonth) {
  Offset c{"CLR01", "A1", {{"MMCZ23", -10}, {"MEZ23", 2}}, "MMC/ME"};
  Offset d{"CLR01", "A2", {{"MMCZ23", -10}, {"MEZ23", 0}}, "MMC/ME"};
  Status status = CheckOffsetAccountFlat({c, d}, seed_);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

// A leg in another month counts in that month. Transfers: a = MMCZ23 +20, MEZ23 -2;
// b = MMCH24 -10, MEZ23 +1. Z23: 20 - 2 x 10 + 1 x 10 = +10; H24: -10. Z23 (Dec 2023) is reported
// first.
TEST_F(OffsetRulesTest, FlatCheckCatchesALegInAnotherMonth) {
  Offset a{"CLR01", "A1", {{"MMCZ23", -20}, {"MEZ23", 2}}, "MMC/ME"};
  Offset b{"CLR01", "A2", {{"MMCH24", 10}, {"MEZ23", -1}}, "MMC/ME"};
  Status status = CheckOffsetAccountFlat({a, b}, seed_);
  EXPECT_EQ(status.code(), Status::Code::kInvariantViolation) << status.ToString();
  EXPECT_EQ(status.message(),
            "offset account is not flat in pair MMC/ME, month Z23: net 10 MMC equivalents "
            "(transfers MMCZ23 +20, MEZ23 -2, MEZ23 +1)");
  // Alone, b is off in both months (Z23: +1 x 10 = +10; H24: -10); Z23 is reported first.
  Status alone = CheckOffsetAccountFlat({b}, seed_);
  EXPECT_EQ(alone.code(), Status::Code::kInvariantViolation);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "month Z23: net 10 MMC", alone.message());
}

TEST_F(OffsetRulesTest, FlatCheckRejectsUnknownPairsAndForeignLegs) {
  Offset unknown{"CLR01", "A1", {{"MMCZ23", -20}, {"MEZ23", 2}}, "MMC/ES"};
  Status s1 = CheckOffsetAccountFlat({unknown}, seed_);
  EXPECT_EQ(s1.code(), Status::Code::kInvariantViolation);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "not in the offset table", s1.message());

  Offset foreign{"CLR01", "A1", {{"MMCZ23", -20}, {"ESZ23", 2}}, "MMC/ME"};
  Status s2 = CheckOffsetAccountFlat({foreign}, seed_);
  EXPECT_EQ(s2.code(), Status::Code::kInvariantViolation);
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "leg 'ESZ23' is not a contract of pair MMC/ME",
                      s2.message());

  // Named from the other side, the pair is still MMC/ME and the offset flat.
  Offset reversed{"CLR01", "A1", {{"MEZ23", 2}, {"MMCZ23", -20}}, "ME/MMC"};
  EXPECT_TRUE(CheckOffsetAccountFlat({reversed}, seed_).ok());
}

}  // namespace
}  // namespace eodclear

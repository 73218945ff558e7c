#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/refdata/offset_table.h"

namespace eodclear {

// Offsetting positions in different-sized contracts: CME Rule 855 ("Offsetting Positions for
// Different-Sized Contracts") with its Contracts Eligible for Offset table (CME Submission 23-157,
// loaded as OffsetTable from ops/refdata/offsets.csv). Pure functions: no I/O, no clock, no
// prices; thread-compatible.
//
// The rule. Per account, per pair of the table, per contract month: when the account is long one
// contract of the pair and short the other, as many whole ratio-multiples are offset as both sides
// allow. MMC/ME has ratio 10 (10 MMC offset 1 ME): an account long 25 MMCZ23 and short 2 MEZ23
// offsets 20 MMCZ23 against 2 MEZ23 (legs MMCZ23 -20, MEZ23 +2) and keeps 5 MMCZ23.
//  - Never across accounts: positions are grouped by (firm, account); two accounts of one
//    beneficial owner never offset each other.
//  - Never across months: MMCZ23 offsets MEZ23 only, never MEH24.
//  - Voluntary: AutoOffsets is for accounts whose reference data says auto_offset (the caller
//    filters with AccountDirectory::AutoOffset); ApplyInstruction is for instructions on topic
//    offset-instructions. Both leave the price to the caller: the stage books each offset at the
//    prior day's settlement price, so it creates no variation margin of its own.
//
// Pair orientation. The table lists each pair twice, once from each side ({MMC, 10, ME} and
// {ME, 0.1, MMC}). A pair is named and oriented by whichever of its two rows comes first in the
// table: "MMC/ME". Every Offset of the pair names it so and lists its legs in that order, whether
// it came from AutoOffsets or from an instruction written from either side.
//
// Offset block. A "whole ratio-multiple" is n blocks of the smallest whole numbers a of `code`
// and b of `offset_to` with a = ratio x b: ratio 10 -> 10 MMC : 1 ME; 0.1 -> 1 ME : 10 MMC;
// 2.5 -> 5 : 2. The block is exact (from the Decimal ratio; no floating point).
//
// Overlapping pairs. When a product is in more than one pair (ES with MES and with SP), pairs are
// applied in the order of their first table row, each to the quantities the earlier ones left.
// This is greedy: with MES/ES listed before ES/SP, an account long 30 MESZ23, short 5 ESZ23 and
// long 1 SPZ23 offsets 30 MES against 3 ES, and the 2 ES left are too few for the 5 ES : 1 SP
// block; with ES/SP listed first it offsets 5 ES against 1 SP and keeps the 30 MES. The order
// of offsets.csv therefore decides; no search for the combination that offsets most is made.

// One account's net position in one contract: positive long, negative short. The stage passes the
// positions the offsets apply to (after the day's trades and any earlier offsets).
struct AccountPosition {
  std::string firm, account;
  std::string contract;  // canonical symbol: product code + month code + two-digit year, "MMCZ23"
  int64_t quantity = 0;
};

// One leg of an offset: the signed change to the account's position in `contract`.
struct OffsetLeg {
  std::string contract;  // canonical symbol, "MMCZ23"
  int64_t quantity = 0;

  bool operator==(const OffsetLeg&) const = default;
};

// One offset of one account in one pair and contract month. `legs` has two entries, the pair's
// first product then its second (see "Pair orientation"), with opposite signs.
struct Offset {
  std::string firm, account;
  std::vector<OffsetLeg> legs;
  std::string pair;  // "MMC/ME"
};

// An instruction from topic offset-instructions: offset `quantity` contracts of `code` against
// `offset_to`, in the month (`month`, `year`) of both, for `account`.
struct OffsetInstruction {
  std::string account;
  std::string code, offset_to;  // canonical clearing codes, either order of the pair
  int64_t quantity = 0;         // contracts of `code`, > 0, a whole number of offset blocks
  int month = 0;                // 1..12
  int year = 0;                 // four digits, 2000..2099
};

// The automatic offsets of every account in `positions` under `table`: per (firm, account), per
// pair in table order, per contract month in date order, the most whole blocks both sides allow,
// each pair working on the quantities the earlier pairs left. Accounts are returned sorted by
// firm then account. Positions of other products and flat positions take no part.
// Errors (kInvalidArgument, naming the position): a contract symbol that does not split into
// product, month and year; a (firm, account, contract) listed twice; a quantity of INT64_MIN.
Result<std::vector<Offset>> AutoOffsets(const std::vector<AccountPosition>& positions,
                                        const OffsetTable& table);

// The offset one instruction makes against the positions of `instruction.account` (positions of
// other accounts are ignored; the firm is the one those positions name). kInvalidArgument with the
// reason, for the caller to dead-letter the instruction, when:
//   - (code, offset_to) is not a pair of the table ("... is not in the offset table");
//   - the month or year is out of range;
//   - the quantity is not > 0, or not a whole number of blocks ("not a whole multiple");
//   - the account is not long one contract and short the other in that month ("not long one and
//     short the other");
//   - the quantity is more than the positions allow ("more than the positions allow");
//   - the account's positions are malformed as for AutoOffsets, or name two firms.
Result<Offset> ApplyInstruction(const std::vector<AccountPosition>& positions,
                                const OffsetInstruction& instruction, const OffsetTable& table);

// `positions` with every leg of `offsets` added to the matching (firm, account, contract) position,
// in input order; a leg with no matching position is appended as a new one. Positions that become
// flat are kept with quantity 0.
std::vector<AccountPosition> PositionsAfterOffsets(std::vector<AccountPosition> positions,
                                                   const std::vector<Offset>& offsets);

// The transfers of the clearing-house offset account (its id is in the stage's options) that
// mirror `offsets`: every leg negated, in order. With them, each contract's positions sum to the
// same total as before the offsets, so open interest stays balanced and VM zero-sum per contract.
std::vector<OffsetLeg> OffsetAccountTransfers(const std::vector<Offset>& offsets);

// Checks that the offset account's transfers for `offsets` are flat in base-contract equivalents
// per pair and contract month: sum of (first-product quantity + second-product quantity x ratio)
// is exactly 0, counted in contracts of the pair's first product (MMC/ME: MMCZ23 +20 and MEZ23 -2
// give 20 - 2 x 10 = 0). kInvariantViolation naming the pair, the month and the net when it is
// not, or when an offset names a pair not in `table` or has a leg whose contract does not split,
// is not a product of its pair, or whose quantity is INT64_MIN.
Status CheckOffsetAccountFlat(const std::vector<Offset>& offsets, const OffsetTable& table);

}  // namespace eodclear
